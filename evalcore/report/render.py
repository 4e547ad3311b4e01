"""Write the report files of a results directory: junit.xml, summary.md and report.html, from the results alone."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from evalcore.domain.results import CASES_FILE, CaseResult, RunResult
from evalcore.report.case_index import CaseIndex
from evalcore.report.formats import FORMATS
from evalcore.report.gating import JunitFailures
from evalcore.report.html import write_html
from evalcore.report.junit import write_junit
from evalcore.report.markdown import write_summary

Writer = Callable[[Path, RunResult, CaseIndex], Path]


def writers(junit_failures: JunitFailures = "gate") -> dict[str, Writer]:
    """The renderer of each format declared in evalcore.report.formats.FORMATS, keyed by its name."""
    return {
        "junit": partial(write_junit, failures=junit_failures),
        "markdown": write_summary,
        "html": write_html,
    }


def remove_reports(out: Path) -> None:
    """Remove the reports of an earlier run from `out`, so a run that stops before it writes its own leaves none
    that a later step could take for this run's."""
    for fmt in FORMATS.values():
        (out / fmt.file).unlink(missing_ok=True)


def render_reports(
    out: Path,
    run: RunResult,
    fmt: str | None,
    cases: list[CaseResult] | None = None,
    keep: Callable[[str], bool] | None = None,
    junit_failures: JunitFailures = "gate",
) -> list[Path]:
    """Write the reports in `fmt` (all when None) into `out`; returns the files written. Without `cases`, the
    cases are read from `out`/results.jsonl (the last result of each case winning, as a resumed run leaves them;
    `keep` selects case ids) one at a time through an index, so no report holds the run in memory.
    `junit_failures`: which failed cases junit.xml shows as failures (see junit.py)."""
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown report format '{fmt}' (one of: {', '.join(FORMATS)}, all)")
    rendering = writers(junit_failures)
    chosen = list(FORMATS) if fmt is None else [fmt]
    index = CaseIndex.of_cases(run, cases) if cases is not None else CaseIndex.of_file(run, out / CASES_FILE, keep)
    with index:
        return [rendering[name](out / FORMATS[name].file, run, index) for name in chosen]
