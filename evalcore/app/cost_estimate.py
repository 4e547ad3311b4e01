"""What a run would cost, before it runs (`evalcore validate`, `evalcore run --dry-run`): per section and model,
calls x expected tokens x price, the judge's calls on their own rows.

How the tokens are estimated (evalcore.bedrock.pricing): a model call's input is its rendered prompt and system
text from the dataset as streamed, in characters / 4; its output the section's maxTokens, an upper bound. A judge
call's input is the case's prompt, reference and answer (at that upper bound) plus JUDGE_PROMPT_TOKENS for the
rubric and instructions; its output the judge's maxTokens (1024). Batch sections are priced at the batch factor.
Knowledge bases: the judge's input adds RAG_PASSAGE_TOKENS per passage retrieved (number_of_results), the answer
at the generation's maxTokens. Guardrail probes through a model (via converse|invoke): the probe's text in, the
model's maxTokens out. Agents: per test at most 1 + max_turns + 1 evaluator calls (the first message unless
`initial_prompt`, one per turn, the final verdict) and max_turns bedrock-model target calls; each call's input is
its instructions (JUDGE_PROMPT_TOKENS), the test's text and the whole conversation at its upper bound (max_turns x
(the evaluator's 1024 + the target's maxTokens, DEFAULT_MAX_OUTPUT_TOKENS for a target that is not a model)).
A model without a price is "unknown" with a note, never $0; the calls a budget cannot count (cost_coverage.py) are
rows of their own, "not counted".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from evalcore.app.cost_coverage import calls_not_counted
from evalcore.bedrock.pricing import DEFAULT_MAX_OUTPUT_TOKENS, PRICES_AS_OF, Pricing, input_tokens_estimate
from evalcore.domain.plan import AgentItem, EvaluationItem, Plan
from evalcore.metrics.judge import JUDGE_INFERENCE
from evalcore.runners.agents.evaluator_prompts import INFERENCE as EVALUATOR_INFERENCE
from evalcore.runners.batch_results import BATCH_PRICE_FACTOR
from evalcore.runners.direct import rendered
from evalcore.suite.load import LoadedSuite, ResolvedProbe
from evalcore.suite.models import (
    AgentSection,
    BatchEvaluation,
    BuiltinMetric,
    CustomJudgeMetric,
    DirectKnowledgeBaseSection,
    Evaluation,
    GuardrailSection,
)
from evalcore.suite.targets import BedrockModelTarget

JUDGE_PROMPT_TOKENS = 600  # the judge's rubric, instructions and tool definition: a stated allowance
RAG_PASSAGE_TOKENS = 300  # one retrieved passage in a knowledge-base judge's input: a stated allowance
METHOD = (
    "input = prompt and system characters / 4; output = maxTokens (an upper bound); judge input = prompt + "
    f"reference + answer upper bound + {JUDGE_PROMPT_TOKENS} for the rubric (+ {RAG_PASSAGE_TOKENS} a passage for "
    "a knowledge base); agents: 2 + max_turns evaluator calls and max_turns model-target calls a test, each with "
    "the whole conversation at its upper bound"
)
Found = dict[tuple[str, str], "CostRow"]


@dataclass
class CostRow:
    section: str
    role: str  # "model" | "judge" | "-" (not estimated)
    model_id: str
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float | None = None  # None: unknown (no price, or a section not estimated)
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "role": self.role,
            "model": self.model_id,
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "usd": "unknown" if self.usd is None else round(self.usd, 6),
            **({"note": self.note} if self.note else {}),
        }


def estimate(loaded: LoadedSuite, plan: Plan) -> list[CostRow]:
    """One row per section, role and model, in the suite's order; then a row per kind of call a budget cannot
    count."""
    pricing = Pricing.of_suite(loaded.suite)
    rows: list[CostRow] = []
    for section in loaded.suite.sections():
        cases = plan.cases.of(section.name)
        if not len(cases):
            continue
        found: Found = {}
        factor = 1.0
        if isinstance(section, Evaluation):
            _evaluation(loaded, section, cases, found)
            factor = BATCH_PRICE_FACTOR if isinstance(section, BatchEvaluation) else 1.0
        elif isinstance(section, DirectKnowledgeBaseSection):
            _knowledge_base(loaded, section, cases, found)
        elif isinstance(section, GuardrailSection) and section.model is not None:
            _guardrail(loaded, section, cases, found)
        elif isinstance(section, AgentSection):
            _agents(loaded, section, cases, found)
        rows.extend(_priced(found, pricing, factor))
        for what in calls_not_counted(loaded, section):
            rows.append(CostRow(section.name, "-", "-", calls=len(cases), note=f"not counted by a budget: {what}"))
    return rows


def _priced(found: Found, pricing: Pricing, factor: float) -> Iterator[CostRow]:
    for (role, _), row in sorted(found.items(), key=lambda item: item[0][0] != "model"):  # models, then judges
        price = pricing.per_mtok(row.model_id)
        if price is None:
            row.note = "no price: give the model a `price:` in the suite"
        else:
            row.usd = (row.input_tokens * price[0] + row.output_tokens * price[1]) / 1_000_000
            if role == "model" and factor != 1.0:
                row.usd *= factor
                row.note = f"batch inference at {factor:g}x the on-demand price"
        yield row


def _judge_of(loaded: LoadedSuite, section: Any, metric: Any) -> str | None:
    name = getattr(metric, "judge", None) or section.judge or loaded.suite.defaults.judge
    return None if name is None else loaded.suite.model_spec(name).id


def _evaluation(loaded: LoadedSuite, section: Evaluation, cases: Any, found: Found) -> None:
    suite = loaded.suite
    judged = [m for m in section.metrics if isinstance(m, BuiltinMetric | CustomJudgeMetric)]
    samples = getattr(section, "judge_samples", 1)
    judge_out = int(JUDGE_INFERENCE["maxTokens"])
    for case in cases:
        spec = suite.model_spec(case.called_model())
        inference = suite.defaults.inference.merged(spec.inference).merged(section.inference)
        out_tokens = inference.max_tokens or DEFAULT_MAX_OUTPUT_TOKENS
        record = case.item_as(EvaluationItem).fields
        prompt, system = rendered(section, record)
        in_tokens = input_tokens_estimate(len(prompt) + len(system or ""))
        _add(found, section.name, "model", spec.id, 1, in_tokens, out_tokens)
        reference = record.get("referenceResponse")
        judge_in = in_tokens + out_tokens + JUDGE_PROMPT_TOKENS
        judge_in += input_tokens_estimate(len(reference)) if isinstance(reference, str) else 0
        for metric in judged:
            judge = _judge_of(loaded, section, metric)
            if judge is not None:
                _add(found, section.name, "judge", judge, samples, judge_in, judge_out)


def _knowledge_base(loaded: LoadedSuite, section: DirectKnowledgeBaseSection, cases: Any, found: Found) -> None:
    """The judge's calls (Retrieve and RetrieveAndGenerate are not billed by the token: cost_coverage.py)."""
    suite = loaded.suite
    judged = [m for m in section.metrics if isinstance(m, BuiltinMetric | CustomJudgeMetric)]
    judge_out = int(JUDGE_INFERENCE["maxTokens"])
    answer = 0
    if section.model is not None and section.operation == "retrieve-and-generate":
        spec = suite.model_spec(section.model)
        inference = suite.defaults.inference.merged(spec.inference).merged(section.inference)
        answer = inference.max_tokens or DEFAULT_MAX_OUTPUT_TOKENS
    for case in cases:
        record = case.item_as(EvaluationItem).fields
        target = section.targets[case.called_model()]
        texts = [v for v in (record.get("prompt"), record.get("referenceResponse")) if isinstance(v, str)]
        judge_in = sum(input_tokens_estimate(len(t)) for t in texts) + answer + JUDGE_PROMPT_TOKENS
        judge_in += target.number_of_results * RAG_PASSAGE_TOKENS
        for metric in judged:
            judge = _judge_of(loaded, section, metric)
            if judge is not None:
                _add(found, section.name, "judge", judge, 1, judge_in, judge_out)


