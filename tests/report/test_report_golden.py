"""Golden files: each report of the synthetic hostile run, byte for byte. A change to a report shows up here as a
diff to review; after a deliberate change, regenerate with

    EVALCORE_GOLDEN=update .venv/bin/pytest tests/report/test_report_golden.py

and read the diff of tests/report/golden/ before committing it."""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from evalcore.domain.results import CaseResult, RunResult
from evalcore.report.html import report_data
from evalcore.report.junit import junit_xml
from evalcore.report.markdown import summary_markdown

GOLDEN = Path(__file__).with_name("golden")

RENDERERS: dict[str, Callable[[RunResult, list[CaseResult]], str]] = {
    "summary.md": summary_markdown,
    "junit.xml": junit_xml,
    "report-data.json": lambda run, cases: json.dumps(report_data(run, cases), indent=1, ensure_ascii=False) + "\n",
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_the_report_matches_its_golden_file(name: str, run: RunResult, cases: list[CaseResult]) -> None:
    actual = RENDERERS[name](run, cases)
    path = GOLDEN / name
    if os.environ.get("EVALCORE_GOLDEN") == "update":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
    expected = path.read_bytes().decode("utf-8")
    if actual != expected:
        diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(), str(path), "now", lineterm="", n=2)
        pytest.fail("the report differs from its golden file:\n" + "\n".join(list(diff)[:80]))
