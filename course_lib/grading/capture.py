"""A pytest plugin, loaded into the grader's nbval run, that records each cell's outcome and actual outputs."""

import json
import os
from collections.abc import Generator
from typing import Any

import pytest

RESULTS_VARIABLE = "COURSE_GRADER_RESULTS"
_results: list[dict[str, Any]] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Generator[None, Any, None]:
    """Record every nbval cell's outcome, and its outputs once it has run."""
    outcome = yield
    report = outcome.get_result()
    if hasattr(item, "cell_num") and (report.when == "call" or report.skipped):
        _results.append(
            {
                "cell": item.cell.get("id"),
                "outcome": report.outcome,
                "outputs": getattr(item, "test_outputs", None) or [],
                "failure": str(call.excinfo.value)[:2000] if call.excinfo else "",
                "after_timeout": "timed out" in str(getattr(report, "wasxfail", "")),
            },
        )


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """Write the records where the grader asked."""
    path = os.environ.get(RESULTS_VARIABLE)
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(_results, handle, default=str)
