"""Paired small-sample tests for the baseline-vs-head comparison, and the false discovery rate across a comment.

One row is one (section, model, metric): n items, each with a base and a head value (repeats averaged per item
first). The test depends on the values:

* 0/1 on both sides (exact match, contains, pass/fail): the **exact McNemar** test (a two-sided binomial test on the
  discordant pairs) and **Newcombe's** paired interval for the difference of two proportions (Newcombe 1998,
  method 11: continuity-corrected Wilson limits of both margins joined with the pairs' correlation, so it agrees
  with the exact test where the uncorrected one is too narrow). Never zero width.
* anything else (judge levels, F1, repeats averaged): the **paired t** test on the item differences, n-1 df.
* the suite names a group field (`cluster_by`): a **cluster-robust t** on the differences (CR1 variance of the
  mean, G-1 degrees of freedom for G groups), whatever the values, so an effect that differs by group but averages
  zero is not mistaken for a change of the whole.

No zero width: a row whose differences have no spread (every item moved by the same step, or none moved) gets the
standard error of one item having moved by one step of the metric (`step / n`), so five items one judge level lower
are an interval of width, not a certainty. Below `MIN_PAIRS` items no significance is claimed at all.

Power: the minimum detectable effect (MDE) at 80% power, two-sided 5%, is (t.975 + t.80) x the standard error on
the test's degrees of freedom (for McNemar, the paired differences' standard error with n-1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from evalcore.domain.stats import t95

MIN_PAIRS = 10  # fewer items than this: an interval and an MDE are shown, no significance is claimed
FDR = 0.05  # the false discovery rate controlled across one comparison
POWER = 0.80
_Z95 = 1.959964


@dataclass(frozen=True)
class PairedTest:
    diff: float  # mean of head - base over the items
    ci_low: float
    ci_high: float
    p: float
    method: str  # "McNemar/Newcombe", "paired t", "cluster t"
    pairs: int
    groups: int | None  # clusters, when clustered
    mde: float  # minimum detectable effect, 80% power, two-sided 5%


def paired_test(
    base: Sequence[float], head: Sequence[float], step: float, groups: Sequence[str] | None = None
) -> PairedTest | None:
    """The test for one row; None below two pairs. `step` is the metric's smallest step (1 for 0/1 metrics);
    `groups` (one label per item) clusters the differences when it holds at least two labels."""
    n = len(base)
    if n < 2:
        return None
    diffs = [h - b for b, h in zip(base, head, strict=True)]
    mean = math.fsum(diffs) / n
    floor = step / n
    labels = sorted(set(groups)) if groups is not None else []
    if groups is not None and len(labels) >= 2:
        sums = dict.fromkeys(labels, 0.0)
        for g, d in zip(groups, diffs, strict=True):
            sums[g] += d - mean
        g_count = len(labels)
        se = max(math.sqrt(g_count / (g_count - 1) * math.fsum(s * s for s in sums.values())) / n, floor)
        df = g_count - 1
        half = t95(df) * se
        return PairedTest(mean, mean - half, mean + half, t_two_sided_p(mean / se, df), "cluster t", n, g_count,
                          _mde(se, df))  # fmt: skip
    se = max(math.sqrt(math.fsum((d - mean) ** 2 for d in diffs) / (n - 1) / n), floor)
    if _binary(base) and _binary(head):
        up = sum(1 for d in diffs if d > 0.5)
        down = sum(1 for d in diffs if d < -0.5)
        both = sum(1 for b, h in zip(base, head, strict=True) if b > 0.5 and h > 0.5)
        low, high = newcombe_paired(both, up, down, n - both - up - down)
        return PairedTest(mean, low, high, mcnemar_exact_p(up, down), "McNemar/Newcombe", n, None, _mde(se, n - 1))
    half = t95(n - 1) * se
    return PairedTest(mean, mean - half, mean + half, t_two_sided_p(mean / se, n - 1), "paired t", n, None,
                      _mde(se, n - 1))  # fmt: skip


def _binary(values: Sequence[float]) -> bool:
    return all(v == 0.0 or v == 1.0 for v in values)


def _mde(se: float, df: int) -> float:
    return (t95(df) + t_quantile(POWER, df)) * se


def mcnemar_exact_p(up: int, down: int) -> float:
    """Two-sided exact McNemar p: twice the smaller binomial tail of the discordant pairs at 1/2, at most 1."""
    n = up + down
    if n == 0:
        return 1.0
    k = min(up, down)
    # In integers, divided once: a float sum of the binomial coefficients overflows past ~1,030 discordant pairs.
    term, tail = 1, 1
    for i in range(k):
        term = term * (n - i) // (i + 1)
        tail += term
    return min(1.0, 2 * tail / 2**n)


def newcombe_paired(both: int, up: int, down: int, neither: int) -> tuple[float, float]:
    """95% interval of p_head - p_base for paired 0/1 outcomes (Newcombe 1998, method 11, continuity-corrected).
    both: 1 in both runs; up: 0 -> 1; down: 1 -> 0; neither: 0 in both."""
    n = both + up + down + neither
    p_head, p_base = (both + up) / n, (both + down) / n
    l_head, u_head = wilson_cc(both + up, n)
    l_base, u_base = wilson_cc(both + down, n)
    margins = (both + up) * (down + neither) * (both + down) * (up + neither)
    cross: float = both * neither - up * down
    if cross > 0:
        cross = max(cross - n / 2, 0.0)
    phi = cross / math.sqrt(margins) if margins else 0.0
    theta = p_head - p_base
    dl = math.sqrt(max(0.0, (p_head - l_head) ** 2 - 2 * phi * (p_head - l_head) * (u_base - p_base)
                       + (u_base - p_base) ** 2))  # fmt: skip
    du = math.sqrt(max(0.0, (u_head - p_head) ** 2 - 2 * phi * (u_head - p_head) * (p_base - l_base)
                       + (p_base - l_base) ** 2))  # fmt: skip
    return max(-1.0, theta - dl), min(1.0, theta + du)


def wilson_cc(successes: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval with continuity correction (Newcombe 1998, method 4)."""
    z = _Z95
    p = successes / n
    low = 0.0
    if successes > 0:
        low = (2 * n * p + z * z - 1 - z * math.sqrt(z * z - 2 - 1 / n + 4 * p * (n * (1 - p) + 1))) / (2 * (n + z * z))
    high = 1.0
    if successes < n:
        high = (2 * n * p + z * z + 1 + z * math.sqrt(z * z + 2 - 1 / n + 4 * p * (n * (1 - p) - 1))) / (
            2 * (n + z * z)
        )
    return max(0.0, low), min(1.0, high)


