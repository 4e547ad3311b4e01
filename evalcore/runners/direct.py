"""Direct evaluations: Converse here, score here. For each case: render the prompt and system over the record,
call the model under test through the scheduler (limits, retries, cache), then compute the section's metrics.

A case's status:
- `error` when the model call failed (a final error, or retries exhausted) or any metric could not be computed,
  an unreadable judge verdict included; the reason says which;
- `fail` when a pass/fail check failed (equals, contains..., json_schema, length, latency_ms, cost_usd...);
- `pass` otherwise. Judge scores and the graded reference metrics (token_f1, rouge_l) do not decide a case:
  they feed the aggregates, and thresholds on them decide the run.

Usage and cost are those of the answer and the verdicts, whether they came from the cache or not (`cached` says
which), so a warm re-run gives the same results, and the same verdict on cost thresholds, as the run it repeats.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from evalcore.bedrock.converse_response import text_of, tokens_of, trim_response, usage_of
from evalcore.bedrock.pricing import Pricing, worst_case_tokens
from evalcore.domain.plan import Case, EvaluationItem
from evalcore.domain.results import CaseResult, MetricScore, Status, Usage
from evalcore.engine.cache import CacheKey, Endpoint
from evalcore.engine.scheduler import Call, CallFailed, CallResult, Cancelled, Scheduler
from evalcore.metrics.checks import REFERENCE_FIELD, Answer, run_check
from evalcore.metrics.judge import Exchange, Judge, rubric_for
from evalcore.metrics.judge_prompts import Rubric
from evalcore.runners.context import RunContext, case_result
from evalcore.suite.models import CheckMetric, Evaluation, Inference, ScoredHere, Suite
from evalcore.suite.template import render


@dataclass(frozen=True)
class Target:
    """A model under test as this section calls it."""

    model_id: str
    inference: dict[str, Any]  # Converse's inferenceConfig
    settings: Inference  # the same, as the suite gives them (for InvokeModel bodies)


@dataclass
class Section:
    """A direct-scored section ready to run: its targets, checks and judges (shared with `mode: batch`)."""

    evaluation: ScoredHere
    scheduler: Scheduler
    client: Any
    targets: dict[str, Target]
    checks: list[CheckMetric]
    judged: list[tuple[Rubric, Judge]]
    pricing: Pricing


def run_direct(ctx: RunContext, section_name: str, cases: Iterable[Case], emit: Callable[[CaseResult], None]) -> None:
    """The Runner for `mode: direct` evaluations."""
    section = prepare_section(ctx, section_name, cases)
    workers = section.evaluation.concurrency or ctx.scheduler.concurrency
    ctx.scheduler.map(cases, functools.partial(_run_case, section), emit, workers=workers)


def pricing_for(ctx: RunContext) -> Pricing:
    """The default price table with the suite's `models.<name>.price` overrides."""
    return Pricing.of_suite(ctx.loaded.suite)


def prepare_section(ctx: RunContext, section_name: str, cases: Iterable[Case]) -> Section:
    suite = ctx.loaded.suite
    evaluation = suite.section(section_name, ScoredHere)
    client = ctx.aws.client("bedrock-runtime")
    pricing = pricing_for(ctx)
    targets = targets_for(suite, evaluation, cases)
    judges: dict[str, Judge] = {}
    judged = []
    checks = []
    for metric in evaluation.metrics:
        if isinstance(metric, CheckMetric):
            checks.append(metric)
            continue
        name = getattr(metric, "judge", None) or evaluation.judge or suite.defaults.judge
        if name is None:  # the loader reports this before a run
            raise ValueError(f"{metric.name} needs a judge model (set `judge:` or `defaults.judge`)")
        judge_id = suite.model_spec(name).id
        if judge_id not in judges:
            judges[judge_id] = Judge(ctx.scheduler, client, judge_id, pricing)
        judged.append((rubric_for(metric), judges[judge_id]))
    return Section(evaluation, ctx.scheduler, client, targets, checks, judged, pricing)


def targets_for(suite: Suite, evaluation: Evaluation, cases: Iterable[Case]) -> dict[str, Target]:
    """The models the cases call, by name, with the inference the section gives each."""
    targets = {}
    for name in {c.model for c in cases if c.model is not None}:
        spec = suite.model_spec(name)
        inference = suite.defaults.inference.merged(spec.inference).merged(evaluation.inference)
        targets[name] = Target(spec.id, _inference_config(inference), inference)
    return targets


def _inference_config(inference: Inference) -> dict[str, Any]:
    config = {
        "maxTokens": inference.max_tokens,
        "temperature": inference.temperature,
        "topP": inference.top_p,
        "stopSequences": inference.stop_sequences,
    }
    return {k: v for k, v in config.items() if v is not None}


def _run_case(section: Section, case: Case) -> CaseResult:
    """One case to one result; never raises."""
    result = new_result(section, case)
    target, record = section.targets[case.called_model()], case.item_as(EvaluationItem).fields
    return guarded(result, lambda: _evaluate(section, target, record, result))


