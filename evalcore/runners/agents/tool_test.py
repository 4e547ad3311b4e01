"""A `tool:` test (agentcore-mcp target): one MCP session calls one tool, and its result is checked; no evaluator.

Its metrics: `tool_error` (the call ended in an error, a JSON-RPC error or a result with `isError: true`, exactly
when the test's `expect_error` says so), each of its `checks` on the result's text (the deterministic checks of
evalcore.metrics.checks), and `tool_result` (every `expected` JSONPath holds its value in the result). The run
passes when all pass and fails otherwise; an answer that is not a JSON-RPC response to the call (McpProtocolError)
or a check that cannot be computed makes it an error (TestError), never a pass.
"""

from __future__ import annotations

import json
from typing import Any

from evalcore.domain.results import MetricScore, ToolCall, Turn
from evalcore.metrics.checks import Answer, run_check
from evalcore.runners.agents.evaluator import AgentRun, TestError
from evalcore.runners.agents.targets import json_path
from evalcore.runners.agents.targets.agentcore_mcp import AgentCoreMcp
from evalcore.runners.agents.targets.mcp_messages import McpError, McpProtocolError
from evalcore.runners.agents.trace_log import TraceLog
from evalcore.suite.models import AgentTest, CheckMetric, McpToolTest


def run_tool_test(target: AgentCoreMcp, test: AgentTest, run: AgentRun, trace: TraceLog) -> list[MetricScore]:
    """Call the test's tool and check the result: the run's turn, status and reason are set; its scores returned."""
    tool = test.tool
    if tool is None:
        raise TestError("the test has no `tool:` to call")
    session = target.session(test, run.repeat)
    call = ToolCall(function=tool.name, parameters={k: _text(v) for k, v in tool.arguments.items()})
    turn = Turn(user=f"tools/call {tool.name} {json.dumps(tool.arguments, sort_keys=True)}", tool_calls=[call])
    run.turns.append(turn)
    result: dict[str, Any] | None = None
    try:
        outcome = session.call_tool(tool.name, tool.arguments)
        result, text, is_error = outcome.result, outcome.text, outcome.is_error
        error = f"the tool answered isError: true ({text[:200]})" if is_error else None
    except McpError as exc:  # the server's answer: the call failed
        text, is_error, error = str(exc), True, str(exc)
    except McpProtocolError as exc:
        raise TestError(f"MCP protocol failure: {exc}") from None
    finally:
        run.attempts += session.attempts
    turn.agent = text
    trace.add_step("tools/call", name=tool.name, arguments=tool.arguments, result=result, error=error)
    scores = [_error_score(tool, is_error, error), *_checks(tool, text), *_expected(tool, result)]
    not_computed = [f"{s.name}: {s.error}" for s in scores if s.error]
    if not_computed:
        raise TestError("; ".join(not_computed))
    failed = [f"{s.name}: {s.explanation}" for s in scores if s.passed is False]
    run.status, run.reason = ("fail", "; ".join(failed)) if failed else ("pass", None)
    return scores


def _error_score(tool: McpToolTest, is_error: bool, error: str | None) -> MetricScore:
    if is_error == tool.expect_error:
        return MetricScore(name="tool_error", value=1.0, passed=True)
    problem = error if is_error else "the test expects an error, but the tool answered a result"
    return MetricScore(name="tool_error", value=0.0, passed=False, explanation=problem)


def _checks(tool: McpToolTest, text: str) -> list[MetricScore]:
    # McpToolTest admits deterministic checks only (CheckMetric); the filter tells the type checker so.
    return [run_check(m, Answer(text=text), {}) for m in tool.checks if isinstance(m, CheckMetric)]


def _expected(tool: McpToolTest, result: dict[str, Any] | None) -> list[MetricScore]:
    if not tool.expected:
        return []
    for path in tool.expected:
        try:
            json_path.parse(path)
        except json_path.JsonPathError as exc:
            raise TestError(f"expected: {exc}") from None
    problems = []
    for path, value in tool.expected.items():
        if result is None:
            problems.append(f"{path}: no result (the call answered a JSON-RPC error)")
            continue
        try:
            found = json_path.find(result, path)
        except json_path.JsonPathError as exc:
            problems.append(str(exc))
            continue
        if found != value:
            problems.append(f"{path} is {json.dumps(found)[:200]}, expected {json.dumps(value)[:200]}")
    return [
        MetricScore(
            name="tool_result",
            value=0.0 if problems else 1.0,
            passed=not problems,
            explanation="; ".join(problems) or None,
        )
    ]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
