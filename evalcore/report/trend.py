"""A history as trends: one series per (suite, section, model, metric), its points marked where the model id or the
suite changed, a sparkline, and the console's trend table. Text from the runs (suite, section, model names, model
ids, refs) is untrusted: the console shows it through plain.visible, the other renderers escape it themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from evalcore.domain.history import HistoryRecord, MetricPoint
from evalcore.report.plain import one_line

BARS = "▁▂▃▄▅▆▇█"


@dataclass
class TrendPoint:
    record: HistoryRecord
    point: MetricPoint
    model_id: str | None
    marks: list[str] = field(default_factory=list)  # "model a → b", "suite changed"

    @property
    def when(self) -> str:
        return datetime.fromtimestamp(self.record.started_at, UTC).strftime("%Y-%m-%d %H:%M")

    @property
    def commit(self) -> str:
        return (self.record.commit or "")[:7] or "-"


@dataclass
class Series:
    suite: str
    section: str
    model: str | None
    metric: str
    headline: bool
    points: list[TrendPoint] = field(default_factory=list)

    @property
    def title(self) -> str:
        who = f" · {self.model}" if self.model else ""
        return f"{self.section}{who} · {self.metric}"


def trend_series(records: list[HistoryRecord]) -> list[Series]:
    """Every series of the records (oldest first), in the order first seen; marks where a value's model id or its
    suite's hash differs from the point before."""
    found: dict[tuple[str, str, str | None, str], Series] = {}
    for record in records:
        for entry in record.entries:
            headline = set(entry.primary) or set(entry.metrics)
            for metric, point in entry.metrics.items():
                key = (record.suite, entry.section, entry.model, metric)
                series = found.setdefault(
                    key, Series(record.suite, entry.section, entry.model, metric, metric in headline)
                )
                here = TrendPoint(record, point, entry.model_id)  # a Bedrock model id names its version
                if series.points:
                    before = series.points[-1]
                    if before.model_id and here.model_id and before.model_id != here.model_id:
                        here.marks.append(f"model {before.model_id} → {here.model_id}")
                    old, new = before.record.suite_hash, record.suite_hash
                    if old and new and old != new:
                        here.marks.append("suite changed")
                series.points.append(here)
    return list(found.values())


def sparkline(values: list[float | None]) -> str:
    """One bar per value, scaled between the values' low and high (a flat series is mid-height); a gap as `·`."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low

    def bar(v: float | None) -> str:
        if v is None:
            return "·"
        return BARS[3] if span < 1e-12 else BARS[min(len(BARS) - 1, int((v - low) / span * len(BARS)))]

    return "".join(bar(v) for v in values)


def number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def interval(point: MetricPoint) -> str:
    return "-" if point.low is None or point.high is None else f"[{point.low:.3f}, {point.high:.3f}]"


def trend_text(series: list[Series]) -> str:
    """The console's trend tables: one per series, newest run last."""
    if not series:
        return "no runs in the history"
    blocks = []
    for s in series:
        label = s.points[-1].point.label
        lines = [
            f"{one_line(s.suite, 60)} · {one_line(s.title, 120)}  {sparkline([p.point.mean for p in s.points])}"
            + (f"  ({label})" if label else ""),
            f"  {'run (UTC)':<16}  {'commit':<7}  {'n':>5}  {'mean':>7}  {'95% interval':<16}  changes",
        ]
        for p in s.points:
            lines.append(
                f"  {p.when:<16}  {p.commit:<7}  {p.point.n:>5}  {number(p.point.mean):>7}  {interval(p.point):<16}  "
                + one_line("; ".join(p.marks), 160)
            )
        blocks.append("\n".join(line.rstrip() for line in lines))
    return "\n\n".join(blocks)
