"""Knowledge-base sections (`knowledge_bases:`, mode direct): each record's prompt goes to every target knowledge
base; the case keeps the passages (text, location, score) and, for retrieve-and-generate, the answer and its
citations; then retrieval metrics, checks and judges score it.

Calls (botocore's bedrock-agent-runtime model, service-2.json, shapes RetrieveRequest and
RetrieveAndGenerateRequest): `Retrieve` with `retrievalConfiguration.vectorSearchConfiguration` (numberOfResults,
overrideSearchType, filter) gives the ranked passages; for `operation: retrieve-and-generate`, `RetrieveAndGenerate`
with type KNOWLEDGE_BASE, the same retrievalConfiguration and a `generationConfiguration` (promptTemplate,
inferenceConfig.textInferenceConfig, guardrailConfiguration) gives the answer and its citations. Both go through
the scheduler (limits, retries) and the response cache (purposes knowledge-base-retrieve and -generate). Neither
request needs the other's answer, so a retrieve-and-generate case sends them together (Retrieve from a second
thread of the section's, RetrieveAndGenerate from the case's own) and waits for both: two round trips before the
judges, not three. Calls in flight stay under the scheduler's ceiling, which counts calls, not cases.

A case's status follows direct evaluations: `error` when a call failed or a metric could not be computed, `fail`
when a pass/fail check on the answer failed, `pass` otherwise; retrieval and judge scores feed the aggregates and
thresholds decide on them. RetrieveAndGenerate reports no token counts, so a case's cost is unknown, never $0.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from evalcore.domain.plan import Case, EvaluationItem
from evalcore.domain.results import CaseResult, KnowledgeBaseOutcome, MetricScore, Passage, Usage
from evalcore.engine.cache import CacheKey, Endpoint, Purpose
from evalcore.engine.scheduler import Call, CallFailed, CallResult, Scheduler
from evalcore.metrics.checks import REFERENCE_FIELD, Answer, run_check
from evalcore.metrics.judge import Exchange, Judge, rubric_for
from evalcore.metrics.judge_prompts import RAG, rag_user_text
from evalcore.metrics.retrieval import retrieval_scores
from evalcore.runners.context import RunContext, case_result
from evalcore.runners.direct import guarded, pricing_for, status_of
from evalcore.runners.rag_passages import cited, passage
from evalcore.suite.models import (
    BuiltinMetric,
    CheckMetric,
    CustomJudgeMetric,
    DirectKnowledgeBaseSection,
    KnowledgeBaseSection,
    KnowledgeBaseTarget,
    RetrievalMetric,
)
from evalcore.suite.template import render

SERVICE = "bedrock-agent-runtime"


@dataclass
class Prepared:
    section: DirectKnowledgeBaseSection
    scheduler: Scheduler
    client: Any
    model_id: str | None  # the generating model's id (retrieve-and-generate)
    generation: dict[str, Any]  # knowledgeBaseConfiguration's modelArn and generationConfiguration
    retrieval: list[str]
    checks: list[CheckMetric]
    judged: list[tuple[BuiltinMetric | CustomJudgeMetric, Judge]]
    alongside: Executor | None = None  # sends a retrieve-and-generate case's Retrieve beside its RetrieveAndGenerate


def run_knowledge_bases(
    ctx: RunContext, section_name: str, cases: Iterable[Case], emit: Callable[[CaseResult], None]
) -> None:
    """The Runner for knowledge-base sections in mode direct."""
    prepared = _prepare(ctx, section_name)
    workers = prepared.section.concurrency or ctx.scheduler.concurrency
    if prepared.section.operation != "retrieve-and-generate":
        ctx.scheduler.map(cases, functools.partial(_run_case, prepared), emit, workers=workers)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="evalcore-retrieve") as alongside:
        prepared.alongside = alongside
        ctx.scheduler.map(cases, functools.partial(_run_case, prepared), emit, workers=workers)


def _prepare(ctx: RunContext, section_name: str) -> Prepared:
    suite = ctx.loaded.suite
    section = suite.section(section_name, DirectKnowledgeBaseSection)
    client = ctx.aws.client(SERVICE)
    runtime = ctx.aws.client("bedrock-runtime")
    pricing = pricing_for(ctx)
    judges: dict[str, Judge] = {}
    judged: list[tuple[BuiltinMetric | CustomJudgeMetric, Judge]] = []
    for metric in section.metrics:
        if isinstance(metric, BuiltinMetric | CustomJudgeMetric):
            name = getattr(metric, "judge", None) or section.judge or suite.defaults.judge
            if name is None:  # the loader reports this before a run
                raise ValueError(f"{metric.name} needs a judge model (set `judge:` or `defaults.judge`)")
            judge_id = suite.model_spec(name).id
            judges.setdefault(judge_id, Judge(ctx.scheduler, runtime, judge_id, pricing))
            judged.append((metric, judges[judge_id]))
    model_id, generation = None, {}
    if section.operation == "retrieve-and-generate":
        if section.model is None:  # the loader reports this before a run
            raise ValueError("operation retrieve-and-generate needs `model:`")
        spec = suite.model_spec(section.model)
        model_id = spec.id
        generation = _generation(section, spec.id, suite.defaults.inference.merged(spec.inference), client)
    return Prepared(
        section,
        ctx.scheduler,
        client,
        model_id,
        generation,
        [m.name for m in section.metrics if isinstance(m, RetrievalMetric)],
        [m for m in section.metrics if isinstance(m, CheckMetric)],
        judged,
    )


def _generation(section: DirectKnowledgeBaseSection, model_id: str, defaults: Any, client: Any) -> dict[str, Any]:
    return generation(section, model_id, defaults, client.meta.region_name, "inferenceConfig")


def generation(
    section: KnowledgeBaseSection, model_id: str, defaults: Any, region: str, inference_key: str
) -> dict[str, Any]:
    """modelArn and generationConfiguration of a RetrieveAndGenerate configuration. A model id becomes a
    foundation-model ARN in `region` (BedrockModelArn takes ARNs only); an ARN is used as it is. The inference
    settings go under `inference_key`: `inferenceConfig` in bedrock-agent-runtime's GenerationConfiguration,
    `kbInferenceConfig` in bedrock's (CreateEvaluationJob), both holding a `textInferenceConfig`."""
    arn = model_id if model_id.startswith("arn:") else f"arn:aws:bedrock:{region}::foundation-model/{model_id}"
    inference = defaults.merged(section.inference)
    text_config = {
        "maxTokens": inference.max_tokens,
        "temperature": inference.temperature,
        "topP": inference.top_p,
        "stopSequences": inference.stop_sequences,
    }
    config: dict[str, Any] = {}
    text_config = {k: v for k, v in text_config.items() if v is not None}
    if text_config:
        config[inference_key] = {"textInferenceConfig": text_config}
    if section.prompt_template is not None:
        config["promptTemplate"] = {"textPromptTemplate": section.prompt_template}
    if section.guardrail is not None:
        config["guardrailConfiguration"] = {
            "guardrailId": section.guardrail.id,
            "guardrailVersion": section.guardrail.version,
        }
    return {"modelArn": arn, **({"generationConfiguration": config} if config else {})}


