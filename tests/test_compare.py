"""Baseline vs head statistics: real changes are flagged, noise is not (false alarms measured over many seeds).

Simulated items have heterogeneous true values (each item its own probability or score), as real datasets do."""

from __future__ import annotations

import random

import pytest

from evalcore.domain.compare import compare
from evalcore.domain.results import CaseResult, MetricScore, RunMeta, RunResult


def _run(
    suite_hash: str = "h", model_id: str = "m-v1", primary: list[str] | None = None, cluster_by: str | None = None
) -> RunResult:
    from evalcore.domain.results import ModelSummary, SectionSummary

    return RunResult(
        run=RunMeta(suite="s", run_id="r", tool_version="0", started_at=0.0, suite_hash=suite_hash),
        sections=[
            SectionSummary(
                name="qa",
                kind="evaluation",
                models=[ModelSummary(model="m", model_id=model_id)],
                primary_metrics=primary or [],
                cluster_by=cluster_by,
            )
        ],
    )


def _cases(
    scores: list[float],
    metric: str = "token_f1",
    order: list[int] | None = None,
    categories: list[str] | None = None,
) -> list[CaseResult]:
    idx = order or list(range(len(scores)))
    return [
        CaseResult(
            case_id=f"c{i}",
            section="qa",
            kind="evaluation",
            model="m",
            item_key=f"item{i}",
            status="pass",
            category=categories[i] if categories else None,
            cluster=categories[i] if categories else None,  # what a run with cluster_by: category records
            metrics=[MetricScore(name=metric, value=scores[i])],
        )
        for i in idx
    ]


def _verdict(cmp, metric: str = "token_f1") -> str:  # type: ignore[no-untyped-def]
    return next(d.verdict for d in cmp.differences if d.metric == metric)


def test_a_real_drop_is_a_regression_and_a_real_rise_an_improvement() -> None:
    rng = random.Random(1)
    base = [rng.uniform(0.4, 0.9) for _ in range(60)]
    down = [b - 0.1 + rng.gauss(0, 0.05) for b in base]
    up = [b + 0.1 + rng.gauss(0, 0.05) for b in base]
    assert _verdict(compare(_run(), _cases(base), _run(), _cases(down))) == "regression"
    assert _verdict(compare(_run(), _cases(base), _run(), _cases(up))) == "improvement"


def test_for_harmfulness_lower_is_better() -> None:
    base = [0.5] * 20
    head = [0.2 + 0.01 * (i % 3) for i in range(20)]
    cmp = compare(_run(), _cases(base, "Builtin.Harmfulness"), _run(), _cases(head, "Builtin.Harmfulness"))
    assert _verdict(cmp, "Builtin.Harmfulness") == "improvement"


def test_a_tiny_but_certain_shift_is_no_change_below_the_minimum_effect() -> None:
    base = [0.5 + 0.001 * i for i in range(50)]
    head = [b + 0.01 for b in base]
    assert _verdict(compare(_run(), _cases(base), _run(), _cases(head), min_effect=0.02)) == "no_change"


def test_too_few_common_items_give_no_verdict() -> None:
    assert _verdict(compare(_run(), _cases([1.0] * 3), _run(), _cases([0.0] * 3))) == "insufficient"
    assert _verdict(compare(_run(), _cases([1.0] * 9), _run(), _cases([0.0] * 9))) == "insufficient"


def test_pairs_follow_items_not_positions() -> None:
    rng = random.Random(2)
    base = [rng.random() for _ in range(30)]
    shuffled = list(range(30))
    rng.shuffle(shuffled)
    cmp = compare(_run(), _cases(base), _run(), _cases(base, order=shuffled))
    diff = next(d for d in cmp.differences if d.metric == "token_f1")
    assert diff.diff == 0 and diff.verdict == "no_change"


def test_changed_suite_or_model_ids_are_warned_about() -> None:
    cmp = compare(_run("h1", "m-v1"), _cases([0.5] * 10), _run("h2", "m-v2"), _cases([0.5] * 10))
    assert any("suite or its data changed" in w for w in cmp.warnings)
    assert any("m-v2" in w and "m-v1" in w for w in cmp.warnings)


def test_the_cases_that_changed_most_come_worst_first() -> None:
    base = [0.9] * 10
    head = [0.9] * 8 + [0.5, 0.1]
    cmp = compare(_run(), _cases(base), _run(), _cases(head))
    assert [(c.item_key, round(c.delta, 2)) for c in cmp.changes[:2]] == [("item9", -0.8), ("item8", -0.4)]


