"""The agentcore-runtime target against the emulator's AgentCore Runtime: one runtime session per test run, JSON and
Server-Sent Events answers, tool calls read from the answer's OpenTelemetry spans into the trace assertions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from evalcore_emulator import Emulator
from evalcore_emulator.world import FaultSpec
from tests.direct_suite import use_emulator
from tests.runners.agents.agent_suite import results, run, world_with, write_suite

ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/claims_agent-Rt0123abcd"
RUNTIME: dict[str, Any] = {"type": "agentcore-runtime", "agent_runtime_arn": ARN}
MISSING = "/claims/{claimId}/identify-missing-documents"
TWO_TURNS = {
    "initial_prompt": "Which documents are missing?",
    "steps": ["Ask agent which documents are missing.", "Give the claim id claim-006 when asked."],
    "expected_results": ["The agent names the missing documents for claim-006."],
    "max_turns": 3,
    "expected_tool_calls": [{"function": MISSING, "parameters": {"claimId": "claim-006"}}],
}


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    use_emulator(monkeypatch, emulator)


@pytest.mark.parametrize("target", [RUNTIME, {**RUNTIME, "stream": True, "qualifier": "prod"}], ids=["json", "sse"])
def test_runtime_keeps_the_session_across_turns_and_its_tool_spans_meet_expected_tool_calls(
    target: dict[str, Any], emulator: Emulator, tmp_path: Path
) -> None:
    run(write_suite(tmp_path, {"missing": TWO_TURNS}, target=target), tmp_path / "out")

    case = results(tmp_path / "out")["missing"]
    assert case.status == "pass", case.reason
    assert case.agent is not None and len(case.agent.turns) == 2
    first, second = case.agent.turns
    assert first.agent == "Which claim should I check, what is its claim ID?"
    # The claim id came in turn two; the slot question of turn one is answered only in the same runtime session.
    assert second.agent is not None and "missing for claim-006" in second.agent
    assert [(c.function, c.parameters) for c in second.tool_calls] == [(MISSING, {"claimId": "claim-006"})]
    calls = emulator.requests("InvokeAgentRuntime")
    assert len(calls) == 2 and all(c.status == 200 for c in calls)


def test_a_tool_the_test_forbids_fails_the_case_with_the_call_seen(tmp_path: Path) -> None:
    test = {**TWO_TURNS, "expected_tool_calls": [{"function": MISSING, "must": False}]}

    run(write_suite(tmp_path, {"missing": test}, target=RUNTIME), tmp_path / "out")

    case = results(tmp_path / "out")["missing"]
    assert case.status == "fail"
    assert case.reason is not None and f"{MISSING} must not be called" in case.reason


def test_an_unknown_runtime_is_an_error_not_a_pass(tmp_path: Path) -> None:
    target = {**RUNTIME, "agent_runtime_arn": ARN.replace("Rt0123abcd", "Nope000000")}

    run(write_suite(tmp_path, {"missing": TWO_TURNS}, target=target), tmp_path / "out")

    case = results(tmp_path / "out")["missing"]
    assert case.status == "error"
    assert case.reason is not None and "ResourceNotFoundException" in case.reason


def test_a_runtime_id_without_its_account_is_refused_at_load_with_exit_2(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, {"missing": TWO_TURNS}, target={**RUNTIME, "agent_runtime_arn": "claims_agent-x"})

    done = subprocess.run(
        [sys.executable, "-m", "evalcore.app.cli", "run", str(suite), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 2, done.stderr
    assert "give `account_id` too" in done.stdout + done.stderr


def test_the_cli_runs_an_agentcore_suite_on_its_own_emulator_by_runtime_id_and_account(tmp_path: Path) -> None:
    target = {**RUNTIME, "agent_runtime_arn": "claims_agent-Rt0123abcd", "account_id": "123456789012", "stream": True}
    suite = write_suite(tmp_path, {"missing": TWO_TURNS}, target=target)

    done = subprocess.run(
        [sys.executable, "-m", "evalcore.app.cli", "run", str(suite), "--emulator", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((tmp_path / "out" / "results.json").read_text())["verdict"]["status"] == "passed"
    assert results(tmp_path / "out")["missing"].status == "pass"


def test_agentcore_evaluators_score_each_session_beside_the_verdict(emulator: Emulator, tmp_path: Path) -> None:
    evaluators = ["Builtin.Helpfulness", "Builtin.ToolSelectionAccuracy"]

    run(
        write_suite(tmp_path, {"missing": TWO_TURNS}, target=RUNTIME, agentcore_evaluators=evaluators),
        tmp_path / "out",
    )

    case = results(tmp_path / "out")["missing"]
    assert case.status == "pass", case.reason
    metrics = {m.name: m for m in case.metrics}
    assert metrics["agentcore:Builtin.ToolSelectionAccuracy"].value == 1.0
    helpfulness = metrics["agentcore:Builtin.Helpfulness"]
    assert helpfulness.value is not None and helpfulness.value > 0.5 and helpfulness.passed is None
    assert sorted(r.path.rsplit("/", 1)[-1] for r in emulator.requests("Evaluate")) == evaluators


def test_an_evaluator_that_cannot_score_the_session_makes_the_case_an_error(tmp_path: Path) -> None:
    test = {**TWO_TURNS, "expected_tool_calls": []}  # no trajectory: the trajectory evaluator cannot score

    run(
        write_suite(tmp_path, {"missing": test}, target=RUNTIME, agentcore_evaluators=["Builtin.TrajectoryInOrder"]),
        tmp_path / "out",
    )

    case = results(tmp_path / "out")["missing"]
    assert case.status == "error"
    assert case.reason is not None and "MissingReferenceInput" in case.reason


def test_agentcore_evaluators_on_another_target_are_refused_at_load(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, {"missing": TWO_TURNS}, agentcore_evaluators=["Builtin.Helpfulness"])

    done = subprocess.run(
        [sys.executable, "-m", "evalcore.app.cli", "run", str(suite), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 2, done.stderr
    assert "the target must be agentcore-runtime" in done.stdout + done.stderr


def test_an_event_stream_cut_mid_answer_starts_the_test_over_in_a_new_runtime_session(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.set_world(world_with(FaultSpec(kind="stream_cut", operation="InvokeAgentRuntime", first=1)))

    run(write_suite(tmp_path, {"missing": TWO_TURNS}, target={**RUNTIME, "stream": True}), tmp_path / "out")

    case = results(tmp_path / "out")["missing"]
    assert case.status == "pass", case.reason
    assert [c.fault for c in emulator.requests("InvokeAgentRuntime")] == ["stream_cut", None, None]
    # The runtime took the cut turn in: it is not resent in that session, the test starts over in a new one.
    trace = (tmp_path / "out" / "agenteval" / "claims" / "agenteval_traces" / "missing.json").read_text()
    assert "session_broken" in trace and "cut mid-turn" in trace
