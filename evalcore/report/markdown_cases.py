"""The worst cases of each section as `<details>` blocks: why, the prompt, the reference, the answer, the judge."""

from __future__ import annotations

from evalcore.domain.results import CaseResult, RunResult
from evalcore.report import figures
from evalcore.report.case_index import CaseIndex
from evalcore.report.cases import title, tool_call, why
from evalcore.report.markdown_escape import code_block, html_text, inline

WORST_PER_SECTION = 20
TEXT_LIMIT = 2000
ICON = {"fail": "❌", "error": "⚠️", "skipped": "⏭️", "pass": "✅"}


def worst_cases(run: RunResult, index: CaseIndex, per_section: int = WORST_PER_SECTION) -> list[str]:
    """Failed and errored cases, worst first within each section, at most `per_section` each."""
    blocks: list[str] = []
    for section in run.sections:
        blocks.extend(_details(c) for c in index.read(index.worst(section.name, per_section)))
    return blocks


def _details(case: CaseResult) -> str:
    who = f" · {case.model}" if case.model else ""
    summary = html_text(f"{case.section}{who} · {title(case)}: {why(case)}", 300)
    parts = [f"<details><summary>{ICON[case.status]} {summary}</summary>", ""]
    if case.source:
        parts += [f"source: {inline(case.source, 200)}", ""]
    for label, text in (("prompt", case.prompt), ("reference", case.reference), ("output", case.output)):
        if text:
            parts += [f"**{label}**", "", code_block(text, TEXT_LIMIT), ""]
    for m in case.metrics:
        value = figures.NONE if m.value is None else f"{m.value:.3f}"
        mark = {True: " ✅", False: " ❌", None: ""}[m.passed]
        line = f"- {inline(m.name, 80)}: {value}{mark}"
        note = m.error or m.explanation
        if note:
            line += f": {inline(note, 600)}"
        parts.append(line)
    if case.guardrail is not None:
        g = case.guardrail
        hits = ", ".join(inline(h.policy, 60) for h in g.hits) or "none"
        parts.append(f"- guardrail: expected {g.expected}, observed {g.observed}; policies that fired: {hits}")
    if case.agent is not None:
        for n, turn in enumerate(case.agent.turns, 1):
            parts.append(f"- turn {n}: user: {inline(turn.user, 300)}")
            if turn.agent:
                parts.append(f"  agent: {inline(turn.agent, 600)}")
            for call in turn.tool_calls:
                parts.append(f"  tool: {inline(tool_call(call), 200)}")
            if turn.citations:
                parts.append(f"  cited: {inline(', '.join(turn.citations), 300)}")
        if case.agent.reasoning:
            parts.append(f"- evaluator: {inline(case.agent.reasoning, 600)}")
    parts += ["", "</details>"]
    return "\n".join(parts)
