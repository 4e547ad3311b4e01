"""The scores an emulated evaluation job gives one record. Every score is in [0, 1] except Robustness (a percentage);
None means not applicable.

Algorithmic metrics (automatic jobs):

* ``Builtin.Accuracy``: token F1 of the response against ``referenceResponse`` (``wording.token_f1``); for
  ``Classification`` tasks 1.0 when the normalised words are equal, else 0.0. None without a reference.
* ``Builtin.Robustness``: how much the answer changes when the prompt is perturbed (upper-cased, spaces doubled),
  in percent: ``100 * (1 - token F1)`` between the response and the response to the perturbed prompt; 0 means the
  answer did not change, and lower is better, as on Bedrock (user guide, "model-evaluation-report-programmatic":
  semantic robustness is a change under small perturbations, a low value is good; a real output reads 17.878).
  None for bring-your-own-inference records.
* ``Builtin.Toxicity``: 1.0 when the response contains a word of ``jobs.toxic_words`` (whole words, any case).

Judge metrics (``evaluatorModelConfig`` jobs): ``Builtin.Harmfulness`` and ``Builtin.Stereotyping`` follow the
toxicity rule, ``Builtin.Refusal`` is 1.0 for a refusal (``judge.is_refusal``); every other judge metric is the
world's judge score (``ctx.judge``, see ``judge.py``) of a prompt carrying the metric name, ``<prompt>``,
``<response>`` and ``<reference>``. Knowledge base (RAG) metrics: ``Builtin.ContextRelevance`` is the share of the
prompt's words found in the retrieved passages, ``Builtin.ContextCoverage`` the share of the reference's words
found there (None without a reference), ``Builtin.CitationCoverage`` the share of the response's words found in
the cited passages, ``Builtin.CitationPrecision`` the share of cited passages sharing a word with the response.

Custom metrics: the judge picks a value of the metric's ``ratingScale`` (a forced tool whose ``rating`` enum is
the scale). The result is the ``floatValue``; for ``stringValue`` scales (listed best first) it is
``1 - position / (n - 1)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from evalcore.aws_facts import bedrock_metrics
from evalcore_emulator import judge
from evalcore_emulator.protocol import EmulatorContext
from evalcore_emulator.wording import overlap, token_f1, words

# Bedrock's metric names (botocore's service model), the same lists evalcore's suite validation uses.
ALGORITHMIC = frozenset(bedrock_metrics.ALGORITHMIC)
JUDGE = frozenset(bedrock_metrics.JUDGE)
RAG_RETRIEVE = frozenset(bedrock_metrics.RETRIEVE_ONLY_JUDGE)
RAG_GENERATE = JUDGE | (frozenset(bedrock_metrics.RAG) - RAG_RETRIEVE)


@dataclass(frozen=True)
class Sample:
    """One dataset record with the response under evaluation (and, for RAG, what was retrieved and cited)."""

    prompt: str
    reference: str | None
    task_type: str
    response: str
    model_id: str | None  # None for bring-your-own-inference: no model to ask again
    contexts: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)


def score(
    ctx: EmulatorContext, metric: str, sample: Sample, evaluator: str | None, custom: dict[str, Any] | None
) -> dict[str, Any]:
    """The ``scores`` entry for ``metric``; ``custom`` is the metric's customMetricDefinition when it is one."""
    if custom is not None:
        return _custom(ctx, custom, sample, evaluator)
    toxic = _is_toxic(ctx, sample.response)
    if metric == "Builtin.Accuracy":
        return _entry("Accuracy", _accuracy(sample))
    if metric == "Builtin.Robustness":
        return _entry("Robustness", _robustness(ctx, sample))
    if metric == "Builtin.Toxicity":
        return _entry("Toxicity", float(toxic))
    if metric in ("Builtin.Harmfulness", "Builtin.Stereotyping"):
        note = "The response contains toxic language." if toxic else "The response contains no toxic language."
        return _entry(metric, float(toxic), evaluator, note)
    if metric == "Builtin.Refusal":
        refused = judge.is_refusal(sample.response)
        return _entry(metric, float(refused), evaluator, "The response refuses." if refused else "No refusal.")
    if metric in RAG_RETRIEVE | {"Builtin.CitationPrecision", "Builtin.CitationCoverage"}:
        return _entry(metric, _rag(metric, sample), evaluator, "Word overlap with the retrieved passages.")
    verdict = ctx.judge(_judge_prompt(metric, sample), None)
    return _entry(metric, round(float(verdict["score"]), 4), evaluator, str(verdict.get("reasoning", "")))


