"""Baseline vs head statistics: real changes are flagged, noise is not (false alarms measured over many seeds)."""

from __future__ import annotations

import random

import pytest

from evalcore.compare import compare
from evalcore.results import CaseResult, MetricScore, RunMeta, RunResult


def _run(suite_hash: str = "h", model_id: str = "m-v1") -> RunResult:
    from evalcore.results import ModelSummary, SectionSummary

    return RunResult(
        run=RunMeta(suite="s", run_id="r", tool_version="0", started_at=0.0, suite_hash=suite_hash),
        sections=[SectionSummary(name="qa", kind="evaluation", models=[ModelSummary(model="m", model_id=model_id)])],
    )


def _cases(scores: list[float], metric: str = "token_f1", order: list[int] | None = None) -> list[CaseResult]:
    idx = order or list(range(len(scores)))
    return [
        CaseResult(
            case_id=f"c{i}",
            section="qa",
            kind="evaluation",
            model="m",
            item_key=f"item{i}",
            status="pass",
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
    truth = [random.Random(0).uniform(0.3, 0.9) for _ in range(50)]
    flagged = 0
    seeds = 200
    for seed in range(seeds):
        rng = random.Random(seed)
        a = [min(1, max(0, t + rng.gauss(0, 0.1))) for t in truth]
        b = [min(1, max(0, t + rng.gauss(0, 0.1))) for t in truth]
        flagged += _verdict(compare(_run(), _cases(a), _run(), _cases(b), seed=seed, resamples=400)) != "no_change"
    rate = flagged / seeds
    with capsys.disabled():
        print(f"\nfalse alarm rate with judge noise sd 0.1, 50 items: {rate:.3f} over {seeds} seeds")
    assert rate <= 0.05
