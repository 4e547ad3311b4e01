"""Statistics for aggregates: means with standard errors and 95% confidence intervals, percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Two-sided 95% critical values of Student's t by degrees of freedom (1..30); beyond, the normal 1.96 is close.
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t95(df: int) -> float:
    if df < 1:
        return math.inf
    if df <= len(_T95):
        return _T95[df - 1]
    return 1.96 + 2.4 / df  # within 0.002 of the exact value for df > 30


def mean_ci(values: Sequence[float]) -> tuple[float | None, float | None, float | None, float | None]:
    """(mean, standard error, CI low, CI high); the interval uses Student's t. None where undefined."""
    n = len(values)
    if n == 0:
        return None, None, None, None
    mean = math.fsum(values) / n
    if n == 1:
        return mean, None, None, None
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    se = math.sqrt(var / n)
    half = t95(n - 1) * se
    return mean, se, mean - half, mean + half


def wilson(successes: int, n: int) -> tuple[float | None, float | None]:
    """95% Wilson score interval for a proportion (good for pass rates near 0 or 1)."""
    if n == 0:
        return None, None
    return wilson_score(successes / n, n, _Z95)


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) of already sorted values, linear interpolation between ranks."""
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


LEVEL = 0.95  # every interval evalcore reports is a two-sided 95% interval
_Z95 = 1.959964


@dataclass(frozen=True)
class Interval:
    """A labelled 95% interval for the mean of per-item values on 0-1: `n` items, `groups` clusters (if any)."""

    mean: float | None
    stderr: float | None
    low: float | None
    high: float | None
    n: int
    method: str  # "wilson" | "t-wilson" | "cluster-t-wilson" (README: statistics)
    groups: int | None = None


def item_interval(
    values: Sequence[float], clusters: Sequence[str] | None = None, weights: Sequence[float] | None = None
) -> Interval:
    """The 95% interval for the mean of per-item values on 0-1 (each item's repeats already averaged); with
    `weights` (an item's number of tries) the weighted mean, a share of all tries, its items still the unit.

    - Every value 0 or 1, no clusters, no weights: the Wilson score interval on n items (`wilson`).
    - Otherwise (graded scores, repeat averages): Student's t-interval mean +- t*se on n-1 degrees of freedom,
      widened to the Wilson interval on the effective sample size n_eff = p(1-p)/se^2 (same critical value)
      where that one reaches further (`t-wilson`). Inside 0-1 the t-interval is the wider; near 0 or 1, where the
      t-interval shrinks to nothing ([1, 1] when every item scores 1), the Wilson one keeps a width.
    - With `clusters` (one label per value) of at least two groups: the same with the cluster-robust standard
      error of the groups and t on G-1 degrees of freedom (`cluster-t-wilson`).
    When the values do not vary (se = 0), n_eff is the number of items: the interval of n equal 0/1 items."""
    n = len(values)
    if clusters is not None and len(set(clusters)) < 2:
        clusters = None
    if n == 0:
        return Interval(None, None, None, None, 0, "cluster-t-wilson" if clusters is not None else "wilson")
    if weights is not None and len(set(weights)) == 1:
        weights = None  # every item tried alike: the plain mean of the items
    w = weights if weights is not None else [1.0] * n
    mean = min(1.0, max(0.0, math.fsum(v * x for v, x in zip(values, w, strict=True)) / math.fsum(w)))
    if clusters is None and weights is None and all(v in (0.0, 1.0) for v in values):
        low, high = wilson_score(mean, n, _Z95)
        return Interval(mean, math.sqrt(mean * (1 - mean) / n), low, high, n, "wilson")
    groups = len(set(clusters)) if clusters is not None else n
    se = cluster_stderr(values, clusters, w) if groups > 1 else 0.0
    crit = t95(max(1, groups - 1))
    n_eff = mean * (1 - mean) / (se * se) if se > 0 and 0 < mean < 1 else float(n)
    w_low, w_high = wilson_score(mean, n_eff, crit)
    low, high = max(0.0, min(mean - crit * se, w_low)), min(1.0, max(mean + crit * se, w_high))
    if clusters is None:
        return Interval(mean, se, low, high, n, "t-wilson")
    return Interval(mean, se, low, high, n, "cluster-t-wilson", groups)


def cluster_stderr(values: Sequence[float], clusters: Sequence[str] | None, weights: Sequence[float]) -> float:
    """The cluster-robust (CR1) standard error of a weighted mean: weighted residuals summed within each cluster,
    squared, summed, scaled by G/(G-1), over the total weight squared; the sandwich estimator of a regression on a
    constant (Cameron & Miller 2015). One cluster per item (`clusters` None) and unit weights: the usual
    s/sqrt(n)."""
    total = math.fsum(weights)
    mean = math.fsum(v * x for v, x in zip(values, weights, strict=True)) / total
    if clusters is None:  # each item its own cluster: its weighted residual alone (no label per item held)
        residuals = (x * (v - mean) for v, x in zip(values, weights, strict=True))
        return math.sqrt(len(values) / (len(values) - 1) * math.fsum(r * r for r in residuals)) / total
    sums: dict[str, float] = {}
    for v, x, c in zip(values, weights, clusters, strict=True):
        sums[c] = sums.get(c, 0.0) + x * (v - mean)
    g = len(sums)
    return math.sqrt(g / (g - 1) * math.fsum(s * s for s in sums.values())) / total


def wilson_score(p: float, n: float, z: float) -> tuple[float, float]:
    """The Wilson score interval of a proportion p observed on (an effective) n with critical value z."""
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(max(0.0, p * (1 - p)) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
