"""A pytest plugin, loaded into the grader's nbval run, that records each cell's outcome and actual outputs."""

import json
import os
from collections.abc import Generator
from typing import Any

import pytest

RESULTS_VARIABLE = "COURSE_GRADER_RESULTS"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Generator[None, Any, None]:
    """Append one JSON line per nbval cell as soon as it is done, so that a killed run keeps what it did."""
    outcome = yield
    report = outcome.get_result()
    path = os.environ.get(RESULTS_VARIABLE)
    if path and hasattr(item, "cell_num") and (report.when == "call" or report.skipped):
        record = {
            "notebook": str(item.path),
            "cell": item.cell.get("id"),
            "outcome": report.outcome,
            "outputs": getattr(item, "test_outputs", None) or [],
            "after_timeout": "timed out" in str(getattr(report, "wasxfail", "")),
        }
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=str) + "\n")