def _guardrail(loaded: LoadedSuite, section: GuardrailSection, cases: Any, found: Found) -> None:
    """The model a probe goes through (via converse|invoke)."""
    spec = loaded.suite.model_spec(section.model or "")
    out_tokens = loaded.suite.defaults.inference.merged(spec.inference).max_tokens or DEFAULT_MAX_OUTPUT_TOKENS
    for case in cases:
        probe = case.item_as(ResolvedProbe).probe
        texts = [t for t in (probe.text, probe.grounding_source, probe.query) if t]
        _add(found, section.name, "model", spec.id, 1, input_tokens_estimate(sum(map(len, texts))), out_tokens)


def _agents(loaded: LoadedSuite, section: AgentSection, cases: Any, found: Found) -> None:
    """The evaluator's calls and a bedrock-model target's, at the conversation's upper bound."""
    resolved = loaded.agents.get(section.name)
    if resolved is None or resolved.evaluator_model_id is None:
        return
    target = resolved.target if isinstance(resolved.target, BedrockModelTarget) else None
    evaluator_out = int(EVALUATOR_INFERENCE["maxTokens"])
    target_out = target.max_tokens if target is not None else DEFAULT_MAX_OUTPUT_TOKENS
    for case in cases:
        test = case.item_as(AgentItem).test
        if test.tool is not None:
            continue  # a tool test calls one tool: no evaluator, no model
        turns = test.max_turns
        conversation = turns * (evaluator_out + target_out)
        text = input_tokens_estimate(len(" ".join([*test.steps, *test.expected_results])))
        calls = turns + (1 if test.initial_prompt is None else 0) + 1
        evaluator_in = JUDGE_PROMPT_TOKENS + text + conversation
        _add(found, section.name, "judge", resolved.evaluator_model_id, calls, evaluator_in, evaluator_out)
        if target is not None:
            target_in = input_tokens_estimate(len(target.system or "")) + conversation
            _add(found, section.name, "model", target.model_id, turns, target_in, target_out)