def retrieval_configuration(target: KnowledgeBaseTarget) -> dict[str, Any]:
    """KnowledgeBaseRetrievalConfiguration of a target (botocore: KnowledgeBaseVectorSearchConfiguration)."""
    vector: dict[str, Any] = {"numberOfResults": target.number_of_results}
    if target.search_type is not None:
        vector["overrideSearchType"] = target.search_type
    if target.filter is not None:
        vector["filter"] = target.filter
    return {"vectorSearchConfiguration": vector}


def _run_case(prepared: Prepared, case: Case) -> CaseResult:
    """One case to one result; never raises."""
    item = case.item_as(EvaluationItem)
    record = item.fields
    target = prepared.section.targets[case.called_model()]
    reference = record.get(REFERENCE_FIELD)
    result = case_result(
        case,
        model_id=target.knowledge_base_id,
        source=item.source,
        reference=reference if isinstance(reference, str) else None,
        category=str(record["category"]) if record.get("category") is not None else None,
    )
    return guarded(result, lambda: _evaluate(prepared, target, record, result))


def _evaluate(prepared: Prepared, target: KnowledgeBaseTarget, record: dict[str, Any], result: CaseResult) -> None:
    section = prepared.section
    question = render("{{prompt}}", record)
    result.prompt = question
    outcome = KnowledgeBaseOutcome(knowledge_base_id=target.knowledge_base_id, operation=section.operation)
    result.knowledge_base = outcome
    retrieval = retrieval_configuration(target)
    request: dict[str, Any] = {
        "knowledgeBaseId": target.knowledge_base_id,
        "retrievalQuery": {"text": question},
        "retrievalConfiguration": retrieval,
    }
    retrieve = functools.partial(_call, prepared, "knowledge-base-retrieve", None, request, result.repeat, "retrieve")
    generated: CallResult | CallFailed | None = None
    if section.operation == "retrieve-and-generate":
        kb_config = {"knowledgeBaseId": target.knowledge_base_id, **prepared.generation}
        kb_config["retrievalConfiguration"] = retrieval
        generate_request = {
            "input": {"text": question},
            "retrieveAndGenerateConfiguration": {"type": "KNOWLEDGE_BASE", "knowledgeBaseConfiguration": kb_config},
        }
        alongside = prepared.alongside
        retrieving = alongside.submit(retrieve).result if alongside is not None else retrieve
        generated = _outcome(
            lambda: _call(
                prepared, "knowledge-base-generate", prepared.model_id, generate_request, result.repeat, "generate"
            )
        )
        retrieved = _outcome(retrieving)
    else:
        retrieved = _outcome(retrieve)
    # Retrieve's failure is reported first, as when the calls were made one after the other; the attempts are
    # those of every call the case made.
    result.attempts = sum(o.attempts for o in (retrieved, generated) if o is not None)
    if isinstance(retrieved, CallFailed):
        result.reason = f"Retrieve failed: {retrieved.reason}"
        return
    outcome.passages = [passage(r) for r in retrieved.value.get("retrievalResults") or []]
    result.cached = retrieved.cached
    result.latency_ms = retrieved.value["latencyMs"]
    answer = None
    if isinstance(generated, CallFailed):
        result.reason = f"RetrieveAndGenerate failed: {generated.reason}"
        return
    if generated is not None:
        value = generated.value
        answer = str((value.get("output") or {}).get("text") or "")
        outcome.citations = [cited(c) for c in value.get("citations") or []]
        outcome.guardrail_action = value.get("guardrailAction")
        result.cached = result.cached and generated.cached
        result.latency_ms = value["latencyMs"]
    result.output = answer if answer is not None else _listing(outcome.passages)
    _score(prepared, target, record, result, Exchanged(question, outcome, answer))


