"""The report formats, each declared once: its name (`evalcore report --format NAME`), the file it writes in the
results directory and the GitHub Action's step output that holds that file's path (action.yml `outputs`).

Light on purpose (the command line reads it before any heavy import); the renderer of each format is in
evalcore.report.render, keyed by the same name (tests/report/test_report_formats.py fails when a declared format has
no renderer or the reverse). The CLI's `--format` choices and the Action's outputs derive from FORMATS.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReportFormat:
    name: str
    file: str
    action_output: str


FORMATS: dict[str, ReportFormat] = {
    f.name: f
    for f in (
        ReportFormat("junit", "junit.xml", "junit-path"),
        ReportFormat("markdown", "summary.md", "summary-path"),
        ReportFormat("html", "report.html", "html-path"),
    )
}
