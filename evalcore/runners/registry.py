"""Which runner runs a section: the one place that knows every runner (imported lazily, so loading the registry
does not load every runner's dependencies)."""

from __future__ import annotations

from evalcore.runners.context import Runner
from evalcore.suite.models import (
    AgentSection,
    BatchEvaluation,
    DirectEvaluation,
    Evaluation,
    GuardrailSection,
    JobEvaluation,
    JobKnowledgeBaseSection,
    KnowledgeBaseSection,
)


def runner_for(section: Evaluation | GuardrailSection | AgentSection | KnowledgeBaseSection) -> Runner:
    """The runner for a section: each section type (each evaluation mode's type) has its own."""
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
    if isinstance(section, AgentSection) and section.evaluation is not None:
        from evalcore.runners.agents.agentcore_batch import run_agentcore_batch

        return run_agentcore_batch
    if isinstance(section, AgentSection):
        from evalcore.runners.agents.runner import run_agents

        return run_agents
    if isinstance(section, JobKnowledgeBaseSection):
        from evalcore.runners.rag_jobs import run_knowledge_base_jobs

        return run_knowledge_base_jobs
    if isinstance(section, KnowledgeBaseSection):
        from evalcore.runners.rag import run_knowledge_bases

        return run_knowledge_bases
    raise TypeError(f"no runner for a {type(section).__name__}")