# ---- Student's t ---------------------------------------------------------------------------------------------


def t_two_sided_p(t: float, df: int) -> float:
    """P(|T| >= |t|) for Student's t with df degrees of freedom."""
    if math.isinf(t):
        return 0.0
    return _betai(df / 2, 0.5, df / (df + t * t))


def t_quantile(q: float, df: int) -> float:
    """The q-quantile (q > 0.5) of Student's t, by bisection on the two-sided p."""
    target = 2 * (1 - q)
    low, high = 0.0, 100.0
    for _ in range(80):
        mid = (low + high) / 2
        if t_two_sided_p(mid, df) > target:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _betai(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) (continued fraction, Numerical Recipes 6.4)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1 - x) / b


def _betacf(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for num in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 3e-14:
            break
    return h


# ---- the false discovery rate --------------------------------------------------------------------------------


def benjamini_hochberg(p_values: Sequence[float], primary: Sequence[bool] | None = None) -> list[float]:
    """BH-adjusted p-values (q-values); a row is a discovery when its q <= FDR. With `primary` rows named (and
    others too), the weighted procedure of Genovese, Roeder and Wasserman (2006): the primary rows share half of
    the weight whatever their number, the others the other half (weights average 1, so the FDR stays controlled)."""
    m = len(p_values)
    if m == 0:
        return []
    weights = [1.0] * m
    if primary is not None:
        m1 = sum(primary)
        if 0 < m1 < m:
            weights = [m / (2 * m1) if p else m / (2 * (m - m1)) for p in primary]
    scaled = [min(1.0, p / w) for p, w in zip(p_values, weights, strict=True)]
    order = sorted(range(m), key=lambda i: scaled[i])
    adjusted = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, scaled[i] * m / rank)
        adjusted[i] = min(1.0, running)
    return adjusted
