"""What a cost budget cannot count, per section: the calls whose spend is not a Bedrock model call evalcore makes
and that answers with its token usage.

The budget (evalcore.engine.budget) counts every Converse and InvokeModel call evalcore makes: evaluation models and
judges, knowledge-base judges, the agent evaluator and bedrock-model agent targets, the model behind a guardrail
probe (via converse|invoke). It cannot count:
- a knowledge base's Retrieve and RetrieveAndGenerate: neither response carries token usage (botocore's
  bedrock-agent-runtime model, 2023-07-26, shapes RetrieveResponse and RetrieveAndGenerateResponse: no `usage`);
  Retrieve's query embedding and vector store are billed elsewhere;
- a guardrail's own charge (by text units, not tokens: ApplyGuardrail's `usage` counts policy units);
- an agent target other than bedrock-model (an agent, flow, runtime, Lambda, endpoint...: its spend is its own),
  AgentCore Evaluations and AgentCore batch evaluations;
- Bedrock evaluation jobs (mode bedrock-job): Bedrock makes their calls, after evalcore has started them.

A run with a budget refuses such a suite (exit 2) unless it accepts these (`--accept-uncounted-cost`,
`defaults.accept_uncounted_cost`): a budget that silently does not hold is worse than none.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from evalcore.domain.plan import Plan
from evalcore.suite.load import LoadedSuite
from evalcore.suite.models import (
    AgentSection,
    GuardrailSection,
    JobEvaluation,
    JobKnowledgeBaseSection,
    KnowledgeBaseSection,
)
from evalcore.suite.targets import BedrockModelTarget

NO_USAGE = "no token usage in its response"


def not_counted(loaded: LoadedSuite, plan: Plan) -> list[str]:
    """`section: what` for each kind of call a budget cannot count, in the suite's order (sections with cases)."""
    found: list[str] = []
    for section in loaded.suite.sections():
        if len(plan.cases.of(section.name)):
            found += [f"{section.name}: {what}" for what in calls_not_counted(loaded, section)]
    return found


def calls_not_counted(loaded: LoadedSuite, section: Any) -> Iterator[str]:
    """The kinds of call of `section` a budget cannot count."""
    if isinstance(section, JobEvaluation | JobKnowledgeBaseSection):
        yield "Bedrock evaluation jobs (Bedrock makes their calls)"
    elif isinstance(section, KnowledgeBaseSection):
        yield f"Retrieve ({NO_USAGE})"
        if section.operation == "retrieve-and-generate":
            yield f"RetrieveAndGenerate's generation ({NO_USAGE})"
    elif isinstance(section, GuardrailSection):
        yield "ApplyGuardrail (text units)" if section.via == "apply" else "the guardrail's text units"
    elif isinstance(section, AgentSection):
        resolved = loaded.agents.get(section.name)
        if resolved is None:
            return
        if resolved.batch is not None:
            yield "the AgentCore batch evaluation"
            return
        if not isinstance(resolved.target, BedrockModelTarget):
            kind = getattr(resolved.target, "type", "custom")
            yield f"the {kind} target's own spend"
        if resolved.agentcore_evaluators:
            yield "AgentCore Evaluations"
