"""Keeps a needlessly slow optional import out of the kit's command-line processes."""

import sys

# jsonschema (through nbformat) imports the optional IRI checker rfc3987_syntax, which builds ~35 parsers at import
# (seconds per process; python-jsonschema/jsonschema#1428). No notebook schema uses IRI formats: mark it absent.
SLOW_OPTIONAL_MODULE = "rfc3987_syntax"


def skip_slow_optional_imports() -> None:
    """Mark the slow optional module absent, unless something already imported it."""
    sys.modules.setdefault(SLOW_OPTIONAL_MODULE, None)  # type: ignore[arg-type]
