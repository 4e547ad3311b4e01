"""What every report says about one case: its stable title, where its item stands, why it did not pass."""

from __future__ import annotations

import re

from evalcore.domain.results import CaseResult, MetricScore, ToolCall
from evalcore.report.plain import one_line, plain

TITLE_PREFIX = 60
_SOURCE = re.compile(r"^(?P<file>.*?):(?P<line>\d+)$")


def title(case: CaseResult) -> str:
    """A name that stays the same across runs while the item does: an agent test's name, else the prompt's first
    words, with the item's content key (what case ids derive from) and the repeat when there are several."""
    if case.agent is not None:
        label = one_line(case.agent.test, TITLE_PREFIX)
        key = ""
    else:
        label = one_line(case.prompt, TITLE_PREFIX) or one_line(case.source, TITLE_PREFIX) or "item"
        digest, _, occurrence = case.item_key.partition("#")  # identical items are told apart by "#n"
        key = f" [{digest[:8]}{'#' + occurrence if occurrence else ''}]"
    repeat = f" (repeat {case.repeat + 1})" if case.repeat else ""
    return f"{label}{key}{repeat}"


def source_of(case: CaseResult) -> tuple[str | None, int | None]:
    """The file and line of the item, from `source` ("file:line")."""
    if not case.source:
        return None, None
    match = _SOURCE.match(case.source)
    if not match:
        return case.source, None
    return match["file"], int(match["line"])


def failed_metrics(case: CaseResult) -> list[MetricScore]:
    """The metrics that failed their per-case check, or could not be computed."""
    return [m for m in case.metrics if m.passed is False or m.error]


def why(case: CaseResult) -> str:
    """One line: why the case failed, errored or was skipped (empty for a pass)."""
    if case.status == "pass":
        return ""
    parts = [plain(case.reason)] if case.reason else []
    for m in failed_metrics(case):
        if case.reason and m.name in case.reason:
            continue  # the reason already names it
        if m.error:
            parts.append(f"{m.name}: could not be computed: {plain(m.error)}")
        else:
            shown = "" if m.value is None else f" {m.value:.3g}"
            parts.append(f"{m.name}{shown} failed")
    if not parts and case.agent is not None and case.agent.reasoning:
        parts.append(f"the evaluator: {plain(case.agent.reasoning)}")
    if case.guardrail is not None and case.guardrail.expected != case.guardrail.observed:
        parts.append(f"expected {case.guardrail.expected}, the guardrail {case.guardrail.observed} it")
    return one_line("; ".join(parts), 300) or case.status


def tool_call(call: ToolCall) -> str:
    """`group.function(name=value, ...)`."""
    name = ".".join(p for p in (call.action_group, call.function) if p) or "tool"
    args = ", ".join(f"{k}={v}" for k, v in call.parameters.items())
    return f"{name}({args})"
