"""Write the report files of a results directory: junit.xml, summary.md and report.html, from the results alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evalcore.report.html import write_html
from evalcore.report.junit import write_junit
from evalcore.report.markdown import write_summary
from evalcore.results import CASES_FILE, CaseResult, RunResult, final_cases

Writer = Callable[[Path, RunResult, list[CaseResult]], Path]

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
    `keep` selects case ids), afresh for each report, so only one report's cases are in memory at a time."""
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown report format '{fmt}' (one of: {', '.join(FORMATS)}, all)")
    chosen = FORMATS if fmt is None else {fmt: FORMATS[fmt]}
    written = []
    for name, write in chosen.values():
        written.append(write(out / name, run, cases if cases is not None else _read(out, run, keep)))
    return written


def _read(out: Path, run: RunResult, keep: Callable[[str], bool] | None) -> list[CaseResult]:
    path = out / CASES_FILE
    if not path.is_file():
        return []
    sections = {s.name for s in run.sections}
    return [c for c in final_cases(path, keep) if c.section in sections]
