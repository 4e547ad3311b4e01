"""Runners turn a section's planned cases into CaseResults. Every runner has the same shape (`Runner`), so
nothing after them knows which runner made a result."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalcore.bedrock.clients import Aws
from evalcore.domain.plan import Case
from evalcore.domain.results import CaseResult, Status
from evalcore.engine.scheduler import Scheduler
from evalcore.suite.load import LoadedSuite
from evalcore.suite.models import (
    AgentSection,
    BatchEvaluation,
    DirectEvaluation,
    Evaluation,
    GuardrailSection,
    JobEvaluation,
    KnowledgeBaseSection,
)


@dataclass
class RunContext:
    loaded: LoadedSuite
    aws: Aws
    scheduler: Scheduler
    out: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    resume: bool = False  # --resume: runners may re-attach to work recorded in `out` (evaluation jobs)
    changed: frozenset[str] = frozenset()  # --resume: cases whose inputs changed since `out`'s results were made


class SectionNotRun(Exception):
    """Raised by a runner before it emits anything when the whole section cannot run (e.g. its S3 bucket does not
    exist): the section is reported `not_run` with this reason, and its cases get no result (`--resume` runs them)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# (context, section name, the cases to run, emit one result) -> None. Must emit one result per case and never
# raise for a case's failure; the orchestrator turns a runner's own crash into error results.
Runner = Callable[[RunContext, str, list[Case], Callable[[CaseResult], None]], None]


def case_result(case: Case, status: Status = "error", **fields: Any) -> CaseResult:
    """A case's result with its identity filled in from the case; `error` until a runner knows better."""
    return CaseResult(
        case_id=case.id,
        section=case.section,
        kind=case.kind,
        model=case.model,
        repeat=case.repeat,
        item_key=case.item_key,
        fingerprint=case.fingerprint,
        status=status,
        **fields,
    )


def runner_for(section: Evaluation | GuardrailSection | AgentSection | KnowledgeBaseSection) -> Runner:
    """The runner for a section: each mode's type has its own."""
    if isinstance(section, DirectEvaluation):
        from evalcore.runners.direct import run_direct

        return run_direct
    if isinstance(section, JobEvaluation):
        from evalcore.runners.eval_jobs import run_eval_jobs

        return run_eval_jobs
    if isinstance(section, BatchEvaluation):
        from evalcore.runners.batch import run_batch

        return run_batch
    if isinstance(section, GuardrailSection):
        from evalcore.runners.guardrails import run_guardrails

        return run_guardrails
    if isinstance(section, AgentSection):
        from evalcore.runners.agents.runner import run_agents

        return run_agents
    if isinstance(section, KnowledgeBaseSection):  # mode bedrock-job is refused when the suite loads
        from evalcore.runners.rag import run_knowledge_bases

        return run_knowledge_bases
    raise TypeError(f"no runner for a {type(section).__name__}")
