"""Drift as console lines: one line per drift to the worse (the line `--drift fail` ends with), then the rows that
moved the other way, the model and suite changes, and for rows with no drift the smallest drift they could see."""

from __future__ import annotations

from evalcore.domain.compare import Difference
from evalcore.domain.drift import Drift
from evalcore.report.plain import one_line


def _who(d: Difference) -> str:
    model = f" ({d.model})" if d.model else ""
    return one_line(f"{d.section}{model}: {d.metric}", 160)


def _change(d: Difference) -> str:
    interval = f"[{d.ci_low:+.3f}, {d.ci_high:+.3f}]" if d.ci_low is not None and d.ci_high is not None else "-"
    return f"{d.base:.3f} -> {d.head:.3f} ({d.diff:+.3f}, {d.interval_label}: {interval}, q={d.q:.3g})"


def finding_line(d: Difference) -> str:
    return f"evalcore: drift: {_who(d)} fell {_change(d)} against the window"


def drift_lines(drift: Drift) -> list[str]:
    n = len(drift.window)
    lines = [finding_line(d) for d in drift.worse]
    lines += [f"evalcore: drift: {_who(d)} rose {_change(d)} against the window" for d in drift.better]
    lines += [f"evalcore: drift: {one_line(change, 200)}" for change in drift.model_changes]
    if drift.suite_changed:
        lines.append("evalcore: drift: the suite or its data changed inside the window: drift may come from that")
    quiet = [d for d in drift.rows if d.verdict == "no_change" and d.mde is not None]
    for d in quiet:
        power = "underpowered: " if d.underpowered else ""
        lines.append(
            f"evalcore: drift: {_who(d)}: no drift ({power}a drift of {d.mde:.3f} or more would be seen at 80% "
            f"power; {d.pairs} items)"
        )
    short = [d for d in drift.rows if d.verdict == "insufficient"]
    if short:
        lines.append(f"evalcore: drift: {len(short)} rows with fewer than 10 paired items were not tested")
    runs = "run" if n == 1 else "runs"
    head = f"evalcore: drift: run {one_line(drift.latest.run_id, 40)} against the {n} {runs} before it: "
    head += f"{len(drift.worse)} drifts to the worse, {len(drift.better)} to the better"
    return [head, *lines]