def new_result(section: Section, case: Case) -> CaseResult:
    """A case's result before anything is known: `error` until scored."""
    item = case.item_as(EvaluationItem)
    record = item.fields
    target = section.targets[case.called_model()]
    reference = record.get(REFERENCE_FIELD)
    return case_result(
        case,
        model_id=target.model_id,
        source=item.source,
        reference=reference if isinstance(reference, str) else None,
        category=str(record["category"]) if record.get("category") is not None else None,
        cluster=_field_text(record, section.evaluation.cluster_by),
    )


def _field_text(record: dict[str, Any], name: str | None) -> str | None:
    """A record's field as text (the item's cluster); None without the field or its value."""
    if name is None or record.get(name) is None:
        return None
    return str(record[name])


def guarded(result: CaseResult, work: Callable[[], None]) -> CaseResult:
    """`result` after `work` fills it in; a cancellation or a bug in `work` makes it `error`, never raises."""
    try:
        work()
    except Cancelled as exc:  # SIGTERM/SIGINT, or the cost budget refused a call of a case already started
        result.status, result.reason = "error", str(exc) or "cancelled before it finished"
    except Exception as exc:  # a bug must cost one case, not the run
        result.status, result.reason = "error", f"{type(exc).__name__}: {exc}"
    return result


def render_prompt(section: Section, record: dict[str, Any], result: CaseResult) -> tuple[str, str | None]:
    """The case's prompt and system text, rendered over its record (and kept in its result)."""
    prompt, system = rendered(section.evaluation, record)
    result.prompt, result.system = prompt, system
    return prompt, system


def rendered(evaluation: Evaluation, record: dict[str, Any]) -> tuple[str, str | None]:
    """The prompt and system text of a record."""
    prompt = render(evaluation.prompt, record)
    system = render(evaluation.system, record) if evaluation.system else None
    return prompt, system


def _evaluate(section: Section, target: Target, record: dict[str, Any], result: CaseResult) -> None:
    prompt, system = render_prompt(section, record, result)
    request: dict[str, Any] = {
        "modelId": target.model_id,
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
    }
    if system:
        request["system"] = [{"text": system}]
    if target.inference:
        request["inferenceConfig"] = target.inference
    started = time.perf_counter()
    try:
        called = _call_model(section, target, request, result.repeat)
    except CallFailed as exc:
        result.reason = f"model call failed: {exc.reason}"
        result.attempts = exc.attempts
        return
    wall_ms = (time.perf_counter() - started) * 1000
    response = called.value
    result.cached, result.attempts = called.cached, called.attempts
    result.output = output = text_of(response)
    result.stop_reason = response.get("stopReason")
    result.usage = usage_of(response)
    result.latency_ms = float((response.get("metrics") or {}).get("latencyMs") or wall_ms)
    result.cost_usd = section.pricing.cost(target.model_id, result.usage)
    score_answer(section, record, result, prompt, output)


def score_answer(section: Section, record: dict[str, Any], result: CaseResult, prompt: str, output: str) -> None:
    """The section's checks and judges on the answer `output` to `prompt`, in a result whose latency and cost are
    known; then its status."""
    answer = Answer(output, result.latency_ms, result.cost_usd)
    scores: list[MetricScore] = [run_check(metric, answer, record) for metric in section.checks]
    exchange = Exchange(prompt, output, result.reference, record, result.repeat)
    judge_usage, judge_cost, costed = Usage(), 0.0, False
    for rubric, judge in section.judged:
        outcome = judge.score(rubric, exchange, samples=section.evaluation.judge_samples)
        scores.append(outcome.score)
        judge_usage += outcome.usage
        if outcome.cost_usd is not None:
            judge_cost += outcome.cost_usd
            costed = True
    result.metrics = scores
    if section.judged:
        result.judge_usage = judge_usage
        result.judge_cost_usd = judge_cost if costed else None
    result.status, result.reason = status_of(scores)


def _call_model(section: Section, target: Target, request: dict[str, Any], repeat: int) -> CallResult:
    client = section.client
    cached = section.scheduler.cache is not None
    call = Call(
        model=target.model_id,
        fn=lambda: trim_response(client.converse(**request)),
        cache_key=CacheKey(Endpoint.of(client), "answer", None, target.model_id, request, repeat) if cached else None,
        role="model",
        estimated_tokens=len(request["messages"][0]["content"][0]["text"]) // 4 + target.inference.get("maxTokens", 0),
        tokens_of=tokens_of,
        worst_tokens=worst_case_tokens(request),
    )
    return section.scheduler.call(call)


def status_of(scores: list[MetricScore]) -> tuple[Status, str | None]:
    """A case's status and reason from its scores (the module's docstring; knowledge-base sections share it)."""
    errors = [f"{s.name}: {s.error}" for s in scores if s.error is not None]
    if errors:
        return "error", "; ".join(errors)
    failed = [f"{s.name}: {s.explanation}" if s.explanation else s.name for s in scores if s.passed is False]
    if failed:
        return "fail", "; ".join(failed)
    return "pass", None
