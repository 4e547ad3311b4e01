"""Write the report files of a results directory: junit.xml, summary.md and report.html, from the results alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evalcore.report.html import write_html
from evalcore.report.junit import write_junit
from evalcore.report.markdown import write_summary
from evalcore.results import CASES_FILE, CaseResult, RunResult, latest_by_case, read_cases

Writer = Callable[[Path, RunResult, list[CaseResult]], Path]

FORMATS: dict[str, tuple[str, Writer]] = {
    "junit": ("junit.xml", write_junit),
    "markdown": ("summary.md", write_summary),
    "html": ("report.html", write_html),
}


def render_reports(out: Path, run: RunResult, fmt: str | None, cases: list[CaseResult] | None = None) -> list[Path]:
    """Write the reports in `fmt` (all when None) into `out`; returns the files written. Without `cases`, the
    cases are read from `out`/results.jsonl (the last result of each case winning, as a resumed run leaves them)."""
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown report format '{fmt}' (one of: {', '.join(FORMATS)}, all)")
    if cases is None:
        path = out / CASES_FILE
        cases = list(latest_by_case(read_cases(path)).values()) if path.is_file() else []
        sections = {s.name for s in run.sections}
        cases = [c for c in cases if c.section in sections]
    chosen = FORMATS if fmt is None else {fmt: FORMATS[fmt]}
    return [write(out / name, run, cases) for name, write in chosen.values()]
