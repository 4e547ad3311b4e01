"""A finished job's results, read back from S3 and turned into one CaseResult per case of the job.

Bedrock writes `<s3Uri>/<jobName>/<jobId>/models/<model>/taskTypes/<task>/datasets/<name>/<uuid>_output.jsonl`
(model jobs) or `<s3Uri>/<jobName>/<jobId>/inference_configs/<n>/datasets/<name>/<uuid>_output.jsonl` (RAG jobs);
every key under `<s3Uri>/<jobName>/` ending in `_output.jsonl` is read, line by line.

A model job's record is `{inputRecord, modelResponses, automatedEvaluationResult: {scores: [...]}}`; a RAG job's
is `{"conversationTurns": [{inputRecord, output, results: [...]}]}`, each result a score as in `scores`
(`metricName`, `result`, `evaluatorDetails`), and `output` what the knowledge base gave: the answer `text`,
`citations`, and the passages (`retrievedPassages` or `retrievedResults`: `{retrievalResults: [...]}`) (AWS's
samples reading RAG job outputs: aws-samples/amazon-bedrock-samples, rag/knowledge-bases/features-examples/
03-optimizing-accuracy-retrieved-results/custom_chunking_with_json.ipynb; user guide, "Review metrics for RAG
evaluations", knowledge-base-evaluation-report.html). The turn's output fills the case's `knowledge_base`.

Mapping back: an output record's `inputRecord` echoes its dataset line (prompt, referenceResponse, category).
The job's cases are queued by that content in dataset order, and each output record takes the first case left
in its queue (or, failing that, in the queue of its prompt with whitespace collapsed); identical lines (duplicate prompts, repeats) are interchangeable, so any order among them is right,
and every case gets at most one record. A line that is not a readable record cannot be placed: it is counted,
and the cases left without a record are `error` naming the unreadable lines (never dropped silently).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from evalcore.domain.plan import Case, EvaluationItem
from evalcore.domain.results import CaseResult, KnowledgeBaseOutcome, MetricScore
from evalcore.runners.context import case_result
from evalcore.runners.job_requests import JobPlan, RecordKey, SectionTarget, record_key
from evalcore.runners.rag_passages import cited, passage

OUTPUT_SUFFIX = "_output.jsonl"


@dataclass
class _Tally:
    malformed: list[str] = field(default_factory=list)  # "key:line: why"
    unmatched: int = 0


def output_keys(s3: Any, target: SectionTarget, job_name: str) -> Iterator[str]:
    """Every `*_output.jsonl` key of a job (all pages)."""
    prefix = target.key(job_name) + "/"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].endswith(OUTPUT_SUFFIX):
                yield item["Key"]


def read_job_results(
    s3: Any,
    target: SectionTarget,
    job: JobPlan,
    cases: Mapping[str, Case],
    metrics: list[str],
    emit: Callable[[CaseResult], None],
    log: Callable[[str], None],
) -> None:
    """Emit a result for each of the job's cases found in `cases` (the ones this run still needs)."""
    matcher = _Matcher(job)
    tally = _Tally()
    for key in output_keys(s3, target, job.name):
        body = s3.get_object(Bucket=target.bucket, Key=key)["Body"]
        for number, raw in enumerate(body.iter_lines(), start=1):
            if not raw.strip():
                continue
            where = f"s3://{target.bucket}/{key}:{number}"
            try:
                record = json.loads(raw)
            except ValueError as exc:
                tally.malformed.append(f"{where}: {_why(exc)}")
                continue
            record = _as_model_record(record)
            if not isinstance(record, dict) or not isinstance(record.get("inputRecord"), dict):
                tally.malformed.append(f"{where}: no 'inputRecord' object")
                continue
            case_id = matcher.take(record["inputRecord"])
            if case_id is None:
                tally.unmatched += 1
            elif case_id in cases:
                emit(_case_result(cases[case_id], job, record, metrics, where))
    if tally.malformed:
        log(f"evalcore: {job.name}: {len(tally.malformed)} unreadable output line(s), first {tally.malformed[0]}")
    if tally.unmatched:
        log(f"evalcore: {job.name}: {tally.unmatched} output record(s) match no prompt of the job's dataset")
    for case_id in job.case_ids:
        if case_id not in matcher.done and case_id in cases:
            emit(error_result(cases[case_id], job, _missing_reason(job, tally)))


class _Matcher:
    """Output records to the job's cases: by the exact (prompt, reference, category) first, else by the prompt with
    its whitespace collapsed (should Bedrock echo it reformatted); each case once, identical lines in turn."""

    def __init__(self, job: JobPlan) -> None:
        self.exact: dict[RecordKey, deque[str]] = {}
        self.loose: dict[str, deque[str]] = {}
        self.done: set[str] = set()
        for case_id, line in zip(job.case_ids, job.lines, strict=True):
            key = record_key(line)
            self.exact.setdefault(key, deque()).append(case_id)
            self.loose.setdefault(_collapsed(key[0]), deque()).append(case_id)

    def take(self, input_record: dict[str, Any]) -> str | None:
        key = record_key(input_record)
        case_id = self._first(self.exact.get(key)) or self._first(self.loose.get(_collapsed(key[0])))
        if case_id is not None:
            self.done.add(case_id)
        return case_id

    def _first(self, queue: deque[str] | None) -> str | None:
        while queue:
            case_id = queue.popleft()
            if case_id not in self.done:
                return case_id
        return None


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def _missing_reason(job: JobPlan, tally: _Tally) -> str:
    if tally.malformed:
        shown = "; ".join(tally.malformed[:3])
        more = f" and {len(tally.malformed) - 3} more" if len(tally.malformed) > 3 else ""
        return f"job {job.name}: its output record was unreadable ({len(tally.malformed)} malformed line(s): {shown}{more})"
    if tally.unmatched:
        return (
            f"job {job.name}: no output record for this prompt ({tally.unmatched} output record(s) match no prompt "
            "of the job's dataset)"
        )
    return f"job {job.name}: no output record for this prompt in the job's results"


