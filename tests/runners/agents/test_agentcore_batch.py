"""Managed AgentCore batch evaluations (`evaluation: {mode: agentcore-batch}`) end to end: the CLI against the
emulator's StartBatchEvaluation/GetBatchEvaluation/StopBatchEvaluation, results read from moto's CloudWatch Logs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcore.app.cli import main
from evalcore.domain.results import CASES_FILE, CaseResult, final_cases
from evalcore.runners.job_registry import read_jobs
from evalcore_emulator import Emulator, load_world
from tests.direct_suite import use_emulator

ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/claims_agent-Rt0123abcd"
STEP = {"steps": ["Run the dataset scenario."], "expected_results": ["AgentCore scores it."]}


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    world = load_world()
    world.jobs = world.jobs.model_copy(update={"duration_seconds": 0.05})
    emulator.set_world(world)
    use_emulator(monkeypatch, emulator)


def _suite(tmp_path: Path, scenarios: list[str], evaluators: list[str], **evaluation: Any) -> Path:
    suite = {
        "version": 1,
        "name": "batch-test",
        "agents": [
            {
                "name": "claims-batch",
                "target": {"type": "agentcore-runtime", "agent_runtime_arn": ARN, "qualifier": "prod"},
                "agentcore_evaluators": evaluators,
                "evaluation": {"mode": "agentcore-batch", "dataset_id": "claims-scenarios", "poll_seconds": 0.1}
                | evaluation,
                "tests": {s: STEP for s in scenarios},
            }
        ],
    }
    path = tmp_path / "suite.yml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def _results(out: Path) -> dict[str, CaseResult]:
    return {c.source or "": c for c in final_cases(out / CASES_FILE)}


def test_a_managed_batch_evaluation_writes_one_case_per_scenario_with_the_evaluators_scores(
    tmp_path: Path, emulator: Emulator
) -> None:
    suite = _suite(
        tmp_path, ["open_claims", "missing_documents"], ["Builtin.Helpfulness", "Builtin.ToolSelectionAccuracy"]
    )

    code = main(["run", str(suite), "--out", str(tmp_path / "out")])

    cases = _results(tmp_path / "out")
    assert sorted(cases) == ["missing_documents", "open_claims"]
    for case in cases.values():
        assert case.status == "pass", case.reason
        scores = {m.name: m.value for m in case.metrics}
        assert scores["agentcore:Builtin.ToolSelectionAccuracy"] == 1.0
        assert scores["agentcore:Builtin.Helpfulness"] is not None
    assert code == 0
    starts = emulator.requests("StartBatchEvaluation")
    assert len(starts) == 1 and starts[0].status == 202


def test_a_scenario_an_evaluator_cannot_score_is_an_error_never_a_pass(tmp_path: Path) -> None:
    # claims_process has no expected tools in the dataset: ToolSelectionAccuracy cannot score its session.
    suite = _suite(tmp_path, ["open_claims", "claims_process", "not_in_dataset"], ["Builtin.ToolSelectionAccuracy"])

    code = main(["run", str(suite), "--out", str(tmp_path / "out")])

    cases = _results(tmp_path / "out")
    assert cases["open_claims"].status == "pass"
    assert cases["claims_process"].status == "error"
    assert "could not score" in (cases["claims_process"].reason or "")
    assert cases["not_in_dataset"].status == "error"
    assert "no result" in (cases["not_in_dataset"].reason or "")
    assert code == 1  # the gate's error_rate rule fails the run


def test_sigterm_stops_the_batch_evaluation_and_a_resumed_run_reattaches_to_the_recorded_one(
    tmp_path: Path, emulator: Emulator
) -> None:
    world = load_world()
    world.jobs = world.jobs.model_copy(update={"duration_seconds": 30.0})
    emulator.set_world(world)
    suite = _suite(tmp_path, ["open_claims"], ["Builtin.Helpfulness"])
    out = tmp_path / "out"
    env = {**os.environ, **emulator.env()}
    command = [sys.executable, "-m", "evalcore.app.cli", "run", str(suite), "--out", str(out)]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (out / "jobs.json").is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)

    stops = emulator.requests("StopBatchEvaluation")
    assert len(stops) == 1 and stops[0].status == 202, stderr
    assert _results(out)["open_claims"].status == "error"
    recorded = read_jobs(out)
    assert len(recorded) == 1

    # Resume: a batch evaluation still running is re-attached to, not started again.
    emulator.set_world(
        load_world().model_copy(update={"jobs": world.jobs.model_copy(update={"duration_seconds": 0.05})})
    )
    client = emulator.client("bedrock-agentcore")
    stopped = client.get_batch_evaluation(batchEvaluationId=recorded[0].arn)["status"]
    assert stopped in ("STOPPING", "STOPPED")
    emulator.clear_requests()
    code = main(["run", str(suite), "--resume", str(out)])
    # The recorded one was stopped: it cannot give results, so the rerun starts exactly one new one.
    assert len(emulator.requests("StartBatchEvaluation")) == 1
    assert _results(out)["open_claims"].status == "pass"
    assert code == 0


def test_a_resumed_run_reattaches_to_a_running_batch_evaluation_without_starting_another(
    tmp_path: Path, emulator: Emulator
) -> None:
    world = load_world()
    world.jobs = world.jobs.model_copy(update={"duration_seconds": 1.0})
    emulator.set_world(world)
    suite = _suite(tmp_path, ["open_claims"], ["Builtin.Helpfulness"], timeout_minutes=0.001)
    out = tmp_path / "out"
    main(["run", str(suite), "--out", str(out)])  # times out, leaves it running
    assert _results(out)["open_claims"].status == "error"
    emulator.clear_requests()

    _suite(tmp_path, ["open_claims"], ["Builtin.Helpfulness"])
    code = main(["run", str(suite), "--resume", str(out)])

    assert emulator.requests("StartBatchEvaluation") == []
    assert _results(out)["open_claims"].status == "pass"
    assert code == 0


def test_a_result_event_of_an_unknown_shape_fails_with_one_line_and_exit_3(tmp_path: Path, emulator: Emulator) -> None:
    world = load_world()
    world.jobs = world.jobs.model_copy(update={"duration_seconds": 2.0})
    emulator.set_world(world)
    group = "/evalcore/tests/odd-results"
    logs = emulator.client("logs")
    logs.create_log_group(logGroupName=group)
    suite = _suite(tmp_path, ["open_claims"], ["Builtin.Helpfulness"], log_group=group)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "evalcore.app.cli", "run", str(suite), "--out", str(out)]
    proc = subprocess.Popen(command, env={**os.environ, **emulator.env()}, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (out / "jobs.json").is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    # Before the batch evaluation finishes, its result stream gets an event of a shape evalcore does not know.
    stream = read_jobs(out)[0].request["outputConfig"]["cloudWatchConfig"]["logStreamName"]
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    odd = {
        "timestamp": int(time.time() * 1000),
        "message": json.dumps({"evaluator": "Builtin.Helpfulness", "score": 1}),
    }
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[odd])
    _, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 3, stderr
    lines = [line for line in stderr.splitlines() if "unknown shape" in line]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert _results(out)["open_claims"].status == "error"


def test_the_emulator_serves_batch_evaluations_to_boto3(emulator: Emulator) -> None:
    client = emulator.client("bedrock-agentcore")
    started = client.start_batch_evaluation(
        batchEvaluationName="boto_check",
        evaluators=[{"evaluatorId": "Builtin.Helpfulness"}],
        dataSourceConfig={"cloudWatchLogs": {"serviceNames": ["claims_agent.prod"], "logGroupNames": ["/x"]}},
        datasetExecutionConfig={
            "dataset": {"datasetId": "claims-scenarios"},
            "agentInvocation": {"agentCoreRuntime": {"agentRuntimeEndpointArn": f"{ARN}/runtime-endpoint/prod"}},
        },
    )
    batch_id = started["batchEvaluationId"]
    deadline = time.monotonic() + 10
    while (found := client.get_batch_evaluation(batchEvaluationId=batch_id))["status"] == "IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert found["status"] == "COMPLETED"
    assert found["evaluationResults"]["totalNumberOfSessions"] == 3
    listed = client.list_batch_evaluations()["batchEvaluations"]
    assert batch_id in [b["batchEvaluationId"] for b in listed]
    output = found["outputConfig"]["cloudWatchConfig"]
    events = emulator.client("logs").filter_log_events(logGroupName=output["logGroupName"])["events"]
    assert len(events) == 3 and json.loads(events[0]["message"])["event.name"] == "gen_ai.evaluation.result"
    assert client.delete_batch_evaluation(batchEvaluationId=batch_id)["status"] == "DELETING"


def test_a_scenario_test_needs_no_steps_or_expected_results_in_batch_mode(tmp_path: Path) -> None:
    suite = _suite(tmp_path, ["open_claims"], ["Builtin.Helpfulness"])
    data = yaml.safe_load(suite.read_text())
    data["agents"][0]["tests"] = {"open_claims": {}}  # the key is the scenario id; the dataset holds the rest
    suite.write_text(yaml.safe_dump(data, sort_keys=False))

    code = main(["run", str(suite), "--out", str(tmp_path / "out")])

    assert _results(tmp_path / "out")["open_claims"].status == "pass"
    assert code == 0


def test_repeats_in_batch_mode_are_refused_with_one_line_before_anything_starts(
    tmp_path: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # AgentCore runs each scenario once per batch evaluation (one session): k copies of one result would be k
    # "independent" passes that never happened.
    suite = _suite(tmp_path, ["open_claims"], ["Builtin.Helpfulness"])
    data = yaml.safe_load(suite.read_text())
    data["agents"][0]["tests"]["open_claims"]["repeats"] = 3
    suite.write_text(yaml.safe_dump(data, sort_keys=False))

    code = main(["run", str(suite), "--out", str(tmp_path / "out")])

    err = capsys.readouterr().err
    assert code == 2
    assert len([line for line in err.splitlines() if "repeats" in line]) == 1, err
    assert "suite.yml:" in err
    assert emulator.requests("StartBatchEvaluation") == []


def test_a_score_outside_0_1_is_reported_without_a_value_as_the_on_demand_path_does(
    tmp_path: Path, emulator: Emulator
) -> None:
    world = load_world()
    world.jobs = world.jobs.model_copy(update={"duration_seconds": 2.0})
    emulator.set_world(world)
    group = "/evalcore/tests/scale-results"
    logs = emulator.client("logs")
    logs.create_log_group(logGroupName=group)
    suite = _suite(tmp_path, ["open_claims"], ["Builtin.Helpfulness"], log_group=group)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "evalcore.app.cli", "run", str(suite), "--out", str(out)]
    proc = subprocess.Popen(command, env={**os.environ, **emulator.env()}, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (out / "jobs.json").is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    # Before the batch evaluation finishes, its result stream gets a well-formed event of a 1-5 scale evaluator
    # for the scenario's session (the emulator's session id: `<batch id>-<scenario id>`).
    job = read_jobs(out)[0]
    stream = job.request["outputConfig"]["cloudWatchConfig"]["logStreamName"]
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    attributes = {
        "gen_ai.evaluation.name": "Builtin.Correctness",
        "gen_ai.evaluation.score.value": 4.0,
        "gen_ai.evaluation.score.label": "Good",
        "gen_ai.evaluation.explanation": "mostly right",
        "session.id": f"{job.arn}-open_claims",
        "test_scenario.id": "open_claims",
    }
    event = {"event.name": "gen_ai.evaluation.result", "attributes": attributes}
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": int(time.time() * 1000), "message": json.dumps(event)}],
    )
    _, stderr = proc.communicate(timeout=60)

    case = _results(out)["open_claims"]
    scores = {m.name: m for m in case.metrics}
    scaled = scores["agentcore:Builtin.Correctness"]
    assert scaled.value is None
    assert scaled.explanation is not None and "score 4.0 (outside 0-1)" in scaled.explanation
    assert "[Good]" in scaled.explanation
    assert case.status == "pass", (case.reason, stderr)