def _outcome(call: Callable[[], CallResult]) -> CallResult | CallFailed:
    """A call's result, or its failure as a value (a cancellation or a bug still raises)."""
    try:
        return call()
    except CallFailed as exc:
        return exc


def _call(
    prepared: Prepared, purpose: Purpose, model_id: str | None, request: dict[str, Any], repeat: int, op: str
) -> CallResult:
    """Retrieve or RetrieveAndGenerate through the scheduler and the cache; the wall time is kept in the answer
    (`latencyMs`), so a cached case reports the latency its call had."""
    client = prepared.client
    method = client.retrieve if op == "retrieve" else client.retrieve_and_generate

    def send() -> dict[str, Any]:
        started = time.perf_counter()
        response = method(**request)
        kept = {k: v for k, v in response.items() if k not in ("ResponseMetadata", "sessionId", "nextToken")}
        return {**kept, "latencyMs": round((time.perf_counter() - started) * 1000, 3)}

    cache = prepared.scheduler.cache is not None
    key = CacheKey(Endpoint.of(client), purpose, None, model_id, request, repeat) if cache else None
    return prepared.scheduler.call(Call(model=model_id, fn=send, cache_key=key, role="model"))


def _listing(passages: list[Passage]) -> str:
    """What a retrieve-only case shows as its output: the passages' locations and scores, best first."""
    lines = [f"{i}. {p.location or '(no location)'} (score {p.score})" for i, p in enumerate(passages, 1)]
    return "\n".join(lines) or "(no passages retrieved)"


def _numbered(passages: list[Passage]) -> str:
    return "\n\n".join(f"Passage {i} ({p.location or 'no location'}):\n{p.text}" for i, p in enumerate(passages, 1))


@dataclass(frozen=True)
class Exchanged:
    """What a case sent and got back: the question, the passages and citations, the answer (None: retrieve)."""

    question: str
    outcome: KnowledgeBaseOutcome
    answer: str | None


def _score(
    prepared: Prepared, target: KnowledgeBaseTarget, record: dict[str, Any], result: CaseResult, got: Exchanged
) -> None:
    outcome, answer = got.outcome, got.answer
    scores: list[MetricScore] = []
    if prepared.retrieval:
        scores += retrieval_scores(prepared.retrieval, outcome.passages, record, target.number_of_results)
    if answer is not None:
        scores += [run_check(m, Answer(answer, result.latency_ms, None), record) for m in prepared.checks]
    cited: list[Passage] = []
    lines = []
    for part in outcome.citations:
        for reference in part.references:
            if reference not in cited:
                cited.append(reference)
            lines.append(f"Passage {cited.index(reference) + 1} is cited for: {part.text}")
    judge_usage, judge_cost, costed = Usage(), 0.0, False
    exchange = Exchange(got.question, answer or "", result.reference, record, result.repeat)
    for metric, judge in prepared.judged:
        rag = RAG.get(metric.name) if isinstance(metric, BuiltinMetric) else None
        if rag is None:
            judged = judge.score(rubric_for(metric), exchange)
        else:
            material = {
                "context": _numbered(outcome.passages if rag.context == "retrieved" else cited)
                if rag.context != "none"
                else None,
                "citations": "\n".join(lines) if rag.context == "cited" else None,
                "response": answer if rag.uses_response else None,
                "reference": result.reference if rag.uses_reference else None,
            }
            judged = judge.score(rag.rubric, exchange, question=rag_user_text(rag.rubric, got.question, material))
        scores.append(judged.score)
        judge_usage += judged.usage
        if judged.cost_usd is not None:
            judge_cost, costed = judge_cost + judged.cost_usd, True
    result.metrics = scores
    if prepared.judged:
        result.judge_usage = judge_usage
        result.judge_cost_usd = judge_cost if costed else None
    result.status, result.reason = status_of(scores)