def _add(found: Found, section: str, role: str, model_id: str, calls: int, inp: int, out: int) -> None:
    row = found.setdefault((role, model_id), CostRow(section, role, model_id))
    row.calls += calls
    row.input_tokens += inp * calls
    row.output_tokens += out * calls


def table(rows: list[CostRow]) -> list[str]:
    """The estimate as lines of text (validate's output; dry-run's on stderr)."""
    lines = [f"estimated cost (USD; prices as of {PRICES_AS_OF}, check https://aws.amazon.com/bedrock/pricing/):"]
    lines.append(f"  {'section':<20} {'role':<6} {'model':<44} {'calls':>7} {'in tok':>10} {'out tok':>10} {'USD':>10}")
    for r in rows:
        usd = "unknown" if r.usd is None else f"{r.usd:.4f}"
        note = f"  ({r.note})" if r.note else ""
        lines.append(
            f"  {r.section:<20} {r.role:<6} {r.model_id:<44} {r.calls:>7} {r.input_tokens:>10} "
            f"{r.output_tokens:>10} {usd:>10}{note}"
        )
    known = sum(r.usd for r in rows if r.usd is not None)
    unknown = sum(1 for r in rows if r.usd is None)
    tail = f" (+ {unknown} row{'s' if unknown != 1 else ''} unknown)" if unknown else ""
    lines.append(f"  total: about ${known:.4f}{tail}")
    lines.append(f"  tokens: {METHOD}")
    return lines


def unpriced_models(rows: list[CostRow]) -> list[str]:
    """The model ids a budget cannot price (a run with --max-cost-usd refuses them)."""
    return sorted({r.model_id for r in rows if r.role != "-" and r.usd is None})