def _accuracy(sample: Sample) -> float | None:
    if not sample.reference:
        return None
    if sample.task_type == "Classification":
        return float(words(sample.response) == words(sample.reference))
    return round(token_f1(sample.response, sample.reference), 4)


def _robustness(ctx: EmulatorContext, sample: Sample) -> float | None:
    if sample.model_id is None:
        return None
    perturbed_prompt = sample.prompt.upper().replace(" ", "  ")
    perturbed = ctx.answer(sample.model_id, [{"role": "user", "content": [{"text": perturbed_prompt}]}])
    return round(100 * (1 - token_f1(sample.response, perturbed.text)), 4)


def _is_toxic(ctx: EmulatorContext, text: str) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.IGNORECASE) for w in ctx.world.jobs.toxic_words)


def _rag(metric: str, sample: Sample) -> float | None:
    passages = " ".join(sample.contexts)
    if metric == "Builtin.ContextRelevance":
        return round(overlap(sample.prompt, passages), 4) if sample.contexts else 0.0
    if metric == "Builtin.ContextCoverage":
        return round(overlap(sample.reference, passages), 4) if sample.reference else None
    if not sample.cited:
        return 0.0
    if metric == "Builtin.CitationCoverage":
        return round(overlap(sample.response, " ".join(sample.cited)), 4)
    relevant = sum(1 for passage in sample.cited if set(words(passage)) & set(words(sample.response)))
    return round(relevant / len(sample.cited), 4)


def _judge_prompt(metric: str, sample: Sample) -> str:
    parts = [f"Rate the response for {metric.removeprefix('Builtin.')}.", f"<prompt>{sample.prompt}</prompt>"]
    if sample.contexts:
        parts.append("<context>" + "\n".join(sample.contexts) + "</context>")
    parts.append(f"<response>{sample.response}</response>")
    if sample.reference:
        parts.append(f"<reference>{sample.reference}</reference>")
    return "\n".join(parts)


def _custom(ctx: EmulatorContext, definition: dict[str, Any], sample: Sample, evaluator: str | None) -> dict[str, Any]:
    scale = definition.get("ratingScale") or []
    values = [next(iter(item["value"].values())) for item in scale]
    prompt = definition["instructions"] + "\n" + _judge_prompt(definition["name"], sample)
    if not values:
        verdict = ctx.judge(prompt, None)
        return _entry(definition["name"], round(float(verdict["score"]), 4), evaluator, str(verdict.get("reasoning")))
    schema = {
        "type": "object",
        "properties": {"reasoning": {"type": "string"}, "rating": {"enum": values}},
        "required": ["reasoning", "rating"],
    }
    verdict = ctx.judge(prompt, schema)
    rating = verdict["rating"]
    if isinstance(rating, str):
        result = 1.0 if len(values) == 1 else 1 - values.index(rating) / (len(values) - 1)
    else:
        result = float(rating)
    return _entry(definition["name"], round(result, 4), evaluator, str(verdict.get("reasoning", "")))


def _entry(name: str, result: float | None, evaluator: str | None = None, explanation: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {"metricName": name, "result": result}
    if evaluator is not None:
        entry["evaluatorDetails"] = [{"modelIdentifier": evaluator, "explanation": explanation}]
    return entry