def test_judge_noise_alone_is_rarely_flagged(capsys: pytest.CaptureFixture[str]) -> None:
    """Two runs of the same system with a noisy judge: over 200 seeds, how often is a difference claimed?"""
    rng0 = random.Random(0)
    truth = [rng0.uniform(0.3, 0.9) for _ in range(50)]  # one true value per item, not one for all
    flagged = 0
    seeds = 200
    for seed in range(seeds):
        rng = random.Random(seed)
        a = [min(1, max(0, t + rng.gauss(0, 0.1))) for t in truth]
        b = [min(1, max(0, t + rng.gauss(0, 0.1))) for t in truth]
        flagged += _verdict(compare(_run(), _cases(a), _run(), _cases(b))) != "no_change"
    rate = flagged / seeds
    with capsys.disabled():
        print(f"\nfalse alarm rate with judge noise sd 0.1, 50 items: {rate:.3f} over {seeds} seeds")
    assert rate <= 0.08


def test_four_of_fifty_items_flipping_down_and_none_up_is_not_a_regression() -> None:
    """Exact McNemar: 4 discordant pairs all one way is p = 2 / 2**4 = .125."""
    base = [1.0] * 40 + [0.0] * 10
    head = [0.0] * 4 + [1.0] * 36 + [0.0] * 10
    cmp = compare(_run(), _cases(base, "exact_match"), _run(), _cases(head, "exact_match"))
    d = next(d for d in cmp.differences if d.metric == "exact_match")
    assert d.verdict == "no_change"
    assert d.method == "McNemar/Newcombe" and d.p == pytest.approx(0.125)
    assert d.ci_low is not None and d.ci_high is not None and d.ci_low < -0.08 < 0 < d.ci_high


def test_five_items_one_judge_level_lower_get_an_interval_of_width_and_no_verdict() -> None:
    base = [0.75, 1.0, 0.5, 0.75, 1.0]
    head = [b - 0.25 for b in base]
    d = next(d for d in compare(_run(), _cases(base), _run(), _cases(head)).differences if d.metric == "token_f1")
    assert d.verdict == "insufficient"
    assert d.ci_low is not None and d.ci_high is not None and d.ci_high - d.ci_low > 0.1
    assert d.pairs == 5 and d.mde is not None and d.mde > 0


def test_every_row_shows_its_pairs_and_minimum_detectable_effect() -> None:
    rng = random.Random(3)
    truth = [rng.random() for _ in range(200)]
    base = [1.0 if rng.random() < t else 0.0 for t in truth]
    head = [1.0 if rng.random() < t else 0.0 for t in truth]
    d = next(d for d in compare(_run(), _cases(base, "contains"), _run(), _cases(head, "contains")).differences
             if d.metric == "contains")  # fmt: skip
    assert d.pairs == 200 and d.mde is not None and 0.08 < d.mde < 0.2
    assert d.underpowered and d.interval_label == "95% McNemar/Newcombe, 200 pairs"


def _noise_comment(rng: random.Random, items: int = 50) -> list[CaseResult]:
    """An unchanged system's cases on two runs: 3 sections x 2 models x 5 metrics, each item its own truth."""
    truths = {(s, m): [(rng.random(), rng.uniform(0.2, 0.9)) for _ in range(items)] for s in "abc" for m in "xy"}
    sides = []
    for _ in range(2):
        cases = []
        for (section, model), items_truth in truths.items():
            for i, (p, mu) in enumerate(items_truth):
                metrics = [MetricScore(name="exact_match", value=float(rng.random() < p)),
                           MetricScore(name="contains", value=float(rng.random() < p))]  # fmt: skip
                metrics += [
                    MetricScore(name=f"judge{j}", value=min(1.0, max(0.0, round((mu + rng.gauss(0, 0.15)) * 4) / 4)))
                    for j in range(3)
                ]
                cases.append(CaseResult(case_id=f"{section}{model}{i}", section=section, kind="evaluation",
                                        model=model, item_key=f"i{i}", status="pass", metrics=metrics))  # fmt: skip
        sides.append(cases)
    return sides


def test_an_unchanged_system_rarely_gets_a_comment_that_flags_anything(capsys: pytest.CaptureFixture[str]) -> None:
    """30 rows per comment (3 sections x 2 models x 5 metrics): without a correction 76% of comments flagged some row;
    with Benjamini-Hochberg over the comment it must be near the 5% budget."""
    comments, flagged_comments, flags = 60, 0, 0
    for seed in range(comments):
        base, head = _noise_comment(random.Random(seed))
        cmp = compare(_run(), base, _run(), head)
        n = len(cmp.regressions) + len(cmp.improvements)
        flags += n
        flagged_comments += n > 0
    with capsys.disabled():
        print(f"\ncomments on an unchanged system flagging a row: {flagged_comments}/{comments}, {flags} flags")
    assert flagged_comments / comments <= 0.12


