"""The LLM judge: one metric on one answer, as a structured verdict.

The request follows the judge protocol (judge_protocol.py: the tool, the answer's fields, the material's tags; the
emulator's judge persona reads the same definitions), which is what a real model needs to answer reliably: a
Converse call for one tool's input, `record_verdict`, asked in the strongest protocol the
judge model supports (answer_protocol.py, from evalcore/aws_facts/model_capabilities.yml): forced by
`toolChoice: {"tool": {"name": "record_verdict"}}` (Claude, Nova), else `toolChoice: {"any": {}}` with that one tool
(Mistral Large), else as tagged text (`<reasoning>`, `<rating>`: Llama, Cohere, Titan, DeepSeek...). The user text
holds the metric's instructions, its rating scale and the material in `<prompt>`, `<response>` and (when the metric
uses one) `<reference>` sections; the tool's input schema asks for `reasoning` (text) and `rating` (an enum of the
scale's ratings). The protocol used ends the metric's explanation (`[judge protocol: tool]`).

A verdict that cannot be read (no tool use, a tag missing, a rating outside the scale) is asked for again
(tool_answer.py); when none can be read, the metric is an error, and so is its case: an unread verdict is never a
pass. The cache key holds JUDGE_PROMPT_VERSION.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evalcore.aws_facts.model_capabilities import Protocol, protocol_for
from evalcore.bedrock import tool_answer
from evalcore.bedrock.answer_protocol import answer_input, protocol_of
from evalcore.bedrock.answer_protocol import request as answer_request
from evalcore.bedrock.converse_response import usage_of
from evalcore.bedrock.pricing import Pricing
from evalcore.bedrock.tool_answer import UNREADABLE_ATTEMPTS, NoToolAnswer, ToolQuestion, UnreadableVerdict
from evalcore.domain.results import MetricScore, Usage
from evalcore.engine.cache import CacheKey, Endpoint
from evalcore.engine.scheduler import Scheduler
from evalcore.metrics.judge_prompts import (
    BUILTIN,
    JUDGE_PROMPT_VERSION,
    RAG_PROMPT_VERSION,
    Level,
    Rubric,
    shown,
    user_text,
)
from evalcore.metrics.judge_protocol import NOT_APPLICABLE, RATING, REASONING, TOOL_NAME, verdict_tool
from evalcore.suite.models import BuiltinMetric, CustomJudgeMetric

JUDGE_INFERENCE = {"maxTokens": 1024, "temperature": 0.0}
_ROLE = (
    "You are an impartial evaluator of an AI model's responses. Judge only what the task asks, using the rating "
    "scale given. Think briefly, then "
)
SYSTEM = f"{_ROLE}call the tool {TOOL_NAME} with your reasoning and your rating."
SYSTEM_TEXT = f"{_ROLE}give your reasoning and your rating in the answer format given."


@dataclass(frozen=True)
class Exchange:
    """What is judged: the prompt the model saw, its response, the reference (if any) and the dataset record."""

    prompt: str
    response: str
    reference: str | None
    record: Mapping[str, Any]
    repeat: int  # the case's repeat: each repeat's verdict is its own sample (cache.py)


@dataclass
class JudgeOutcome:
    score: MetricScore
    usage: Usage
    cost_usd: float | None
    cached: bool = False


def rubric_for(metric: BuiltinMetric | CustomJudgeMetric) -> Rubric:
    """The rubric of a built-in judge metric, or of a custom metric in Bedrock's shape."""
    if isinstance(metric, BuiltinMetric):
        return BUILTIN[metric.name]
    scale = metric.rating_scale
    if all(isinstance(level.value, int | float) for level in scale):
        numbers = [float(level.value) for level in scale]
        low, high = min(numbers), max(numbers)
        levels = tuple(
            Level(v, str(level.value), level.definition, (v - low) / (high - low) if high > low else 1.0)
            for v, level in zip(numbers, scale, strict=True)
        )
    else:
        # Text values are ordinal, listed best first (as Bedrock lists them in its examples).
        top = max(1, len(scale) - 1)
        levels = tuple(
            Level(str(level.value), str(level.value), level.definition, 1.0 - i / top) for i, level in enumerate(scale)
        )
    return Rubric(metric.name, metric.instructions, levels, uses_reference="ground_truth" in metric.instructions)


def judge_request(rubric: Rubric, exchange: Exchange, model_id: str, question: str | None = None) -> dict[str, Any]:
    """The Converse request (keyword arguments) that asks `model_id` for a verdict: on `exchange`, or `question`
    when given (a RAG rubric's material, judge_prompts.rag_user_text)."""
    if question is None:
        question = user_text(rubric, exchange.prompt, exchange.response, exchange.reference, exchange.record)
    system = SYSTEM_TEXT if protocol_for(model_id) == "text" else SYSTEM
    return answer_request(
        model_id, system, question, _tool_spec(rubric), JUDGE_INFERENCE, "your reasoning and your rating"
    )


