"""history.md: per headline metric a Mermaid `xychart-beta` line chart (GitHub draws it in step summaries and
comments) and the trend table; model id and suite changes are marked on the time axis (`M` and `S` after the run's
date: a chart label keeps letters only) and listed under the chart. Untrusted text goes through markdown_escape and mermaid.label."""

from __future__ import annotations

from evalcore.report.markdown_escape import cell, inline
from evalcore.report.mermaid import label
from evalcore.report.trend import Series, interval, number, sparkline

MARK = "◆"


def _letters(marks: list[str]) -> str:
    letters = ("M" if any(m.startswith("model") for m in marks) else "") + ("S" if "suite changed" in marks else "")
    return f" {letters}" if letters else ""


def trend_markdown(series: list[Series]) -> str:
    parts = ["# History", ""]
    if not series:
        return "# History\n\nNo runs in the history.\n"
    for s in series:
        if not s.headline:
            continue
        means = [p.point.mean for p in s.points]
        parts += [f"## {inline(s.suite, 80)} · {inline(s.title, 200)} {sparkline(means)}", ""]
        labels = [p.when[5:10] + _letters(p.marks) for p in s.points]
        values = ", ".join(f"{m if m is not None else 0:.3f}" for m in means)
        parts += [
            "```mermaid",
            "xychart-beta",
            f"    title {label(s.metric)}",
            f"    x-axis [{', '.join(label(t) for t in labels)}]",
            f"    y-axis {label('mean')} 0 --> {max(1.0, *(m or 0 for m in means)):g}",
            f"    line [{values}]",
            "```",
            "",
        ]
        marked = [p for p in s.points if p.marks]
        if marked:
            parts += [f"- {MARK} {p.when}{_letters(p.marks)}: {inline('; '.join(p.marks), 300)}" for p in marked]
            parts += ["", "M: the model id changed; S: the suite or its data changed.", ""]
        parts += ["| run (UTC) | commit | n | mean | 95% interval | changes |", "|---|---|---:|---:|---|---|"]
        for p in s.points:
            parts.append(
                f"| {p.when} | {cell(p.commit)} | {p.point.n} | {number(p.point.mean)} | {interval(p.point)} "
                f"| {cell('; '.join(p.marks))} |"
            )
        last = s.points[-1].point.label
        parts += ["", f"_{inline(last)}_" if last else "", ""]
    return "\n".join(parts).rstrip() + "\n"
