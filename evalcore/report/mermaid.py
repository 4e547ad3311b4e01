"""Mermaid `xychart-beta` bar charts, which GitHub draws in step summaries and comments."""

from __future__ import annotations

import re

from evalcore.report.plain import one_line

_UNSAFE = re.compile(r"[^\w .:/+-]")


def label(text: str | None) -> str:
    """A chart label: a quoted string that cannot end the quote, break the line or carry markup."""
    return '"' + _UNSAFE.sub("_", one_line(text, 40)) + '"'


def bar_chart(title: str, labels: list[str], values: list[float], y_label: str, y_max: float = 1.0) -> str:
    """One bar per label; `values` on 0..y_max."""
    numbers = ", ".join(f"{v:.3f}" for v in values)
    return "\n".join(
        [
            "```mermaid",
            "xychart-beta",
            f"    title {label(title)}",
            f"    x-axis [{', '.join(label(t) for t in labels)}]",
            f"    y-axis {label(y_label)} 0 --> {y_max:g}",
            f"    bar [{numbers}]",
            "```",
        ]
    )