def read_verdict(rubric: Rubric, response: Mapping[str, Any], protocol: Protocol = "tool") -> tuple[Level | None, str]:
    """(the level rated, None when the metric does not apply; the reasoning) from an answer in `protocol`.
    Raises UnreadableVerdict."""
    tool_input = answer_input(response, _tool_spec(rubric), protocol, "the judge")
    reasoning = str(tool_input.get(REASONING) or "").strip()
    if rubric.may_not_apply and tool_input.get(NOT_APPLICABLE) is True:
        return None, reasoning
    rating = tool_input.get(RATING)
    for level in rubric.levels:
        if _same_rating(level.rating, rating):
            return level, reasoning
    allowed = ", ".join(shown(level.rating) for level in rubric.levels)
    raise UnreadableVerdict(f"rating {rating!r} is not on the scale ({allowed})")


class Judge:
    """Asks one judge model for verdicts, through the scheduler (limits, retries) and the cache."""

    def __init__(self, scheduler: Scheduler, client: Any, model_id: str, pricing: Pricing) -> None:
        self.scheduler = scheduler
        self.client = client
        self.model_id = model_id
        self.pricing = pricing

    def score(
        self, rubric: Rubric, exchange: Exchange, *, question: str | None = None, samples: int = 1
    ) -> JudgeOutcome:
        """The verdict on one answer (or on `question`, a RAG rubric's whole text, when given); with `samples` > 1
        the judge is asked that many times (each its own grade sample and cache entry) and the grades averaged: the
        first error makes the metric an error."""
        outcomes = []
        for sample in range(samples):
            outcome = self._grade(rubric, exchange, sample, question)
            outcomes.append(outcome)
            if outcome.score.error is not None:
                break
        return outcomes[0] if samples == 1 else _averaged(rubric, outcomes)

    def _grade(self, rubric: Rubric, exchange: Exchange, sample: int, question: str | None) -> JudgeOutcome:
        request = judge_request(rubric, exchange, self.model_id, question)
        protocol = protocol_of(request)
        cache = self.scheduler.cache
        version = JUDGE_PROMPT_VERSION if question is None else f"rag-{RAG_PROMPT_VERSION}"
        key = (
            CacheKey(Endpoint.of(self.client), "judge", version, self.model_id, request, exchange.repeat, sample)
            if cache is not None
            else None
        )
        read = functools.partial(read_verdict, rubric, protocol=protocol)
        asked = ToolQuestion(self.model_id, request, TOOL_NAME, read, key)
        marker = f"[judge protocol: {protocol}]"
        try:
            answer = tool_answer.ask(self.scheduler, self.client, asked)
        except NoToolAnswer as exc:
            if exc.unreadable:
                reason = f"unreadable verdict after {UNREADABLE_ATTEMPTS} attempts: {exc} {marker}"
                return self._error(rubric, reason, exc.spent)
            return self._error(rubric, f"judge call failed: {exc} {marker}", exc.spent)
        level, reasoning = read(answer.response)
        # As spent when first asked, cached or not: a warm run costs the same.
        usage = answer.spent + usage_of(answer.response)
        value = None if level is None else level.value
        score = MetricScore(name=rubric.name, value=value, explanation=f"{reasoning} {marker}".strip())
        return JudgeOutcome(score, usage, self.pricing.cost(self.model_id, usage), answer.cached)

    def _error(self, rubric: Rubric, reason: str, usage: Usage) -> JudgeOutcome:
        return JudgeOutcome(MetricScore(name=rubric.name, error=reason), usage, self.pricing.cost(self.model_id, usage))


def _averaged(rubric: Rubric, outcomes: list[JudgeOutcome]) -> JudgeOutcome:
    """Several grades of one answer as one score: their mean (the grades that apply), usage and cost summed."""
    usage = Usage()
    for o in outcomes:
        usage += o.usage
    costs = [o.cost_usd for o in outcomes if o.cost_usd is not None]
    cost = sum(costs) if costs else None
    cached = all(o.cached for o in outcomes)
    failed = next((o for o in outcomes if o.score.error is not None), None)
    if failed is not None:
        return JudgeOutcome(MetricScore(name=rubric.name, error=failed.score.error), usage, cost, cached)
    values = [o.score.value for o in outcomes if o.score.value is not None]
    grades = ", ".join("n/a" if o.score.value is None else f"{o.score.value:g}" for o in outcomes)
    first = outcomes[0].score.explanation or ""
    explanation = f"{first} (mean of {len(outcomes)} grades: {grades})".strip()
    value = sum(values) / len(values) if values else None
    return JudgeOutcome(MetricScore(name=rubric.name, value=value, explanation=explanation), usage, cost, cached)


def _tool_spec(rubric: Rubric) -> dict[str, Any]:
    return verdict_tool(rubric.name, [level.rating for level in rubric.levels], rubric.may_not_apply)


def _same_rating(expected: float | str, given: Any) -> bool:
    if isinstance(expected, str):
        return isinstance(given, str) and given.strip().casefold() == expected.strip().casefold()
    if isinstance(given, bool):
        return False
    if isinstance(given, str):
        try:
            given = float(given)
        except ValueError:
            return False
    return isinstance(given, int | float) and math.isclose(float(given), float(expected), abs_tol=1e-9)
