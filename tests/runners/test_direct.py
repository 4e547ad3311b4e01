"""Direct evaluations end to end: a suite run against the emulator over HTTP, in process and as the command."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from evalcore.domain.results import CASES_FILE, RUN_FILE, read_run
from evalcore_emulator import Emulator
from tests.direct_suite import HAIKU, SONNET, cli, records, results, run, use_emulator, world, write_suite


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    use_emulator(monkeypatch, emulator)


def test_every_case_gets_one_result_with_answer_usage_latency_and_cost(emulator: Emulator, tmp_path: Path) -> None:
    suite = write_suite(tmp_path, metrics=["token_f1", "Builtin.Correctness", {"contains": "{{referenceResponse}}"}])

    outcome = run(suite, tmp_path / "out")

    cases = results(tmp_path / "out")
    assert len(cases) == 20 and outcome.run is not None
    assert len(emulator.requests("Converse")) == 40  # one model call and one judge call per case
    for case in cases.values():
        assert case.status in ("pass", "fail"), case.reason
        assert case.output and case.stop_reason == "end_turn"
        assert case.usage.input_tokens > 0 and case.usage.output_tokens > 0
        assert case.judge_usage.input_tokens > case.usage.input_tokens  # the judge's tokens are counted apart
        assert case.latency_ms is not None and case.latency_ms > 0
        assert case.cost_usd is not None and case.cost_usd > 0 and case.judge_cost_usd is not None
        assert {m.name for m in case.metrics} == {"token_f1", "Builtin.Correctness", "contains"}
        assert case.source is not None and case.source.endswith(tuple(f"qa.jsonl:{i}" for i in range(1, 11)))
    failed = [c for c in cases.values() if c.status == "fail"]
    assert all(c.reason and c.reason.startswith("contains: does not contain") for c in failed)
    summary = outcome.run.section("qa")
    assert summary is not None and summary.status == "ran"
    assert {m.model for m in summary.models} == {"haiku", "sonnet"}


def test_two_models_get_the_scores_their_world_quality_says(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_world(world(models={HAIKU: {"quality": 0.0}, SONNET: {"quality": 1.0}}))
    suite = write_suite(tmp_path, metrics=["exact_match", "token_f1", "Builtin.Correctness"])

    outcome = run(suite, tmp_path / "out")

    assert outcome.run is not None
    by_model = {m.model: m for m in outcome.run.sections[0].models}
    assert by_model["sonnet"].metrics["Builtin.Correctness"].mean == 1.0
    assert by_model["sonnet"].metrics["exact_match"].mean == 1.0
    assert by_model["haiku"].metrics["Builtin.Correctness"].mean == 0.0
    assert by_model["haiku"].metrics["exact_match"].mean == 0.0
    assert by_model["haiku"].pass_rate == 0.0 and by_model["sonnet"].pass_rate == 1.0


def test_prompt_and_system_are_templates_over_the_record(emulator: Emulator, tmp_path: Path) -> None:
    rows = [{"question": r["prompt"], "referenceResponse": r["referenceResponse"], "tone": "terse"} for r in records(2)]
    suite = write_suite(
        tmp_path, rows=rows, models={"haiku": HAIKU}, prompt="{{question}}", system="Be {{tone}}.", metrics=["token_f1"]
    )

    run(suite, tmp_path / "out")

    cases = results(tmp_path / "out").values()
    assert {c.prompt for c in cases} == {r["prompt"] for r in records(2)}
    assert all(c.system == "Be terse." and c.status == "pass" and c.output for c in cases)
    assert [r.target for r in emulator.requests("Converse")] == [HAIKU, HAIKU]


def test_inference_parameters_layer_defaults_then_model_then_evaluation(emulator: Emulator, tmp_path: Path) -> None:
    short = {"haiku": {"id": HAIKU, "inference": {"max_tokens": 2}}}
    run(write_suite(tmp_path / "model", rows=records(1), models=short, metrics=["token_f1"]), tmp_path / "m")
    run(
        write_suite(
            tmp_path / "evaluation", rows=records(1), models=short, metrics=["token_f1"], inference={"max_tokens": 300}
        ),
        tmp_path / "e",
    )

    (cut,) = results(tmp_path / "m").values()
    (full,) = results(tmp_path / "e").values()
    assert cut.stop_reason == "max_tokens" and cut.output is not None and len(cut.output) <= 8
    assert full.stop_reason == "end_turn" and full.output is not None and len(full.output) > 8


def test_inference_profile_and_arn_are_passed_as_the_model_id(emulator: Emulator, tmp_path: Path) -> None:
    profile = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{profile}"
    suite = write_suite(tmp_path, models={"profile": profile, "arn": arn}, rows=records(1), metrics=["token_f1"])

    run(suite, tmp_path / "out")

    cases = results(tmp_path / "out")
    assert {c.model_id for c in cases.values()} == {profile, arn}
    assert all(c.status == "pass" for c in cases.values())
    assert {r.target for r in emulator.requests("Converse")} == {profile, arn}


def test_an_unknown_model_is_an_error_with_the_reason_and_no_retry(emulator: Emulator, tmp_path: Path) -> None:
    suite = write_suite(tmp_path, models={"ghost": "anthropic.claude-ghost-v9:0", "haiku": HAIKU}, rows=records(3))

    outcome = run(suite, tmp_path / "out")

    cases = results(tmp_path / "out").values()
    ghost = [c for c in cases if c.model == "ghost"]
    assert len(ghost) == 3
    assert all(c.status == "error" and "ValidationException" in (c.reason or "") for c in ghost)
    assert all(c.attempts == 1 for c in ghost)
    assert len([r for r in emulator.requests("Converse") if r.target == "anthropic.claude-ghost-v9:0"]) == 3
    assert all(c.status != "error" for c in cases if c.model == "haiku")
    assert outcome.run is not None and outcome.run.verdict is not None


@pytest.mark.parametrize(
    ("kind", "retried"),
    [
        ("throttle", True),
        ("model_not_ready", True),
        ("internal_error", True),
        ("service_unavailable", True),
        ("model_timeout", True),
        ("connection_reset", True),
        ("malformed_body", True),
        ("access_denied", False),
        ("model_error", False),
    ],
)
def test_each_fault_class_gets_its_status(emulator: Emulator, tmp_path: Path, kind: str, retried: bool) -> None:
    emulator.set_world(world(faults=[{"kind": kind, "operation": "Converse", "first": 2}]))
    suite = write_suite(tmp_path, models={"haiku": HAIKU}, rows=records(1), metrics=["token_f1"])

    run(suite, tmp_path / "out")

    (case,) = results(tmp_path / "out").values()
    calls = emulator.requests("Converse")
    if retried:
        assert case.status == "pass" and case.attempts == 3
        assert [r.fault for r in calls] == [kind, kind, None]
    else:
        assert case.status == "error" and case.attempts == 1
        assert case.reason is not None and case.reason.startswith("model call failed: ")
        assert len(calls) == 1


def test_a_throttling_storm_loses_no_case_and_finishes(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_world(world(faults=[{"kind": "throttle", "operation": "Converse", "rate": 0.35}]))
    suite = write_suite(tmp_path, metrics=["token_f1", "Builtin.Correctness"], rows=records(10))

    started = time.monotonic()
    outcome = run(suite, tmp_path / "out", concurrency=8)

    cases = results(tmp_path / "out")
    lines = (tmp_path / "out" / CASES_FILE).read_text().splitlines()
    assert len(cases) == len(lines) == 20  # exactly one result per planned case
    assert all(c.status != "error" for c in cases.values()), [c.reason for c in cases.values()]
    throttled = [r for r in emulator.requests("Converse") if r.fault == "throttle"]
    assert len(throttled) >= 8
    assert sum(c.attempts for c in cases.values()) > 20
    assert outcome.run is not None and time.monotonic() - started < 60


def test_a_warm_cache_makes_no_model_call_and_gives_the_same_results(emulator: Emulator, tmp_path: Path) -> None:
    suite = write_suite(tmp_path, metrics=["token_f1", "Builtin.Correctness"])
    cache = tmp_path / "cache"
    run(suite, tmp_path / "cold", cache_dir=cache)
    emulator.clear_requests()

    run(suite, tmp_path / "warm", cache_dir=cache)

    assert emulator.requests() == []
    cold, warm = results(tmp_path / "cold"), results(tmp_path / "warm")
    assert cold.keys() == warm.keys()
    for case_id, case in warm.items():
        assert case.cached and not cold[case_id].cached
        assert (case.status, case.output, case.metrics, case.usage, case.judge_usage, case.cost_usd) == (
            cold[case_id].status,
            cold[case_id].output,
            cold[case_id].metrics,
            cold[case_id].usage,
            cold[case_id].judge_usage,
            cold[case_id].cost_usd,
        )


def test_case_ids_are_stable_across_runs_and_dataset_order(emulator: Emulator, tmp_path: Path) -> None:
    rows = records(6)
    first = run(write_suite(tmp_path / "a", rows=rows), tmp_path / "a" / "out")
    second = run(write_suite(tmp_path / "b", rows=list(reversed(rows))), tmp_path / "b" / "out")

    a, b = results(tmp_path / "a" / "out"), results(tmp_path / "b" / "out")
    assert a.keys() == b.keys()
    assert {(c.model, c.prompt) for c in a.values()} == {(c.model, c.prompt) for c in b.values()}
    assert all(a[i].item_key == b[i].item_key and a[i].output == b[i].output for i in a)
    assert first.run is not None and second.run is not None


def test_repeats_report_pass_at_k_and_pass_hat_k(emulator: Emulator, tmp_path: Path) -> None:
    suite = write_suite(
        tmp_path,
        rows=records(4),
        repeats=3,
        metrics=[{"contains": "{{referenceResponse}}"}],
        thresholds={"pass_at_k": {"min": 0.0}, "pass_hat_k": {"max": 1.0}},
    )

    outcome = run(suite, tmp_path / "out")

    assert len(results(tmp_path / "out")) == 4 * 2 * 3
    assert outcome.run is not None
    for summary in outcome.run.sections[0].models:
        rates = summary.rates
        assert rates["k"] == 3
        assert rates["pass_hat_k"] is not None and rates["pass_at_k"] is not None
        assert 0.0 <= rates["pass_hat_k"] <= (summary.pass_rate or 0.0) <= rates["pass_at_k"] <= 1.0
    assert outcome.run.verdict is not None
    checked = {(c.metric, c.model) for c in outcome.run.verdict.checks}
    assert {("pass_at_k", "haiku"), ("pass_hat_k", "sonnet")} <= checked


def test_an_unreadable_judge_verdict_makes_the_case_an_error(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_world(world(judge={"unreadable_rate": 1.0}))
    suite = write_suite(tmp_path, rows=records(2), models={"sonnet": SONNET}, metrics=["Builtin.Correctness"])

    outcome = run(suite, tmp_path / "out")

    cases = list(results(tmp_path / "out").values())
    assert all(c.status == "error" for c in cases)
    assert all("Builtin.Correctness: unreadable verdict after 3 attempts" in (c.reason or "") for c in cases)
    assert all(c.metrics[0].value is None and c.metrics[0].error for c in cases)
    assert outcome.run is not None and outcome.run.verdict is not None
    assert outcome.run.verdict.status != "passed"


def test_a_killed_run_resumes_to_the_same_results(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_world(world(models={HAIKU: {"quality": 0.5, "latency_ms": 100}, SONNET: {"latency_ms": 100}}))
    suite = write_suite(tmp_path, rows=records(8), metrics=["token_f1", "Builtin.Correctness"], concurrency=2)
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    child = cli(emulator, "run", str(suite), "--out", str(killed), "--no-cache", "--quiet")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = killed / CASES_FILE
        if done.exists() and len(done.read_text().splitlines()) >= 4:
            break
        time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=30)
    assert child.returncode == 3, stderr
    partial = results(killed)
    finished = {i for i, c in partial.items() if c.status != "error"}
    assert 4 <= len(finished) < 16
    assert read_run(killed / RUN_FILE).verdict.status == "error"  # type: ignore[union-attr]
    emulator.clear_requests()

    resumed = cli(emulator, "run", str(suite), "--resume", str(killed), "--no-cache", "--quiet")
    resumed.communicate(timeout=60)
    model_calls = [r for r in emulator.requests("Converse")]
    reference = cli(emulator, "run", str(suite), "--out", str(clean), "--no-cache", "--quiet")
    reference.communicate(timeout=60)

    assert resumed.returncode == reference.returncode
    after, expected = results(killed), results(clean)
    assert after.keys() == expected.keys() and len(after) == 16
    for case_id, case in expected.items():
        got = after[case_id]
        assert (got.status, got.output, got.metrics) == (case.status, case.output, case.metrics)
    assert len(model_calls) == 2 * (16 - len(finished))  # finished cases were not run again
    summary = json.loads((killed / RUN_FILE).read_text())
    assert summary["sections"][0]["status"] == "ran"
