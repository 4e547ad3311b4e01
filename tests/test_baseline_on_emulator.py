"""Comparisons of real runs on the emulator: a better model in the world is flagged, a re-run judged again with
fresh judge noise is not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalcore.app.orchestrate import RunOptions, run_suite
from evalcore.domain.compare import Comparison, compare
from evalcore.github.baseline import load_baseline
from evalcore_emulator import Emulator, World

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
JUDGE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
WORDS = ["amber", "birch", "cobalt", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper"]
ANSWERS = {
    f"What is the code word for item {i}?": f"The code word for item {i} is {WORDS[i % 10]}{i}." for i in range(60)
}


def _world(quality: float, noise: float = 0.0, judge_seed: int | None = None) -> World:
    return World.model_validate(
        {
            "answers": ANSWERS,
            "models": {MODEL: {"quality": quality}, JUDGE: {"quality": 1.0}},
            "judge": {"noise": noise, "seed": judge_seed},
        }
    )


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    (tmp_path / "qa.jsonl").write_text(
        "".join(json.dumps({"prompt": q, "referenceResponse": a}) + "\n" for q, a in ANSWERS.items())
    )
    path = tmp_path / "suite.yml"
    path.write_text(
        f"name: codes\ndefaults: {{judge: {JUDGE}}}\nmodels: {{m: {MODEL}}}\n"
        "evaluations:\n  - name: qa\n    dataset: qa.jsonl\n    models: [m]\n    metrics: [Builtin.Correctness]\n"
        "    thresholds: {error_rate: {max: 1}}\n"
    )
    return path


def _run(emulator: Emulator, world: World, suite: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    emulator.set_world(world)
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    run_suite(RunOptions(suite=suite, out=out, progress=False, cache_dir=None))
    return out


def _compare(base: Path, head: Path) -> Comparison:
    b = load_baseline(str(base), "codes", None, base)
    h = load_baseline(str(head), "codes", None, head)
    assert b is not None and h is not None
    return compare(b.run, b.cases, h.run, h.cases)


def _correctness(cmp: Comparison) -> str:
    return next(d.verdict for d in cmp.differences if d.metric == "Builtin.Correctness")


def test_a_better_model_in_the_world_is_flagged_as_an_improvement(
    emulator: Emulator, suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _run(emulator, _world(0.5), suite, tmp_path / "base", monkeypatch)
    head = _run(emulator, _world(0.95), suite, tmp_path / "head", monkeypatch)
    assert _correctness(_compare(base, head)) == "improvement"
    assert _correctness(_compare(head, base)) == "regression"


def test_the_same_world_judged_again_with_fresh_noise_is_not_flagged(
    emulator: Emulator, suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = [
        _run(emulator, _world(0.7, noise=0.15, judge_seed=seed), suite, tmp_path / f"run{seed}", monkeypatch)
        for seed in range(4)
    ]
    verdicts = [_correctness(_compare(runs[0], other)) for other in runs[1:]]
    assert verdicts == ["no_change"] * 3
