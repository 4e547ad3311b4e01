"""Batch inference jobs as a `JobKind`: create, status, stop, and reading a finished job's `.jsonl.out` records
back into results scored here, with the direct runner's checks and judges (`direct.score_answer`).

Bedrock writes `<output s3Uri>/<jobId>/<input file name>.out`, one line per record: `{recordId, modelInput,
modelOutput}` (the model's InvokeModel response body) or `{recordId, modelInput, error: {errorCode,
errorMessage}}`. The recordId is the case id. A record with `error` makes its case `error` with the message; a
case with no record at all is `error` too (never dropped). Latency is not measured (no call of ours waited for
the answer); cost is at the batch price, half the on-demand price (`BATCH_PRICE_FACTOR`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from evalcore.domain.plan import Case, EvaluationItem
from evalcore.domain.results import CaseResult, Usage
from evalcore.runners.direct import Section, guarded, new_result, render_prompt, score_answer
from evalcore.runners.invoke_format import answer_stop_reason, answer_text, answer_usage
from evalcore.runners.job_requests import JobPlan, SectionTarget
from evalcore.runners.job_watch import COMPLETED, FAILED, STOPPED

BATCH_PRICE_FACTOR = 0.5  # Bedrock's batch inference price: half the on-demand price for the models it supports
OUTPUT_SUFFIX = ".jsonl.out"
_STATUSES = {"Completed": COMPLETED, "PartiallyCompleted": COMPLETED, "Failed": FAILED, "Expired": FAILED}


@dataclass
class BatchJobs:
    """Batch inference jobs (CreateModelInvocationJob) as a `JobKind`."""

    bedrock: Any
    s3: Any
    target: SectionTarget
    section: Section
    workers: int
    noun: str = "batch inference job"

    def create(self, request: dict[str, Any]) -> str:
        return str(self.bedrock.create_model_invocation_job(**request)["jobArn"])

    def status(self, arn: str) -> tuple[str, str]:
        found = self.bedrock.get_model_invocation_job(jobIdentifier=arn)
        status = found["status"]
        return _STATUSES.get(status, STOPPED if status == "Stopped" else status), found.get("message") or ""

    def stop(self, arn: str) -> None:
        self.bedrock.stop_model_invocation_job(jobIdentifier=arn)

    def read(self, job: JobPlan, arn: str, cases: Mapping[str, Case], emit: Callable[[CaseResult], None]) -> None:
        """Score the job's records as they are read (line by line); a case of the job without one is `error`."""
        done: set[str] = set()

        def found() -> Iterator[tuple[Case, dict[str, Any]]]:
            for record in self._records(job, arn):
                case_id = record.get("recordId")
                if isinstance(case_id, str) and case_id not in done and case_id in cases:
                    done.add(case_id)
                    yield cases[case_id], record

        self.section.scheduler.map(found(), lambda item: self._score(job, *item), emit, workers=self.workers)
        for case_id in job.case_ids:
            if case_id not in done and case_id in cases:
                emit(self.error_result(cases[case_id], job, f"job {job.name}: no record for this case in its output"))

    def error_result(self, case: Case, job: JobPlan, reason: str) -> CaseResult:
        result = new_result(self.section, case)
        render_prompt(self.section, case.item_as(EvaluationItem).fields, result)
        result.reason = reason
        return result

    def _records(self, job: JobPlan, arn: str) -> Iterator[dict[str, Any]]:
        """Every output record of the job (all `.jsonl.out` objects under its output folder), line by line."""
        job_id = arn.rsplit("/", 1)[-1]
        prefix = f"{job.request['outputDataConfig']['s3OutputDataConfig']['s3Uri'].rstrip('/')}/{job_id}/"
        bucket, _, key_prefix = prefix.removeprefix("s3://").partition("/")
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key_prefix):
            for item in page.get("Contents", []):
                if not item["Key"].endswith(OUTPUT_SUFFIX):
                    continue
                body = self.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"]
                yield from (json.loads(line) for line in body.iter_lines() if line.strip())

    def _score(self, job: JobPlan, case: Case, record: dict[str, Any]) -> CaseResult:
        result = new_result(self.section, case)
        fields = case.item_as(EvaluationItem).fields
        return guarded(result, lambda: self._fill(job, fields, record, result))

    def _fill(self, job: JobPlan, fields: dict[str, Any], record: dict[str, Any], result: CaseResult) -> None:
        prompt, _ = render_prompt(self.section, fields, result)
        error = record.get("error")
        if error is not None or not isinstance(record.get("modelOutput"), dict):
            message = (error or {}).get("errorMessage") or "the record has neither modelOutput nor error"
            result.reason = f"model call failed in batch job {job.name}: {message}"
            return
        body = record["modelOutput"]
        result.output = output = answer_text(job.model_id, body) or ""
        result.stop_reason = answer_stop_reason(job.model_id, body)
        tokens = answer_usage(job.model_id, body)
        if tokens is not None:  # else the body reports no token counts: the cost is unknown (None), never $0
            result.usage = Usage(input_tokens=tokens[0], output_tokens=tokens[1])
            cost = self.section.pricing.cost(job.model_id, result.usage)
            result.cost_usd = None if cost is None else cost * BATCH_PRICE_FACTOR
        score_answer(self.section, fields, result, prompt, output)