def _why(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"no {exc.args[0]!r}"
    if isinstance(exc, ValueError):
        return f"not JSON ({exc})"
    return "not an output record"


def _as_model_record(record: Any) -> Any:
    """A RAG record (`conversationTurns`, its last turn evaluated) in a model record's terms: `inputRecord`, its
    `results` as `automatedEvaluationResult.scores`, and its `output` kept as `ragOutput`."""
    if not isinstance(record, dict) or "conversationTurns" not in record:
        return record
    turns = record["conversationTurns"]
    if not isinstance(turns, list) or not turns or not isinstance(turns[-1], dict):
        return None
    turn = turns[-1]
    return {
        "inputRecord": turn.get("inputRecord"),
        "automatedEvaluationResult": {"scores": turn.get("results")},
        "ragOutput": turn.get("output") if isinstance(turn.get("output"), dict) else {},
    }


def _knowledge_base(job: JobPlan, output: dict[str, Any]) -> KnowledgeBaseOutcome:
    """What a RAG job's record says the knowledge base (or your own RAG system) gave."""
    holder = output.get("retrievedPassages") or output.get("retrievedResults") or {}
    passages = [passage(p) for p in holder.get("retrievalResults") or [] if isinstance(p, dict)]
    citations = [cited(c) for c in output.get("citations") or [] if isinstance(c, dict)]
    operation = "retrieve-and-generate" if "text" in output else "retrieve"
    return KnowledgeBaseOutcome(
        knowledge_base_id=job.model_id, operation=operation, passages=passages, citations=citations
    )


def _case_result(case: Case, job: JobPlan, record: dict[str, Any], metrics: list[str], where: str) -> CaseResult:
    result = _base_result(case, job)
    if "ragOutput" in record:
        result.knowledge_base = _knowledge_base(job, record["ragOutput"])
        text = record["ragOutput"].get("text")
        result.output = text if isinstance(text, str) else None
    try:
        scores = record["automatedEvaluationResult"]["scores"]
        by_name = {normalise_metric(str(s["metricName"]), metrics): s for s in scores}
    except (KeyError, TypeError) as exc:
        result.status, result.reason = "error", f"{where}: unreadable scores ({_why(exc)})"
        return result
    if "ragOutput" not in record:
        result.output = _response(record)
    missing = []
    for name in metrics:
        score = by_name.get(name)
        if score is None:
            missing.append(name)
            result.metrics.append(MetricScore(name=name, error="not in the job's output"))
            continue
        result.metrics.append(_metric(name, score))
    if missing:
        result.status, result.reason = "error", f"{where}: no score for {', '.join(missing)}"
    else:
        result.status = "pass"
    return result


def _metric(name: str, score: dict[str, Any]) -> MetricScore:
    value = score.get("result")
    explanations = [d.get("explanation") for d in score.get("evaluatorDetails") or [] if d.get("explanation")]
    explanation = "\n".join(str(e) for e in explanations) or None
    if value is None:  # the metric did not apply: not applicable, never 0
        return MetricScore(name=name, explanation=explanation)
    try:
        return MetricScore(name=name, value=float(value), explanation=explanation)
    except (TypeError, ValueError):
        return MetricScore(name=name, explanation=explanation, error=f"result {value!r} is not a number")


def normalise_metric(name: str, metrics: list[str]) -> str:
    """Bedrock writes `Accuracy` or `Builtin.Accuracy`: the suite's spelling of the same metric."""
    if name in metrics:
        return name
    prefixed = f"Builtin.{name}"
    return prefixed if prefixed in metrics else name


def _response(record: dict[str, Any]) -> str | None:
    """The model's response: `modelResponses` at the top level or inside `inputRecord` (bring your own)."""
    for holder in (record, record.get("inputRecord") or {}):
        responses = holder.get("modelResponses")
        if isinstance(responses, list) and responses and isinstance(responses[0], dict):
            text = responses[0].get("response")
            if isinstance(text, str):
                return text
    return None


def _base_result(case: Case, job: JobPlan) -> CaseResult:
    prompt, reference, category = record_key(job.line_of(case.id))
    return case_result(
        case,
        model_id=job.model_id,
        source=case.item_as(EvaluationItem).source,
        prompt=prompt,
        reference=reference,
        category=category,
    )


def error_result(case: Case, job: JobPlan, reason: str) -> CaseResult:
    result = _base_result(case, job)
    result.reason = reason
    return result
