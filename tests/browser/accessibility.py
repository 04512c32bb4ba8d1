"""axe-core on a page of a browser test: the WCAG 2.1 A and AA rules, and the violations that are serious or critical.

The engine is the axe.min.js that axe-playwright-python ships (pinned in requirements.txt): nothing is downloaded.
"""

from typing import Any

from axe_playwright_python.base import AXE_SCRIPT

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERIOUS = {"serious", "critical"}
RUN_AXE = """async ({include, tags}) => {
    const results = await axe.run(include ? {include: [include]} : document,
                                  {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                         targets: v.nodes.map(node => node.target.join(' '))}));
}"""


def serious_violations(page: Any, include: str | None = None) -> list[str]:
    """The serious and critical WCAG 2.1 AA violations axe-core finds on the page (or in the elements `include`
    selects), one line each: the rule, its impact, what it asks for, and where."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    violations = page.evaluate(RUN_AXE, {"include": include, "tags": WCAG_21_AA})
    return [
        f"{v['id']} ({v['impact']}): {v['help']}, at {', '.join(v['targets'][:5])}"
        for v in violations
        if v["impact"] in SERIOUS
    ]
