"""`evalcore power`: how many items a section needs to detect a given effect, from a previous run's variance.

The standard deviation of a paired difference between two runs is estimated from one run: where items have
repeats, from the spread of an item's repeats (two runs differ by twice that within-item variance); otherwise from
the spread of the item means, an upper bound (two independent runs of the same items differ by at most twice the
variance of a single run's values). Items needed: the smallest n with (t.975 + t.80 on n-1 df) x sd / sqrt(n) at
most the effect, as the comparison's minimum detectable effect is computed (paired_tests).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from evalcore.domain.compare import metric_scale, outcome_values
from evalcore.domain.paired_tests import POWER, t_quantile
from evalcore.domain.results import CaseResult
from evalcore.domain.stats import t95


@dataclass(frozen=True)
class PowerRow:
    section: str
    model: str | None
    metric: str
    items: int
    sd_diff: float  # standard deviation of one item's paired difference
    source: str  # "repeats" or "items (upper bound)"
    mde: float | None  # at the items this run has
    needed: int | None  # items for the effect asked (on the metric's scale)


def power_table(cases: Iterable[CaseResult], effect: float) -> list[PowerRow]:
    values: dict[tuple[str, str | None, str], dict[str, list[float]]] = {}
    for case in cases:
        for metric, value in outcome_values(case).items():
            values.setdefault((case.section, case.model, metric), {}).setdefault(case.item_key, []).append(value)
    rows = []
    for (section, model, metric), items in sorted(values.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])):
        n = len(items)
        repeated = [v for v in items.values() if len(v) >= 2]
        if repeated:
            within = math.fsum(_var(v) for v in repeated) / len(repeated)
            sd, source = math.sqrt(2 * within), "repeats"
        else:
            sd, source = math.sqrt(2 * _var([v[0] for v in items.values()])) if n >= 2 else 0.0, "items (upper bound)"
        mde = _multiplier(n) * sd / math.sqrt(n) if n >= 2 else None
        rows.append(PowerRow(section, model, metric, n, sd, source, mde, _needed(sd, effect * metric_scale(metric))))
    return rows


def _var(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = math.fsum(values) / len(values)
    return math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)


def _multiplier(n: int) -> float:
    return t95(n - 1) + t_quantile(POWER, n - 1)


def _needed(sd: float, effect: float) -> int | None:
    if sd == 0.0:
        return None  # no spread seen: nothing to size from
    n = max(2, math.ceil((2.8 * sd / effect) ** 2))
    while _multiplier(n) * sd / math.sqrt(n) > effect:
        n += 1
    return n


def power_text(rows: list[PowerRow], effect: float) -> str:
    lines = [f"items needed to detect a change of {effect:g} (x the metric's scale) with 80% power, two-sided 5%:"]
    for r in rows:
        who = f"[{r.model}] " if r.model else ""
        mde = "-" if r.mde is None else f"{r.mde:.3f}"
        needed = "- (no spread)" if r.needed is None else str(r.needed)
        lines.append(
            f"  {r.section} {who}{r.metric}: {r.items} items, sd of a difference {r.sd_diff:.3f} ({r.source}), "
            f"MDE now {mde}, items needed {needed}"
        )
    return "\n".join(lines)
