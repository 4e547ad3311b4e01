"""Write the report files of a results directory: junit.xml, summary.md and report.html, from the results alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evalcore.report.case_index import CaseIndex
from evalcore.report.html import write_html
from evalcore.report.junit import write_junit
from evalcore.report.markdown import write_summary
from evalcore.results import CASES_FILE, CaseResult, RunResult

Writer = Callable[[Path, RunResult, CaseIndex], Path]

FORMATS: dict[str, tuple[str, Writer]] = {
    "junit": ("junit.xml", write_junit),
    "markdown": ("summary.md", write_summary),
    "html": ("report.html", write_html),
}


def render_reports(
    out: Path,
    run: RunResult,
    fmt: str | None,
    cases: list[CaseResult] | None = None,
    keep: Callable[[str], bool] | None = None,
) -> list[Path]:
    """Write the reports in `fmt` (all when None) into `out`; returns the files written. Without `cases`, the
    cases are read from `out`/results.jsonl (the last result of each case winning, as a resumed run leaves them;
    `keep` selects case ids) one at a time through an index, so no report holds the run in memory."""
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown report format '{fmt}' (one of: {', '.join(FORMATS)}, all)")
    chosen = FORMATS if fmt is None else {fmt: FORMATS[fmt]}
    index = CaseIndex.of_cases(run, cases) if cases is not None else CaseIndex.of_file(run, out / CASES_FILE, keep)
    return [write(out / name, run, index) for name, write in chosen.values()]
