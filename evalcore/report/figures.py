"""How numbers look in every report: scores, intervals, rates, money, tokens, durations."""

from __future__ import annotations

from evalcore.results import Aggregate

NONE = "\u2013"  # an en dash: no value


def score(value: float | None) -> str:
    return NONE if value is None else f"{value:.3f}"


def interval(agg: Aggregate) -> str:
    """A metric's 95% interval, clipped to the 0-1 scale metrics live on."""
    if agg.ci_low is None or agg.ci_high is None:
        return ""
    return f"[{max(0.0, agg.ci_low):.2f}, {min(1.0, agg.ci_high):.2f}]"


def rate(value: float | None) -> str:
    return NONE if value is None else f"{value:.1%}"


def usd(value: float | None) -> str:
    if value is None:
        return NONE
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def count(value: int) -> str:
    return f"{value:,}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return NONE
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def millis(value: float | None) -> str:
    return NONE if value is None else f"{value:,.0f} ms"
