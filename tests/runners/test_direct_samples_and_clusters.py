"""Direct evaluations against the emulator (issue 21): a judge asked several times per answer (`judge_samples`),
each grade its own cache entry, and intervals clustered by a dataset field the section names (`cluster_by`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalcore.domain.results import RUN_FILE, read_run
from evalcore_emulator import Emulator
from tests.direct_suite import records, results, run, use_emulator, write_suite


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    use_emulator(monkeypatch, emulator)


def test_judge_samples_asks_the_judge_that_many_times_and_caches_each_grade(emulator: Emulator, tmp_path: Path) -> None:
    suite = write_suite(
        tmp_path,
        metrics=["Builtin.Correctness"],
        models={"haiku": "anthropic.claude-3-haiku-20240307-v1:0"},
        judge_samples=3,
    )
    cache = tmp_path / "cache"
    run(suite, tmp_path / "cold", cache_dir=cache)
    assert len(emulator.requests("Converse")) == 10 * (1 + 3)  # an answer and three grades per case
    cold = results(tmp_path / "cold")
    for case in cold.values():
        [score] = case.metrics
        assert score.value is not None and "mean of 3 grades" in (score.explanation or ""), score
    emulator.clear_requests()

    run(suite, tmp_path / "warm", cache_dir=cache)

    assert emulator.requests() == []  # every grade sample was its own entry, and is served again
    warm = results(tmp_path / "warm")
    assert {k: c.metrics for k, c in warm.items()} == {k: c.metrics for k, c in cold.items()}
    assert {k: c.judge_usage for k, c in warm.items()} == {k: c.judge_usage for k, c in cold.items()}


def test_cluster_by_gives_a_cluster_robust_interval_on_the_groups(emulator: Emulator, tmp_path: Path) -> None:
    rows = [{**r, "topic": f"t{i % 5}"} for i, r in enumerate(records(10))]
    suite = write_suite(
        tmp_path, rows=rows, models={"haiku": "anthropic.claude-3-haiku-20240307-v1:0"}, cluster_by="topic"
    )
    run(suite, tmp_path / "out")
    summary = read_run(tmp_path / "out" / RUN_FILE).sections[0].models[0]
    agg = summary.metrics["token_f1"]
    assert (agg.method, agg.groups, agg.n, agg.level) == ("cluster-t-wilson", 5, 10, 0.95)
    assert summary.pass_rate_interval is not None and summary.pass_rate_interval.groups == 5
    assert {c.cluster for c in results(tmp_path / "out").values()} == {f"t{i}" for i in range(5)}
