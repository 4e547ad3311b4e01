"""Trace assertions beyond agenteval: `expected_tool_calls` and `expected_citations`, checked over every turn.

A tool call expectation matches a call when its `action_group` (if given) equals the call's, its `function` (if
given) equals the call's function name or API path, and each of its `parameters` equals the call's value as text.
`must: true` needs at least one matching call, `must: false` none. An expected citation is met when a cited
document's URI equals it or contains it (so a file name is enough).
"""

from __future__ import annotations

from collections.abc import Sequence

from evalcore.domain.results import MetricScore, ToolCall, Turn
from evalcore.suite.models import AgentTest, ToolCallExpectation


def check(test: AgentTest, turns: Sequence[Turn]) -> list[MetricScore]:
    scores = []
    calls = [call for turn in turns for call in turn.tool_calls]
    if test.expected_tool_calls:
        problems = [p for e in test.expected_tool_calls if (p := _tool_call_problem(e, calls))]
        scores.append(_score("tool_calls", problems))
    if test.expected_citations:
        cited = [uri for turn in turns for uri in turn.citations]
        missing = [c for c in test.expected_citations if not any(c == uri or c in uri for uri in cited)]
        problems = [f"'{c}' was not cited (cited: {', '.join(cited) or 'nothing'})" for c in missing]
        scores.append(_score("citations", problems))
    return scores


def _tool_call_problem(expected: ToolCallExpectation, calls: list[ToolCall]) -> str | None:
    matching = [c for c in calls if _matches(expected, c)]
    name = ".".join(p for p in (expected.action_group, expected.function) if p)
    if expected.parameters:
        name += "(" + ", ".join(f"{k}={v}" for k, v in expected.parameters.items()) + ")"
    if expected.must and not matching:
        seen = ", ".join(_describe(c) for c in calls) or "none"
        return f"expected a call to {name} (calls: {seen})"
    if not expected.must and matching:
        return f"{name} must not be called, but was: {_describe(matching[0])}"
    return None


def _matches(expected: ToolCallExpectation, call: ToolCall) -> bool:
    if expected.action_group is not None and expected.action_group != call.action_group:
        return False
    if expected.function is not None and expected.function != call.function:
        return False
    return all(call.parameters.get(k) == _text(v) for k, v in (expected.parameters or {}).items())


def _text(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _describe(call: ToolCall) -> str:
    params = ", ".join(f"{k}={v}" for k, v in call.parameters.items())
    return f"{call.action_group}.{call.function}({params})"


def _score(name: str, problems: list[str]) -> MetricScore:
    return MetricScore(
        name=name,
        value=0.0 if problems else 1.0,
        passed=not problems,
        explanation="; ".join(problems) or None,
    )
