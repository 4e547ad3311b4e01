"""agenteval 0.4.1's defects (shared/reference/agenteval.md), each shown fixed against the emulator.

Elsewhere: a throttle inside the InvokeAgent event stream, retried (test_agent_loop.py::
test_a_throttle_inside_the_event_stream_is_retried); plans found relative to the suite file and outputs written to
--out whatever the working folder (agenteval ignores --plan-dir and --work-dir): test_agenteval_plans.py::
test_the_agents_example_passes_on_the_emulator_through_the_command.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from evalcore.bedrock.clients import Aws
from evalcore.domain.plan import build_plan
from evalcore.domain.results import CaseResult
from evalcore.engine.scheduler import Scheduler
from evalcore.runners.agents.runner import run_agents
from evalcore.runners.context import RunContext
from evalcore.suite.load import load_suite
from evalcore_emulator import Emulator
from tests.direct_suite import use_emulator
from tests.runners.agents.agent_suite import MISSING_DOCUMENTS, results, run, world_with, write_suite


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    use_emulator(monkeypatch, emulator)


def test_an_unreadable_verdict_is_asked_again_then_an_error_never_a_pass(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_world(world_with(unreadable_rate=1.0))  # the evaluator answers in prose, never with the tool

    outcome = run(write_suite(tmp_path, {"missing": MISSING_DOCUMENTS}), tmp_path / "out")

    case = results(tmp_path / "out")["missing"]
    assert case.status == "error"
    assert case.reason == (
        "unreadable evaluator verdict after 3 attempts: the evaluator did not call write_user_message "
        "(stopReason end_turn)"
    )
    assert len(emulator.requests("Converse")) == 3 and not emulator.requests("InvokeAgent")
    assert case.judge_usage.output_tokens > 0  # the unreadable answers' tokens are still counted
    assert outcome.exit_code != 0


CRASHING_TARGET = '''
class TargetResponse:
    def __init__(self, response):
        self.response = response


class CrashingTarget:
    """Answers every prompt, except that it raises on "boom"."""

    def __init__(self, greeting):
        self.greeting = greeting

    def invoke(self, prompt):
        if "boom" in prompt:
            raise RuntimeError("the target blew up")
        return TargetResponse(f"{self.greeting} The following documents are missing: the police report.")
'''


def test_one_tests_exception_is_that_tests_error_and_the_summaries_are_still_written(tmp_path: Path) -> None:
    (tmp_path / "crashing_target.py").write_text(CRASHING_TARGET)
    tests = {
        "explodes": {**MISSING_DOCUMENTS, "initial_prompt": "boom"},
        "survives": MISSING_DOCUMENTS,
    }
    target = {"type": "crashing_target.CrashingTarget", "greeting": "Hello."}

    run(write_suite(tmp_path, tests, target=target), tmp_path / "out")

    cases = results(tmp_path / "out")
    assert (
        cases["explodes"].status == "error"
        and cases["explodes"].reason == "target call failed: RuntimeError: the target blew up"
    )
    assert cases["survives"].status == "pass", cases["survives"].reason
    summary = (tmp_path / "out" / "agenteval" / "claims" / "agenteval_summary.md").read_text()
    assert "**Pass Rate** = 50 %" in summary
    assert "- [⚠️ explodes](#explodes)" in summary and "- [🟢 survives](#survives)" in summary
    assert "Error: target call failed: RuntimeError: the target blew up" in summary
    traces = sorted(p.name for p in (tmp_path / "out" / "agenteval" / "claims" / "agenteval_traces").iterdir())
    assert traces == ["explodes.json", "survives.json"]
    junit = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    errors = [c for c in junit.iter("testcase") if c.find("error") is not None]
    assert len(errors) == 1 and "the target blew up" in ET.tostring(errors[0], encoding="unicode")


def test_parallel_tests_never_see_each_others_prompts(emulator: Emulator, tmp_path: Path) -> None:
    claims = [f"claim-{n:03d}" for n in range(100, 124)]
    tests = {
        f"docs_{claim}": {
            "steps": [f"Ask agent for a list of missing documents for {claim}."],
            "expected_results": [f"The agent returns the missing documents for {claim}."],
        }
        for claim in claims
    }

    run(write_suite(tmp_path, tests, concurrency=24), tmp_path / "out")

    cases = results(tmp_path / "out")
    for claim in claims:
        case = cases[f"docs_{claim}"]
        assert case.status == "pass", case.reason
        assert case.agent is not None
        said = " ".join(f"{t.user} {t.agent}" for t in case.agent.turns)
        assert set(re.findall(r"claim-\d+", said)) == {claim}
    sessions = [r.path.split("/sessions/")[1] for r in emulator.requests("InvokeAgent")]
    assert len(set(sessions)) == len(claims) == len(sessions)  # one agent session per test run


def test_clients_are_built_once_per_service_for_the_whole_section(emulator: Emulator, tmp_path: Path) -> None:
    tests = {f"docs_{n}": MISSING_DOCUMENTS for n in range(20)}
    loaded = load_suite(write_suite(tmp_path, tests))
    aws = Aws(pool_size=8)
    built: list[str] = []
    aws.session().events.register("creating-client-class", lambda **kw: built.append(kw.get("service_name", "client")))
    ctx = RunContext(loaded=loaded, aws=aws, scheduler=Scheduler(concurrency=8), out=tmp_path / "out")
    finished: list[CaseResult] = []

    run_agents(ctx, "claims", build_plan(loaded).cases, finished.append)

    assert len(finished) == 20 and all(r.status == "pass" for r in finished)
    assert len(built) == 2  # the evaluator's bedrock-runtime client and the target's bedrock-agent-runtime client
    assert len(emulator.requests("InvokeAgent")) == 20


def test_results_are_machine_readable_with_target_and_evaluator_tokens(tmp_path: Path) -> None:
    target: dict[str, Any] = {
        "type": "bedrock-model",
        "model_id": "anthropic.claude-3-haiku-20240307-v1:0",
        "system": "You are the claims desk of an insurer.",
    }
    tests = {"hello": {"steps": ["Say hello."], "expected_results": ["The agent greets the user."], "max_turns": 1}}

    run(write_suite(tmp_path, tests, target=target), tmp_path / "out")

    case = results(tmp_path / "out")["hello"]
    assert case.status in ("pass", "fail"), case.reason
    assert case.agent is not None and case.agent.turns[0].agent == "Hello! How can I help you today?"
    assert case.usage.input_tokens > 0 and case.usage.output_tokens > 0
    assert case.agent.target_usage == case.usage
    assert case.cost_usd is not None and case.cost_usd > 0  # haiku's price
    assert case.judge_usage.input_tokens > 0 and case.judge_cost_usd is not None
    assert (tmp_path / "out" / "results.json").exists() and (tmp_path / "out" / "junit.xml").exists()
