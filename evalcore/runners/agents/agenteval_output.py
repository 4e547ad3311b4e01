"""agenteval's outputs, for users who read them: `agenteval_summary.md` (pass rate; per test its steps, expected
results, conversation, result and reasoning) and `agenteval_traces/<test>.json` (every evaluator question and target
turn), written under `<out>/agenteval/<section>/` when the section ends, however its tests ended. Unlike agenteval's,
the summary shows errors as errors. A repeated test's runs are `<test>.json`, `<test>.repeat-2.json`, ...
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from evalcore.domain.plan import AgentItem, Case
from evalcore.domain.results import CaseResult
from evalcore.runners.agents.trace_log import TraceLog

SUMMARY_FILE = "agenteval_summary.md"
TRACES_DIR = "agenteval_traces"
_ICON = {"pass": "🟢", "fail": "🔴", "error": "⚠️", "skipped": "⚪"}


def write(folder: Path, cases: Iterable[Case], results: list[CaseResult], traces: dict[str, TraceLog]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    by_id = {r.case_id: r for r in results}
    done = [(c, by_id[c.id]) for c in cases if c.id in by_id]
    (folder / TRACES_DIR).mkdir(exist_ok=True)
    for case, _ in done:
        trace = traces.get(case.id)
        if trace is not None:
            path = folder / TRACES_DIR / f"{_trace_name(case)}.json"
            path.write_text(json.dumps(trace.as_json(), default=str, indent=2), encoding="utf-8")
    (folder / SUMMARY_FILE).write_text(_summary(done), encoding="utf-8")


def _summary(done: list[tuple[Case, CaseResult]]) -> str:
    passed = sum(r.status == "pass" for _, r in done)
    rate = round(100 * passed / len(done), 2) if done else 0.0
    lines = [
        "# Test Summary",
        "---",
        "This document provides a summary of the tests executed by evalcore (in Agent Evaluation's layout).",
        "",
        "> :warning: The evaluator is a generative AI model and its evaluations may contain errors. **Please "
        "thoroughly examine the results below prior to deciding whether to implement an agent.**",
        "---",
        "## Metrics",
        "",
        f"**Pass Rate** = {rate:g} %",
        "",
        "---",
        "## Tests",
    ]
    lines += [f"- [{_ICON[r.status]} {_title(c)}](#{_anchor(c)})" for c, r in done]
    lines += ["", "---", ""]
    for case, result in done:
        test = case.item_as(AgentItem).test
        lines += [f"## <a id={_anchor(case)}></a>{_ICON[result.status]} {_title(case)}", "", "**Steps**"]
        lines += [f"{i}. {step}" for i, step in enumerate(test.steps, 1)]
        lines += ["", "**Expected results**"]
        lines += [f"{i}. {expected}" for i, expected in enumerate(test.expected_results, 1)]
        lines += ["", "**Conversation**", "```"]
        for turn in result.agent.turns if result.agent else []:
            lines += [f"[USER] {_fenced(turn.user)}", f"[AGENT] {_fenced(turn.agent or '')}"]
        lines += ["```", "", "**Result**", _result_text(result), "", "**Reasoning**", "```"]
        lines += [_fenced((result.agent.reasoning if result.agent else None) or ""), "```", "", "---"]
    return "\n".join(lines) + "\n"


def _result_text(result: CaseResult) -> str:
    if result.status == "pass":
        return result.reason or "All of the expected results can be observed in the conversation."
    if result.status == "error":
        return f"Error: {result.reason}"
    return result.reason or "Failed."


def _title(case: Case) -> str:
    return case.item_as(AgentItem).test_name + (f" (repeat {case.repeat + 1})" if case.repeat else "")


def _anchor(case: Case) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", _title(case))


def _trace_name(case: Case) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", case.item_as(AgentItem).test_name)
    return name + (f".repeat-{case.repeat + 1}" if case.repeat else "")


def _fenced(text: str) -> str:
    return text.replace("```", "`\u200b``")
