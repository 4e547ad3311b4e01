"""Targets other than the Bedrock agent: knowledge base and model on the emulator, HTTP against a local server,
custom classes and hooks from the plan's folder."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from evalcore_emulator import Emulator
from tests.direct_suite import use_emulator
from tests.runners.agents.agent_suite import KB, MISSING_DOCUMENTS, results, run, write_suite

SECRET = "s3cr3t-token-value"


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    use_emulator(monkeypatch, emulator)


def test_knowledge_base_keeps_its_session_from_turn_two_and_its_citations(tmp_path: Path) -> None:
    tests = {
        "deadline": {
            "initial_prompt": "How do I file an insurance claim?",
            "steps": ["Ask how to file an insurance claim.", "Ask agent about the deadline."],
            "expected_results": ["The answer mentions the claim form and a police report."],
            "max_turns": 2,
        }
    }

    run(write_suite(tmp_path, tests, target=KB), tmp_path / "out")

    case = results(tmp_path / "out")["deadline"]
    assert case.agent is not None and len(case.agent.turns) == 2
    first, second = case.agent.turns
    assert first.citations == ["s3://claims-handbook/claim-process.txt"]
    # "Deadline" alone retrieves nothing: the emulator answers from the session's earlier question,
    # which it only has when the second call carries the session id the first answer gave.
    assert second.user == "The deadline."
    assert second.agent != "Sorry, I am unable to assist you with this request."  # the answer without a session
    assert second.citations == ["s3://claims-handbook/claim-process.txt"]
    assert case.status == "pass", case.reason


class _Recorder(BaseHTTPRequestHandler):
    calls: list[dict[str, Any]] = []
    failures_left = 0

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append({"headers": dict(self.headers), "body": body})
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        text = body["input"]["text"]
        answer = {"output": {"answers": [{"text": f"The following documents are missing for {text}: none."}]}}
        payload = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_agent() -> Iterator[str]:
    _Recorder.calls = []
    _Recorder.failures_left = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/chat"
    server.shutdown()
    server.server_close()


def test_http_target_fills_the_body_picks_the_answer_and_keeps_header_secrets_out_of_the_results(
    http_agent: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_TOKEN", SECRET)
    _Recorder.failures_left = 1  # a 503 first: retried like a failing AWS call
    target = {
        "type": "http",
        "url": http_agent,
        "headers": {"Authorization": "Bearer ${AGENT_TOKEN}"},
        "body": {"input": {"text": "{{prompt}}"}, "session": "{{session_id}}", "channel": "ci"},
        "response_path": "$.output.answers[0].text",
    }

    run(write_suite(tmp_path, {"missing": MISSING_DOCUMENTS}, target=target), tmp_path / "out")

    case = results(tmp_path / "out")["missing"]
    assert case.status == "pass", case.reason
    assert case.agent is not None
    assert case.agent.turns[0].agent == (
        "The following documents are missing for A list of missing documents for claim-006.: none."
    )
    assert len(_Recorder.calls) == 2 and _Recorder.calls[0]["body"] == _Recorder.calls[1]["body"]
    sent = _Recorder.calls[1]
    assert sent["headers"]["Authorization"] == f"Bearer {SECRET}"
    assert sent["body"]["channel"] == "ci" and len(sent["body"]["session"]) == 36
    written = "".join(p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert SECRET not in written


def test_http_target_with_an_unset_header_variable_is_an_error_that_names_it(http_agent: str, tmp_path: Path) -> None:
    target = {"type": "http", "url": http_agent, "headers": {"X-Key": "${EVALCORE_UNSET_VARIABLE}"}}

    run(write_suite(tmp_path, {"missing": MISSING_DOCUMENTS}, target=target), tmp_path / "out")

    case = results(tmp_path / "out")["missing"]
    assert case.status == "error"
    assert (
        case.reason
        == "target call failed: ValueError: header value names ${EVALCORE_UNSET_VARIABLE}, which is not set in the environment"
    )
    assert _Recorder.calls == []


# Written for agenteval, importing its names; agenteval is not installed where evalcore runs them.
ECHO_TARGET = """
from agenteval.targets import BaseTarget, TargetResponse


class EchoTarget(BaseTarget):
    def __init__(self, prefix, suffix="."):
        self.prefix = prefix
        self.suffix = suffix
        self.turns = 0

    def invoke(self, prompt):
        self.turns += 1
        return TargetResponse(response=f"{self.prefix} {prompt}{self.suffix}", data={"turn": self.turns})
"""
STRICT_HOOK = """
from agenteval import Hook


class StrictHook(Hook):
    def pre_evaluate(test, trace):
        trace.add_step(step_name="pre", test=test.name, steps=len(test.steps))

    def post_evaluate(test, test_result, trace):
        trace.add_step(step_name="post", passed=test_result.passed, turns=test_result.conversation.turns)
        if any("forbidden" in message for _, message in test_result.conversation):
            test_result.passed = False
            test_result.result = "The agent said a forbidden word."
"""


def test_agenteval_custom_target_and_hooks_are_imported_from_the_plans_folder(tmp_path: Path) -> None:
    (tmp_path / "echo_target.py").write_text(ECHO_TARGET)
    (tmp_path / "strict_hook.py").write_text(STRICT_HOOK)
    step = "Ask agent for a list of missing documents for claim-006."
    tests = {
        "clean": {
            "steps": [step],
            "expected_results": ["The agent mentions the missing documents."],
            "hook": "strict_hook.StrictHook",
        },
        "forbidden": {
            "steps": [step],
            "expected_results": ["The agent mentions the missing documents."],
            "initial_prompt": "Say the forbidden missing documents",
            "hook": "strict_hook.StrictHook",
        },
    }
    target = {"type": "echo_target.EchoTarget", "prefix": "Echo:"}

    run(write_suite(tmp_path, tests, target=target), tmp_path / "out")

    cases = results(tmp_path / "out")
    assert cases["clean"].status == "pass", cases["clean"].reason
    assert cases["forbidden"].status == "fail" and cases["forbidden"].reason == "The agent said a forbidden word."
    assert cases["clean"].agent is not None
    assert cases["clean"].agent.turns[0].agent == "Echo: A list of missing documents for claim-006.."
    trace = json.loads((tmp_path / "out" / "agenteval" / "claims" / "agenteval_traces" / "clean.json").read_text())
    names = [s["step_name"] for s in trace["steps"]]
    assert names[0] == "pre" and names[-1] == "post" and "invoke_target" in names
    assert trace["steps"][0]["test"] == "clean" and trace["steps"][-1] == {**trace["steps"][-1], "passed": True}
    invoke = next(s for s in trace["steps"] if s["step_name"] == "invoke_target")
    assert invoke["data"] == {"turn": 1}
