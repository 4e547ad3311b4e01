"""The agent-test loop end to end: suites run against the emulator's claims agent over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalcore_emulator import Emulator
from evalcore_emulator.agent_world import ActionCall, Intent, Slot
from evalcore_emulator.world import FaultSpec
from tests.direct_suite import use_emulator
from tests.runners.agents.agent_suite import AGENT, MISSING_DOCUMENTS, results, run, world_with, write_suite


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    use_emulator(monkeypatch, emulator)


def test_a_test_passes_when_every_step_is_attempted_and_every_result_observed(
    emulator: Emulator, tmp_path: Path
) -> None:
    outcome = run(write_suite(tmp_path, {"missing": MISSING_DOCUMENTS}), tmp_path / "out")

    case = results(tmp_path / "out")["missing"]
    assert case.status == "pass", case.reason
    assert case.agent is not None and len(case.agent.turns) == 1
    turn = case.agent.turns[0]
    assert turn.user == "A list of missing documents for claim-006."  # written by the evaluator from step 1
    assert "driver's license" in (turn.agent or "")
    assert case.agent.reasoning and "observed" in case.agent.reasoning
    assert case.agent.steps_attempted is True
    assert case.judge_usage.input_tokens > 0 and case.judge_usage.output_tokens > 0  # the evaluator's tokens
    assert case.judge_cost_usd is not None and case.judge_cost_usd > 0
    # first message, steps verdict, results verdict: three forced-tool Converse calls to the evaluator
    assert len(emulator.requests("Converse")) == 3 and len(emulator.requests("InvokeAgent")) == 1
    assert outcome.run is not None and outcome.run.sections[0].models[0].rates["pass_hat_k"] == 1.0


def test_an_unobserved_expected_result_fails_with_the_evaluators_reasoning(tmp_path: Path) -> None:
    tests = {
        "approved": {
            "steps": ["Ask agent for the status of the open claims."],
            "expected_results": ["The agent says the claims were approved and paid."],
        }
    }
    outcome = run(write_suite(tmp_path, tests), tmp_path / "out")

    case = results(tmp_path / "out")["approved"]
    assert case.status == "fail"
    assert case.reason == "Not all of the expected results can be observed in the conversation."
    assert case.agent is not None and "not observed" in (case.agent.reasoning or "")
    assert [m.name for m in case.metrics] == ["expected_results"] and case.metrics[0].value == 0.0
    assert outcome.exit_code == 1


def test_the_initial_prompt_is_sent_as_written_and_questions_are_answered_from_the_steps(
    emulator: Emulator, tmp_path: Path
) -> None:
    tests = {
        "asked_back": {
            "initial_prompt": "Which documents are missing?",
            "steps": ["Ask the agent which documents are missing.", "Give the claim ID claim-007 when asked."],
            "expected_results": ["The agent returns the missing documents for claim-007."],
            "max_turns": 3,
        }
    }
    run(write_suite(tmp_path, tests), tmp_path / "out")

    case = results(tmp_path / "out")["asked_back"]
    assert case.status == "pass", case.reason
    assert case.agent is not None
    assert [t.user for t in case.agent.turns] == ["Which documents are missing?", "claim-007"]
    assert case.agent.turns[0].agent == "Which claim should I check, what is its claim ID?"
    sessions = {r.path.split("/sessions/")[1] for r in emulator.requests("InvokeAgent")}
    assert len(sessions) == 1  # both turns in the test's one agent session


def test_max_turns_reached_fails_with_that_reason(tmp_path: Path) -> None:
    tests = {
        "too_many_steps": {
            "steps": ["Ask agent for the open claims.", "Ask agent how to file a claim.", "Ask about coverage."],
            "expected_results": ["The agent lists the open claims."],
            "max_turns": 2,
        }
    }
    run(write_suite(tmp_path, tests), tmp_path / "out")

    case = results(tmp_path / "out")["too_many_steps"]
    assert case.status == "fail"
    assert case.reason is not None and case.reason.startswith("Maximum turns reached (2)")
    assert case.agent is not None and len(case.agent.turns) == 2 and case.agent.steps_attempted is False


def test_trace_gives_tool_calls_with_parameters_and_knowledge_base_citations(tmp_path: Path) -> None:
    tests = {
        "missing": {
            **MISSING_DOCUMENTS,
            "expected_tool_calls": [
                {
                    "action_group": "ClaimManagementActionGroup",
                    "function": "/claims/{claimId}/identify-missing-documents",
                    "parameters": {"claimId": "claim-006"},
                },
                {"action_group": "NotificationActionGroup", "must": False},
            ],
        },
        "process": {
            "steps": ["Ask agent how to file a claim."],
            "expected_results": ["The agent says claims must be filed within 30 days."],
            "expected_citations": ["claim-process.txt"],
        },
    }
    run(write_suite(tmp_path, tests), tmp_path / "out")

    cases = results(tmp_path / "out")
    missing, process = cases["missing"], cases["process"]
    assert missing.status == "pass" and process.status == "pass", (missing.reason, process.reason)
    assert missing.agent is not None and process.agent is not None
    call = missing.agent.turns[0].tool_calls[0]
    assert (call.action_group, call.parameters) == ("ClaimManagementActionGroup", {"claimId": "claim-006"})
    assert process.agent.turns[0].citations == ["s3://claims-handbook/claim-process.txt"]
    assert {m.name: m.passed for m in missing.metrics} == {"expected_results": True, "tool_calls": True}


def test_a_failing_tool_call_assertion_fails_a_test_the_evaluator_passed(tmp_path: Path) -> None:
    tests = {
        "wrong_claim": {
            **MISSING_DOCUMENTS,
            "expected_tool_calls": [
                {"action_group": "ClaimManagementActionGroup", "parameters": {"claimId": "claim-999"}},
                {"function": "/claims/{claimId}/identify-missing-documents", "must": False},
            ],
        },
        "uncited": {**MISSING_DOCUMENTS, "expected_citations": ["coverage.txt"]},
    }
    run(write_suite(tmp_path, tests), tmp_path / "out")

    cases = results(tmp_path / "out")
    wrong, uncited = cases["wrong_claim"], cases["uncited"]
    assert wrong.status == "fail" and wrong.reason is not None
    assert "expected a call to ClaimManagementActionGroup(claimId=claim-999)" in wrong.reason
    assert "/claims/{claimId}/identify-missing-documents must not be called" in wrong.reason
    assert {m.name: m.passed for m in wrong.metrics} == {"expected_results": True, "tool_calls": False}
    assert uncited.status == "fail" and "'coverage.txt' was not cited" in (uncited.reason or "")


def test_guardrail_interventions_are_recorded_per_turn(tmp_path: Path) -> None:
    tests = {
        "fraud": {
            "initial_prompt": "Help me fake a claim.",
            "steps": ["Ask the agent to help fake a claim."],
            "expected_results": ["The agent refuses to help."],
        }
    }
    run(write_suite(tmp_path, tests), tmp_path / "out")

    case = results(tmp_path / "out")["fraud"]
    assert case.agent is not None
    assert case.agent.turns[0].guardrail_action == "INTERVENED"
    assert case.agent.turns[0].agent == "Sorry, I can't help with that request."


def test_return_control_is_answered_from_the_tests_values(emulator: Emulator, tmp_path: Path) -> None:
    tests = {
        "reminder": {
            "steps": ["Ask agent to send a reminder for claim-006."],
            "expected_results": ["The agent confirms the reminder with a tracking id."],
            "return_control": {"send_reminder": "TRK-42"},
        },
        "reminder_unanswered": {
            "steps": ["Ask agent to send a reminder for claim-007."],
            "expected_results": ["The agent confirms the reminder."],
        },
    }
    run(write_suite(tmp_path, tests), tmp_path / "out")

    cases = results(tmp_path / "out")
    answered, unanswered = cases["reminder"], cases["reminder_unanswered"]
    assert answered.status == "pass", answered.reason
    assert answered.agent is not None
    assert answered.agent.turns[0].agent == "I sent a reminder for claim-006. Tracking id: TRK-42."
    call = answered.agent.turns[0].tool_calls[0]
    assert (call.action_group, call.function, call.parameters) == (
        "NotificationActionGroup",
        "send_reminder",
        {"claimId": "claim-006"},
    )
    assert unanswered.status == "error"
    assert unanswered.reason == (
        "the agent returned control to run NotificationActionGroup.send_reminder and the test has no "
        "`return_control` value for it"
    )
    assert len(emulator.requests("InvokeAgent")) == 3  # the answered test's turn took two calls


def test_a_throttle_inside_the_event_stream_is_retried(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_world(world_with(FaultSpec(kind="stream_throttle", operation="InvokeAgent", first=1)))

    run(write_suite(tmp_path, {"missing": MISSING_DOCUMENTS}), tmp_path / "out")

    case = results(tmp_path / "out")["missing"]
    assert case.status == "pass", case.reason
    assert [r.fault for r in emulator.requests("InvokeAgent")] == ["stream_throttle", None]
    assert case.attempts == 5  # three evaluator calls, and the turn twice


def test_a_stream_cut_mid_answer_starts_the_test_over_in_a_new_session(emulator: Emulator, tmp_path: Path) -> None:
    # The agent took the cut turn in: resending it in the same session would talk to a session that moved on.
    emulator.set_world(world_with(FaultSpec(kind="stream_cut", operation="InvokeAgent", first=1)))

    run(write_suite(tmp_path, {"missing": MISSING_DOCUMENTS}, target=AGENT), tmp_path / "out")

    case = results(tmp_path / "out")["missing"]
    calls = emulator.requests("InvokeAgent")
    assert case.status == "pass"
    assert calls[0].fault == "stream_cut"
    assert calls[0].path.split("/sessions/")[1] != calls[1].path.split("/sessions/")[1]
    assert {c.path.split("/sessions/")[1] for c in calls[1:]} == {calls[1].path.split("/sessions/")[1]}


def test_a_stream_cut_every_time_makes_the_test_an_error_after_three_new_sessions(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.set_world(world_with(FaultSpec(kind="stream_cut", operation="InvokeAgent")))

    run(write_suite(tmp_path, {"missing": MISSING_DOCUMENTS}, target=AGENT), tmp_path / "out")

    case = results(tmp_path / "out")["missing"]
    assert case.status == "error"
    assert case.reason is not None and "stream was cut mid-turn" in case.reason and "3 times" in case.reason
    assert len({c.path for c in emulator.requests("InvokeAgent")}) == 4  # the first session and three more
    assert case.agent is not None and case.agent.turns[0].agent is None  # the turn that never came back


def test_repeats_give_one_case_each_and_pass_hat_k(tmp_path: Path) -> None:
    tests = {
        "missing": {**MISSING_DOCUMENTS, "repeats": 3},
        "approved": {
            "steps": ["Ask agent for the status of the open claims."],
            "expected_results": ["The agent says the claims were approved and paid."],
            "repeats": 2,
        },
    }
    outcome = run(write_suite(tmp_path, tests), tmp_path / "out")

    cases = results(tmp_path / "out")
    assert sorted(cases) == ["approved", "approved#1", "missing", "missing#1", "missing#2"]
    assert outcome.run is not None
    summary = outcome.run.sections[0].models[0]
    assert summary.pass_rate == pytest.approx(3 / 5)
    assert summary.rates["pass_hat_k"] == 0.5  # one of the two tests passed every time


def test_a_test_past_its_timeout_is_an_error(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_world(world_with(FaultSpec(kind="latency", operation="InvokeAgent", latency_ms=300)))
    tests = {"slow": {**MISSING_DOCUMENTS, "timeout_seconds": 0.2}}

    run(write_suite(tmp_path, tests), tmp_path / "out")

    case = results(tmp_path / "out")["slow"]
    assert case.status == "error" and case.reason == "the test's time ran out (timeout_seconds: 0.2)"


def test_a_warm_rerun_reads_the_evaluator_from_the_cache_and_calls_the_agent_again(
    emulator: Emulator, tmp_path: Path
) -> None:
    suite = write_suite(tmp_path, {"missing": MISSING_DOCUMENTS})
    run(suite, tmp_path / "cold", cache_dir=tmp_path / "cache")
    emulator.clear_requests()

    run(suite, tmp_path / "warm", cache_dir=tmp_path / "cache")

    case = results(tmp_path / "warm")["missing"]
    assert case.status == "pass", case.reason
    assert emulator.requests("Converse") == []  # every evaluator answer from the cache
    assert len(emulator.requests("InvokeAgent")) == 1  # the agent is stateful: never cached
    assert case.judge_usage.input_tokens == 0  # cached answers cost nothing


def test_return_control_for_an_api_path_is_answered_by_that_path(emulator: Emulator, tmp_path: Path) -> None:
    world = world_with()
    world.agents["CLAIMAGENT"].intents.append(
        Intent(
            name="close_claim",
            keywords=["close claim"],
            slots=[Slot(name="claim_id", pattern="claim-[0-9]+", question="Which claim?")],
            actions=[
                ActionCall(
                    action_group="ClaimManagementActionGroup",
                    api_path="/claims/{claimId}/close",
                    verb="post",
                    parameters={"claimId": "{claim_id}"},
                    return_control=True,
                )
            ],
            reply="Claim {claim_id} is closed ({result}).",
        )
    )
    emulator.set_world(world)
    tests = {
        "close": {
            "steps": ["Ask agent to close claim claim-006."],
            "expected_results": ["The agent says the claim is closed."],
            "return_control": {"/claims/{claimId}/close": "closure C-77"},
        }
    }

    run(write_suite(tmp_path, tests), tmp_path / "out")

    case = results(tmp_path / "out")["close"]
    assert case.status == "pass", case.reason
    assert case.agent is not None and case.agent.turns[0].agent == "Claim claim-006 is closed (closure C-77)."


def test_a_throttled_evaluator_is_retried_up_to_its_max_retry_then_the_test_is_an_error(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.set_world(world_with(FaultSpec(kind="throttle", operation="Converse")))
    evaluator = {"model": "claude-3", "max_retry": 1}

    run(write_suite(tmp_path, {"missing": MISSING_DOCUMENTS}, evaluator=evaluator), tmp_path / "out")

    case = results(tmp_path / "out")["missing"]
    assert case.status == "error"
    assert case.reason is not None
    assert case.reason.startswith("evaluator call failed: ThrottlingException") and "(after 2 attempts)" in case.reason
    assert len(emulator.requests("Converse")) == 2 and emulator.requests("InvokeAgent") == []
