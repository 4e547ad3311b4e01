"""Intervals that cover (issue 21): seeded simulations of the issue's scenarios through `results.summarize`, the
interval of each aggregate, pass@k / pass^k on items, and a repeat without a result named, not absorbed."""

from __future__ import annotations

import pytest

from bench.intervals import coverage
from evalcore.domain.results import CaseResult, MetricScore, summarize

SIMS = 300  # about 2.5 points of binomial error at 95%: the bands below leave room for it


@pytest.mark.parametrize(
    "scenario",
    [
        "binary p=.98 n=10",
        "binary p=.98 n=30",
        "binary p=.98 n=100",
        "graded mean .97 n=10",
        "clustered 10x10 ICC .64",
        "pass rate 5 repeats",
    ],
)
def test_the_95_percent_interval_covers_the_true_mean_about_95_percent_of_the_time(scenario: str) -> None:
    assert 0.90 <= coverage(scenario, SIMS, seed=7) <= 1.0


def _case(item: str, value: float, repeat: int = 0, cluster: str | None = None, status: str = "") -> CaseResult:
    return CaseResult(
        case_id=f"{item}-{repeat}",
        section="qa",
        kind="evaluation",
        model="m",
        item_key=item,
        repeat=repeat,
        status=status or ("pass" if value == 1.0 else "fail"),  # type: ignore[arg-type]
        metrics=[MetricScore(name="exact_match", value=value)],
        cluster=cluster,
    )


def test_ten_items_all_correct_do_not_give_a_zero_width_interval() -> None:
    agg = summarize([_case(f"i{i}", 1.0) for i in range(10)])[("qa", "m")].metrics["exact_match"]
    assert agg.ci_high == pytest.approx(1.0)
    assert agg.ci_low is not None and agg.ci_low < 0.75
    assert (agg.level, agg.method, agg.n) == (0.95, "wilson", 10)


def test_graded_scores_at_the_ceiling_keep_a_width() -> None:
    cases = [_case(f"i{i}", 1.0) for i in range(9)] + [_case("i9", 0.75)]
    agg = summarize(cases)[("qa", "m")].metrics["exact_match"]
    assert agg.method == "t-wilson"
    assert agg.ci_low is not None and agg.ci_low < 0.9
    assert agg.ci_high is not None and agg.ci_high > agg.mean


def test_the_pass_rate_interval_is_over_items_not_repeats() -> None:
    cases = [_case(f"i{i}", float(r < 4), repeat=r) for i in range(10) for r in range(5)]
    summary = summarize(cases)[("qa", "m")]
    assert summary.pass_rate_interval is not None and summary.pass_rate_interval.n == 10
    low, high = summary.pass_rate_ci
    # 50 cases counted as independent gave [0.67, 0.89]; 10 identical items average 0.8 each.
    assert (low, high) == (summary.pass_rate_interval.ci_low, summary.pass_rate_interval.ci_high)


def test_items_in_groups_get_a_cluster_robust_interval_on_the_groups() -> None:
    cases = [_case(f"g{g}i{i}", float(g < 5), cluster=f"g{g}") for g in range(10) for i in range(10)]
    agg = summarize(cases)[("qa", "m")].metrics["exact_match"]
    assert (agg.method, agg.groups, agg.n) == ("cluster-t-wilson", 10, 100)
    unclustered = summarize([c.model_copy(update={"cluster": None}) for c in cases])[("qa", "m")]
    plain = unclustered.metrics["exact_match"]
    assert agg.ci_low is not None and plain.ci_low is not None and agg.ci_low < plain.ci_low - 0.1


def test_pass_at_k_and_pass_hat_k_have_intervals_over_items() -> None:
    cases = [_case(f"i{i}", float(r < i % 4), repeat=r) for i in range(12) for r in range(3)]
    summary = summarize(cases)[("qa", "m")]
    assert summary.rates["k"] == 3
    for name in ("pass_at_k", "pass_hat_k"):
        agg = summary.rate_intervals[name]
        assert agg.n == 12 and agg.mean == summary.rates[name]
        assert agg.ci_low is not None and agg.ci_high is not None and agg.ci_low <= agg.mean <= agg.ci_high


def test_an_item_missing_a_repeat_is_named_and_does_not_lower_k() -> None:
    cases = [_case(f"i{i}", 1.0, repeat=r) for i in range(4) for r in range(3) if (i, r) != (2, 2)]
    summary = summarize(cases)[("qa", "m")]
    assert summary.rates["k"] == 3
    assert summary.short_items == ["i2"]
    assert summary.rate_intervals["pass_hat_k"].n == 3
