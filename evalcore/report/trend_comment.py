"""The pull-request comment's trend rows: per headline metric of this run, the base branch's last runs from the
history as a sparkline, their first and last means, and this run's mean. Names are untrusted: markdown_escape."""

from __future__ import annotations

from evalcore.domain.history import HistoryRecord
from evalcore.domain.results import RunResult
from evalcore.report.markdown_escape import cell
from evalcore.report.trend import number, sparkline, trend_series


def base_records(records: list[HistoryRecord], branch: str | None) -> list[HistoryRecord]:
    """The records of runs on `branch` (its name, or refs/heads/NAME, as runs record it); all when unknown."""
    if branch is None:
        return records
    return [r for r in records if r.ref in (branch, f"refs/heads/{branch}")]


def trend_rows(records: list[HistoryRecord], run: RunResult) -> str | None:
    """A small table, or None when the history has no run of this suite's sections and models."""
    here = {}
    for section in run.sections:
        for m in section.models:
            metrics = {name: a.mean for name, a in m.metrics.items()}
            if m.pass_rate_interval is not None:
                metrics["pass_rate"] = m.pass_rate_interval.mean
            here[(section.name, m.model)] = metrics
    rows = []
    for s in trend_series([r for r in records if r.suite == run.run.suite]):
        now = here.get((s.section, s.model), {})
        if not s.headline or s.metric not in now:
            continue
        means = [p.point.mean for p in s.points]
        rows.append(
            f"| {cell(s.title)} | {sparkline([*means, now[s.metric]])} | {number(means[0])} → {number(means[-1])} "
            f"| {number(now[s.metric])} |"
        )
    if not rows:
        return None
    runs = len(records)
    head = [
        f"**Trend on the base branch** ({runs} recorded run{'s' if runs != 1 else ''}, oldest first; the last bar "
        f"is this run)",
        "",
        "| metric | trend | base branch | this run |",
        "|---|---|---:|---:|",
    ]
    return "\n".join([*head, *rows])
