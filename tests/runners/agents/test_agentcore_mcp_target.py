"""The agentcore-mcp target against the emulator's MCP server on AgentCore Runtime: each test is one MCP session
(initialize, notifications/initialized, tools/call) whose tool result is checked; a JSON-RPC error or isError the
test did not expect fails it, a protocol failure is an error, never a pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalcore.app.cli import main
from evalcore_emulator import Emulator, load_world
from tests.direct_suite import use_emulator
from tests.runners.agents.agent_suite import MISSING_DOCUMENTS, results, run, write_suite

ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/claims_tools-Mc0123abcd"
MCP: dict[str, Any] = {"type": "agentcore-mcp", "agent_runtime_arn": ARN}
STATUS_006 = {
    "tool": {
        "name": "get_claim_status",
        "arguments": {"claimId": "claim-006"},
        "checks": [{"contains": "police report"}],
        "expected": {"$.structuredContent.status": "open", "$.structuredContent.missing[0]": "police report"},
    }
}


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    use_emulator(monkeypatch, emulator)


def test_a_tool_whose_result_meets_its_checks_passes_in_one_mcp_session(emulator: Emulator, tmp_path: Path) -> None:
    run(write_suite(tmp_path, {"status": STATUS_006}, target=MCP), tmp_path / "out")

    case = results(tmp_path / "out")["status"]
    assert case.status == "pass", case.reason
    assert case.output is not None and "police report" in case.output
    assert {m.name: m.passed for m in case.metrics} == {"tool_error": True, "contains": True, "tool_result": True}
    headers = [c.mcp or {} for c in emulator.requests("InvokeAgentRuntime")]
    assert [h.get("mcp-method") for h in headers] == ["initialize", "notifications/initialized", "tools/call"]
    assert headers[2]["mcp-name"] == "get_claim_status"
    # The Mcp-Session-Id the runtime gave at initialize goes with every later request of the session, and so does
    # the protocol version initialize agreed on.
    assert "mcp-session-id" not in headers[0]
    assert headers[1]["mcp-session-id"] == headers[2]["mcp-session-id"]
    assert headers[2]["mcp-protocol-version"] == "2025-06-18"


def test_a_result_that_misses_a_check_fails_the_test(tmp_path: Path) -> None:
    tool = {
        **STATUS_006["tool"],
        "checks": [{"contains": "photos"}],
        "expected": {"$.structuredContent.status": "closed"},
    }

    run(write_suite(tmp_path, {"status": {"tool": tool}}, target=MCP), tmp_path / "out")

    case = results(tmp_path / "out")["status"]
    assert case.status == "fail"
    assert case.reason is not None and "photos" in case.reason and "closed" in case.reason


def test_an_is_error_result_fails_unless_the_test_expects_an_error(tmp_path: Path) -> None:
    unknown = {"name": "get_claim_status", "arguments": {"claimId": "claim-999"}}
    tests = {
        "unexpected": {"tool": unknown},
        "expected": {"tool": {**unknown, "expect_error": True, "checks": [{"contains": "unknown claim"}]}},
    }

    run(write_suite(tmp_path, tests, target=MCP), tmp_path / "out")

    cases = results(tmp_path / "out")
    assert cases["unexpected"].status == "fail"
    assert "isError" in (cases["unexpected"].reason or "")
    assert cases["expected"].status == "pass", cases["expected"].reason


def test_a_json_rpc_error_fails_the_test(tmp_path: Path) -> None:
    missing_argument = {"tool": {"name": "get_claim_status", "arguments": {}}}

    run(write_suite(tmp_path, {"no_claim": missing_argument}, target=MCP), tmp_path / "out")

    case = results(tmp_path / "out")["no_claim"]
    assert case.status == "fail"
    assert case.reason is not None and "-32602" in case.reason


def test_an_answer_with_neither_result_nor_error_is_an_error_never_a_pass(tmp_path: Path) -> None:
    broken = {"tool": {"name": "broken_tool", "arguments": {}}}

    run(write_suite(tmp_path, {"broken": broken}, target=MCP), tmp_path / "out")

    case = results(tmp_path / "out")["broken"]
    assert case.status == "error"
    assert case.reason is not None and "neither" in case.reason


def test_the_cli_exits_1_when_a_tool_test_fails(tmp_path: Path) -> None:
    tests = {"status": STATUS_006, "unexpected": {"tool": {"name": "get_claim_status", "arguments": {"claimId": "x"}}}}
    suite = write_suite(tmp_path, tests, target=MCP)

    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "--no-cache", "--quiet"]) == 1


def test_a_conversation_test_on_an_mcp_target_is_refused_as_bad_input(tmp_path: Path) -> None:
    suite = write_suite(
        tmp_path, {"chat": {"steps": ["Ask something."], "expected_results": ["An answer."]}}, target=MCP
    )

    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "--no-cache", "--quiet"]) == 2


@pytest.mark.parametrize("check", [{"latency_ms": {"max": 500}}, {"cost_usd": {"max": 0.01}}])
def test_a_check_on_a_model_calls_measures_is_refused_on_a_tool_as_bad_input(
    check: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A tool call has no model latency or token cost to bound: accepted, such a check could only ever end as an
    # error at run time, so the loader refuses it with the check's name.
    tool = {**STATUS_006["tool"], "checks": [check]}
    suite = write_suite(tmp_path, {"status": {"tool": tool}}, target=MCP)

    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "--no-cache", "--quiet"]) == 2
    assert next(iter(check)) in capsys.readouterr().err


def test_an_event_stream_answer_is_read_like_a_json_one(emulator: Emulator, tmp_path: Path) -> None:
    world = load_world()
    server = world.agentcore_runtimes["claims_tools-Mc0123abcd"].mcp
    assert server is not None
    server.event_stream = True
    emulator.set_world(world)

    run(write_suite(tmp_path, {"status": STATUS_006}, target={**MCP, "qualifier": "prod"}), tmp_path / "out")

    case = results(tmp_path / "out")["status"]
    assert case.status == "pass", case.reason


def test_a_section_of_only_tool_tests_runs_without_an_evaluator(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, {"status": STATUS_006}, target=MCP, evaluator=None)

    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "--no-cache", "--quiet"]) == 0
    case = results(tmp_path / "out")["status"]
    assert case.status == "pass", case.reason
    assert case.judge_cost_usd in (None, 0.0)
    assert case.agent is not None and case.agent.evaluator_model is None


def test_a_conversation_test_without_an_evaluator_is_refused_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = write_suite(tmp_path, {"chat": MISSING_DOCUMENTS}, evaluator=None)
    line = next(n for n, text in enumerate(suite.read_text().splitlines(), 1) if text.strip() == "chat:")

    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "--no-cache", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"suite.yml:{line}:" in err or f"suite.yml:{line + 1}:" in err, err  # the key or its mapping
    assert "chat" in err and "evaluator" in err
    assert "Traceback" not in err
