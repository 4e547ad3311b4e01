"""The example suites end to end under a fault mix in the emulator's world, over 20 fault seeds: throttling (10%),
5xx (2%), connection resets (1%), cut agent event streams, and one evaluation job that fails. Every planned case
ends in exactly one result; wherever the case's final attempt succeeded, its verdict is the fault-free run's; every
error says why."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from evalcore.app.orchestrate import RunOptions, prepare, run_suite
from evalcore.domain.results import CASES_FILE, CaseResult, read_cases
from evalcore_emulator import Emulator, World, load_world

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SUITES = sorted(EXAMPLES.glob("*/suite.yml"))
SEEDS = range(20)
SHARDS = 4  # to keep the test fast
FAILING_JOB = r"qa-jobs-sonnet-3-\d+-[0-9a-f]{10}$"  # the sonnet-3 job of examples/managed-jobs, not sonnet-3-5's

FAULT_MIX: list[dict[str, Any]] = [
    {"kind": "throttle", "rate": 0.10},
    {"kind": "internal_error", "rate": 0.01},
    {"kind": "service_unavailable", "rate": 0.01},
    {"kind": "connection_reset", "rate": 0.01},
    {"kind": "stream_cut", "operation": "InvokeAgent", "rate": 0.15},
]


def faulty_world(seed: int) -> World:
    """The default world with the fault mix. The world's `seed` also decides which answers are right, so the
    fault sequences are varied another way: each fault's generator is seeded with its index in the list, and
    `seed` inert faults (an operation no call has) in front shift every index."""
    world = load_world().model_dump(mode="json")
    padding = [{"kind": "throttle", "operation": "NoSuchOperation"}] * seed
    world["faults"] = padding + FAULT_MIX
    world["jobs"] = {**world["jobs"], "duration_seconds": 0.05, "fail_name_pattern": FAILING_JOB}
    return World.model_validate(world)


def verdict(result: CaseResult) -> tuple[Any, ...]:
    """What a case concluded: its status, output and scores (not timings, attempts or token counts)."""
    scores = tuple(sorted((m.name, m.value, m.passed) for m in result.metrics))
    return result.status, result.output, scores


def run_examples(out: Path, shard: str | None = None) -> dict[str, list[CaseResult]]:
    """Every example suite once (or its `shard` of the cases), all at once, without the cache; the results lines
    by suite."""

    def one(suite: Path) -> list[CaseResult]:
        folder = out / suite.parent.name
        run_suite(RunOptions(suite=suite, out=folder, shard=shard, progress=False, log=lambda line: None))
        return list(read_cases(folder / CASES_FILE))

    with ThreadPoolExecutor(len(SUITES)) as pool:
        return dict(zip([s.parent.name for s in SUITES], pool.map(one, SUITES), strict=True))


@pytest.fixture(scope="module")
def aws_at_emulator(emulator_server: Emulator) -> Iterator[Emulator]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in emulator_server.env().items():
            mp.setenv(key, value)
        yield emulator_server
    emulator_server.set_world(None)


@pytest.fixture(scope="module")
def fault_free(aws_at_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    world = faulty_world(0).model_dump(mode="json")
    world["faults"] = []
    aws_at_emulator.set_world(World.model_validate(world))
    runs = run_examples(tmp_path_factory.mktemp("fault-free"))
    return {name: {r.case_id: r for r in results} for name, results in runs.items()}


def test_every_example_suite_is_covered() -> None:
    assert {p.parent.name for p in SUITES} >= {"quickstart", "guardrails", "agents", "managed-jobs"}


def test_the_fault_free_run_has_no_errors_except_the_failing_job(fault_free: dict[str, dict[str, Any]]) -> None:
    for name, results in fault_free.items():
        errors = [r for r in results.values() if r.status == "error"]
        if name == "managed-jobs":
            assert errors and all("Failed" in (r.reason or "") or "failed" in (r.reason or "") for r in errors)
            assert {r.model for r in errors} == {"sonnet-3"}
        else:
            assert errors == [], name


def test_faults_lose_no_case_and_change_no_verdict_of_a_case_that_succeeded(
    aws_at_emulator: Emulator,
    fault_free: dict[str, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for seed in SEEDS:
        shard = f"{seed % SHARDS + 1}/{SHARDS}"  # each seed runs a quarter of the cases: each case sees 5 seeds
        planned = {s.parent.name: {c.id for c in prepare(RunOptions(suite=s, shard=shard)).plan.cases} for s in SUITES}
        aws_at_emulator.set_world(faulty_world(seed))
        aws_at_emulator.clear_requests()
        runs = run_examples(tmp_path / f"seed-{seed}", shard)
        log = aws_at_emulator.requests()
        counts.update(f"fault {e.fault}" for e in log if e.fault not in (None, "latency"))
        counts["calls"] += len(log)
        for name, lines in runs.items():
            ids = [r.case_id for r in lines]
            assert sorted(ids) == sorted(planned[name]), f"seed {seed}, {name}: cases lost or doubled"
            for result in lines:
                before = fault_free[name][result.case_id]
                counts[f"case {result.status}"] += 1
                if result.status == "error":
                    assert result.reason, f"seed {seed}, {name}, {result.case_id}: an error without a reason"
                    reasons[re.sub(r"[0-9a-f]{10}", "<hash>", result.reason.split(":")[0])[:70]] += 1
                    continue
                counts["retried cases"] += result.attempts > 1
                assert verdict(result) == verdict(before), f"seed {seed}, {name}, {result.case_id}"
    with capsys.disabled():
        print(f"\nfaults over {len(SEEDS)} seeds: {dict(sorted(counts.items()))}")
        print(f"error reasons: {dict(reasons.most_common())}")
    assert counts["fault throttle"] and counts["fault connection_reset"] and counts["fault stream_cut"]