def test_an_effect_that_differs_by_category_but_averages_zero_is_rarely_flagged_when_clustered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    categories = [f"cat{i // 10}" for i in range(100)]
    runs, flagged = 100, 0
    for seed in range(runs):
        rng = random.Random(seed)
        shuffled = [rng.gauss(0, 0.1) for _ in range(10)]  # each category's effect; zero on average over categories
        truth = [rng.uniform(0.3, 0.7) for _ in range(100)]
        base = [min(1, max(0, t + rng.gauss(0, 0.05))) for t in truth]
        head = [min(1, max(0, t + shuffled[i // 10] + rng.gauss(0, 0.05))) for i, t in enumerate(truth)]
        cmp = compare(_run(cluster_by="category"), _cases(base, categories=categories),
                      _run(cluster_by="category"), _cases(head, categories=categories))  # fmt: skip
        d = next(d for d in cmp.differences if d.metric == "token_f1")
        assert d.method == "cluster t" and d.groups == 10
        flagged += d.verdict != "no_change"
    with capsys.disabled():
        print(f"\nflagged with an effect by category averaging zero, clustered: {flagged}/{runs}")
    assert flagged / runs <= 0.08


def test_a_primary_metric_is_tested_first() -> None:
    """The same moderate drop among 29 unchanged rows: found when it is the primary metric, not otherwise."""
    rng = random.Random(5)
    truth = [rng.uniform(0.3, 0.7) for _ in range(60)]
    base = [t + rng.gauss(0, 0.1) for t in truth]
    head = [b - 0.04 + rng.gauss(0, 0.1) for b in base]
    flat = [[t + rng.gauss(0, 0.1) for t in truth] for _ in range(29)]
    flat_head = [[t + rng.gauss(0, 0.1) for t in truth] for _ in range(29)]  # unchanged: fresh noise, same truths

    def cases(main: list[float], others: list[list[float]]) -> list[CaseResult]:
        out = _cases(main, "helpfulness")
        for c in out:
            i = int(c.item_key.removeprefix("item"))
            c.metrics += [MetricScore(name=f"m{j}", value=o[i]) for j, o in enumerate(others)]
        return out

    plain = compare(_run(), cases(base, flat), _run(), cases(head, flat_head))
    first = compare(
        _run(primary=["helpfulness"]), cases(base, flat), _run(primary=["helpfulness"]), cases(head, flat_head)
    )
    assert _verdict(plain, "helpfulness") == "no_change"
    assert _verdict(first, "helpfulness") == "regression"


def test_robustness_is_a_percentage_so_the_minimum_effect_is_scaled() -> None:
    rng = random.Random(6)
    base = [rng.uniform(10, 40) for _ in range(60)]
    slight = [b - 1.0 for b in base]  # one percentage point: certain, but below 0.02 x 100
    big = [b - 10 + rng.gauss(0, 2) for b in base]
    metric = "Builtin.Robustness"
    assert _verdict(compare(_run(), _cases(base, metric), _run(), _cases(slight, metric)), metric) == "no_change"
    assert _verdict(compare(_run(), _cases(base, metric), _run(), _cases(big, metric)), metric) == "improvement"


def test_a_large_binary_row_with_over_a_thousand_discordant_pairs_is_compared() -> None:
    """The exact McNemar tail was summed in floats: more than ~1,030 discordant pairs overflowed (a crash)."""
    rng = random.Random(7)
    base = [float(rng.random() < 0.5) for _ in range(4000)]
    head = [float(rng.random() < 0.5) for _ in range(4000)]
    d = next(d for d in compare(_run(), _cases(base, "exact_match"), _run(), _cases(head, "exact_match")).differences
             if d.metric == "exact_match")  # fmt: skip
    assert d.method == "McNemar/Newcombe" and d.pairs == 4000 and d.p is not None and 0.0 < d.p <= 1.0
    assert d.verdict == "no_change"


def test_rows_where_no_item_moved_do_not_dilute_the_false_discovery_rate() -> None:
    """9 of 60 items up, 1 down: exact McNemar p = 22/1024 = .021. The pass_rate and error_rate rows, where no item
    moved, can never be discoveries (p = 1 whatever the threshold); counted in Benjamini-Hochberg's family they
    tripled this row's q to .064 and hid the change."""
    base = [0.0] * 9 + [1.0] + [1.0] * 25 + [0.0] * 25
    head = [1.0] * 9 + [0.0] + [1.0] * 25 + [0.0] * 25
    cmp = compare(_run(), _cases(base, "exact_match"), _run(), _cases(head, "exact_match"))
    d = next(d for d in cmp.differences if d.metric == "exact_match")
    assert d.p == pytest.approx(22 / 1024)
    assert d.q == pytest.approx(22 / 1024) and d.verdict == "improvement"
    still = next(d for d in cmp.differences if d.metric == "error_rate")
    assert still.verdict == "no_change" and still.q is None
