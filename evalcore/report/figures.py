"""How numbers look in every report: scores, intervals, rates, money, tokens, durations."""

from __future__ import annotations

from collections import defaultdict

from evalcore.domain.results import Aggregate, SectionSummary

NONE = "\u2013"  # an en dash: no value


def score(value: float | None) -> str:
    return NONE if value is None else f"{value:.3f}"


def interval(agg: Aggregate) -> str:
    """A metric's 95% interval, clipped to the 0-1 scale metrics live on."""
    if agg.ci_low is None or agg.ci_high is None:
        return ""
    return f"[{max(0.0, agg.ci_low):.2f}, {min(1.0, agg.ci_high):.2f}]"


def intervals_of(section: SectionSummary) -> list[tuple[str, list[str]]]:
    """Every labelled interval of a section's table, grouped by label (`95% wilson, n=30 items`), each with the
    aggregates it belongs to (`pass rate (haiku)`): the line every report prints under its table."""
    by_label: dict[str, list[str]] = defaultdict(list)
    several = len(section.models) > 1
    for m in section.models:
        named: list[tuple[str, Aggregate | None]] = [("pass_rate", m.pass_rate_interval), *m.metrics.items()]
        named += list(m.rate_intervals.items())
        for name, agg in named:
            if agg is not None and agg.label():
                who = f" ({m.model or NONE})" if several else ""
                by_label[agg.label()].append(f"{label(name)}{who}")
    return list(by_label.items())


INTERVALS_NOTE = "Intervals over items (each item's repeats averaged first)"


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


LABELS = {
    "pass_rate": "pass rate",
    "error_rate": "error rate",
    "pass_at_k": "pass@k",
    "pass_hat_k": "pass^k",
    "block_rate": "block rate",
    "false_positive_rate": "false positives",
    "anonymization_rate": "anonymized",
    "policy_match_rate": "right policy",
    "cost_usd": "cost",
}


def label(aggregate: str) -> str:
    """A column heading for an aggregate: `block_rate.leetspeak` -> `block rate (leetspeak)`."""
    if aggregate in LABELS:
        return LABELS[aggregate]
    head, _, tail = aggregate.partition(".")
    if tail and head in LABELS:
        return f"{LABELS[head]} ({tail})"
    return aggregate


def aggregate(name: str, value: float | None) -> str:
    """An aggregate's value as its kind reads: rates in %, money in $, latency in ms, counts whole."""
    if value is None:
        return NONE
    if name == "cost_usd":
        return usd(value)
    if name.startswith("latency_ms."):
        return millis(value)
    if name in ("k", "tokens"):
        return count(round(value))
    if name.endswith(("_rate", "_k")) or ("_rate." in name):
        return rate(value)
    return f"{value:,.4g}"


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"
