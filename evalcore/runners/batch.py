"""Batch inference (`mode: batch` and `mode: auto`): a direct evaluation whose model calls Bedrock makes as batch
inference jobs, at about half the on-demand price and with a slower start; answers are scored here exactly as
direct mode scores them.

1. Which cases go batch: per model, when the model has at least `batch.min_records` cases this run (Bedrock
   refuses smaller jobs), and under `mode: auto` at least `batch.auto_threshold`. The other models' cases run
   direct, at once, while the jobs wait. (The loader refuses `mode: batch` on a dataset that cannot reach the
   minimum; a shard or a resumed run with fewer cases left runs them direct.)
2. Jobs: one per model and per `batch.max_records_per_job` records (balanced), each an S3 object of records
   `{recordId: case id, modelInput: the model's InvokeModel body}` (`invoke_format`), created, and recorded in
   `jobs.json` as soon as it exists: `--resume` re-attaches to jobs still running or finished (`job_submit`).
3. Waiting (`job_watch`, shared with evaluation jobs): polled together with jittered backoff; on cancel every
   running job gets StopModelInvocationJob. A finished job's records are read and scored (`batch_results`).

Judge metrics are asked on demand through the scheduler once an answer is back (the direct runner's judges, with
its cache), not as a second batch job: a judge request needs the answer, so a judge batch would wait for the
whole first job and then pay a second job's start-up (often longer than the judging itself), and a section's
judge requests seldom reach Bedrock's minimum per job on their own.
"""

from __future__ import annotations

import hashlib
import math
import sys
from collections.abc import Callable
from typing import Any

from evalcore.domain.plan import Case, EvaluationItem
from evalcore.domain.results import CaseResult
from evalcore.runners.batch_results import BatchJobs
from evalcore.runners.context import RunContext, SectionNotRun
from evalcore.runners.direct import Target, prepare_section, rendered, run_direct
from evalcore.runners.invoke_format import request_body
from evalcore.runners.job_requests import JobPlan, SectionTarget, job_name, safe_segment
from evalcore.runners.job_submit import bucket_problem, reattach, submit
from evalcore.runners.job_watch import Watch
from evalcore.suite.models import BatchEvaluation

TIMEOUT_HOURS = 24  # CreateModelInvocationJob's timeoutDurationInHours: 24 to 168


def run_batch(ctx: RunContext, section_name: str, cases: list[Case], emit: Callable[[CaseResult], None]) -> None:
    """The Runner for `mode: batch` and `mode: auto` evaluations."""
    if not cases:
        return
    evaluation = ctx.loaded.suite.section(section_name, BatchEvaluation)
    settings = evaluation.batch
    batched, direct = split_cases(evaluation, cases)
    if not batched:
        run_direct(ctx, section_name, direct, emit)
        return
    section = prepare_section(ctx, section_name, batched)
    target = SectionTarget.of(ctx.loaded, evaluation, ctx.run_id, settings.s3_uri)
    s3 = ctx.aws.client("s3")
    workers = evaluation.concurrency or ctx.scheduler.concurrency
    kind = BatchJobs(ctx.aws.client("bedrock"), s3, target, section, workers)
    problem = bucket_problem(s3, target.bucket, "batch.s3_uri")
    if problem is not None:
        _log(f"evalcore: {section_name}: {problem}; no job was created")
        raise SectionNotRun(problem)
    by_id = {c.id: c for c in batched}
    attached = reattach(ctx, kind, section_name, by_id, _log) if ctx.resume else []
    covered = {cid for job, _ in attached for cid in job.case_ids}
    planned = plan_batch_jobs(evaluation, section.targets, target, [c for c in batched if c.id not in covered])
    if planned:
        _log(f"evalcore: {section_name}: creating {len(planned)} batch inference job(s)")
    created = submit(ctx, s3, target.bucket, kind, planned, by_id, emit, _log)
    if direct:
        _log(f"evalcore: {section_name}: {len(direct)} case(s) below the batch size run direct")
        run_direct(ctx, section_name, direct, emit)
    watch = Watch(kind, section_name, by_id, emit, ctx.scheduler.cancel, _log)
    watch.run([*attached, *created], (settings.poll_seconds, settings.timeout_minutes * 60))


def split_cases(evaluation: BatchEvaluation, cases: list[Case]) -> tuple[list[Case], list[Case]]:
    """(cases to batch, cases to run direct): a model's cases go batch when there are enough of them."""
    threshold = evaluation.batch.threshold(evaluation.mode)
    counts: dict[str | None, int] = {}
    for case in cases:
        counts[case.model] = counts.get(case.model, 0) + 1
    batched = [c for c in cases if counts[c.model] >= threshold]
    direct = [c for c in cases if counts[c.model] < threshold]
    return batched, direct


def plan_batch_jobs(
    evaluation: BatchEvaluation, targets: dict[str, Target], target: SectionTarget, cases: list[Case]
) -> list[JobPlan]:
    """One job per model and per `max_records_per_job` records, the model's cases spread evenly over its jobs."""
    settings = evaluation.batch
    by_model: dict[str, list[Case]] = {}
    for case in cases:
        by_model.setdefault(case.called_model(), []).append(case)
    jobs = []
    for model, model_cases in by_model.items():
        count = math.ceil(len(model_cases) / settings.max_records_per_job)
        size = math.ceil(len(model_cases) / count)
        for shard in range(1, count + 1):
            chunk = model_cases[(shard - 1) * size : shard * size]
            jobs.append(_job(evaluation, targets[model], target, model, shard, chunk))
    return jobs


def _job(
    evaluation: BatchEvaluation, model: Target, target: SectionTarget, model_name: str, shard: int, cases: list[Case]
) -> JobPlan:
    settings = evaluation.batch
    model_id = model.model_id
    case_ids = [c.id for c in cases]
    name = job_name(target, model_name, shard, case_ids)
    key = target.key(safe_segment(target.suite), target.run_id, safe_segment(target.section))
    input_key = f"{key}/input/{safe_segment(model_name)}-{shard}.jsonl"
    output: dict[str, Any] = {"s3Uri": f"s3://{target.bucket}/{key}/output/"}
    if settings.kms_key_id:
        output["s3EncryptionKeyId"] = settings.kms_key_id
    tags = {
        **settings.tags,
        "evalcore:suite": target.suite,
        "evalcore:section": target.section,
        "evalcore:model": model_name,
        "evalcore:run-id": target.run_id,
    }
    request = {
        "jobName": name,
        "clientRequestToken": hashlib.sha256(name.encode()).hexdigest()[:32],
        "roleArn": settings.role_arn,
        "modelId": model_id,
        "inputDataConfig": {
            "s3InputDataConfig": {"s3Uri": f"s3://{target.bucket}/{input_key}", "s3InputFormat": "JSONL"}
        },
        "outputDataConfig": {"s3OutputDataConfig": output},
        "timeoutDurationInHours": TIMEOUT_HOURS,
        "tags": [{"key": k, "value": v} for k, v in tags.items()],
    }
    records = [{"recordId": case.id, "modelInput": _model_input(evaluation, model, case)} for case in cases]
    return JobPlan(name, target.section, model_name, model_id, shard, case_ids, records, input_key, request)


def _model_input(evaluation: BatchEvaluation, model: Target, case: Case) -> dict[str, Any]:
    """The case's InvokeModel body: the prompt and system rendered as direct mode renders them."""
    prompt, system = rendered(evaluation, case.item_as(EvaluationItem).fields)
    return request_body(model.model_id, prompt, model.settings, system)


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
