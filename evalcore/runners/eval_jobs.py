"""Managed evaluations (`mode: bedrock-job`): Bedrock runs the evaluation on its own fleet, evalcore drives it.

1. Preflight, before anything is created: the bucket of `job.s3_uri` must answer HeadBucket; if not, the section
   does not run (`not_run`, with that one reason in the results and the verdict) and nothing is written.
2. Jobs: one per model and per 1,000 prompts (`job_requests`); on `--resume`, jobs recorded in `jobs.json` that
   are still running or finished are re-attached and only the cases they do not cover get new jobs. Each job's
   dataset is written to S3, then the job is created; all of them at once, each recorded as soon as it exists.
3. Waiting (`job_watch`): every job polled together, then each finished job's results read back (`job_results`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from evalcore.plan import Case
from evalcore.results import CaseResult
from evalcore.runners import RunContext, SectionNotRun
from evalcore.runners.job_registry import read_jobs, record_job
from evalcore.runners.job_requests import JobPlan, SectionTarget, plan_jobs
from evalcore.runners.job_responses import responses_for
from evalcore.runners.job_results import error_result
from evalcore.runners.job_watch import Watch
from evalcore.scheduler import classify
from evalcore.suite.models import Evaluation

_REATTACHABLE = frozenset({"InProgress", "Completed"})


def run_eval_jobs(ctx: RunContext, section_name: str, cases: list[Case], emit: Callable[[CaseResult], None]) -> None:
    """The Runner for `mode: bedrock-job` evaluations."""
    if not cases:
        return
    evaluation = next(e for e in ctx.loaded.suite.evaluations if e.name == section_name)
    target = SectionTarget.of(ctx.loaded, evaluation, ctx.run_id)
    s3 = ctx.aws.client("s3")
    bedrock = ctx.aws.client("bedrock")
    by_id = {c.id: c for c in cases}
    problem = bucket_problem(s3, target.bucket)
    if problem is not None:
        _log(f"evalcore: {section_name}: {problem}; no job was created")
        raise SectionNotRun(problem)
    attached = _reattach(ctx, bedrock, section_name, by_id) if ctx.resume else []
    covered = {cid for job, _ in attached for cid in job.case_ids}
    remaining = [c for c in cases if c.id not in covered]
    planned = plan_jobs(ctx.loaded, evaluation, target, remaining, responses_for(ctx.loaded, evaluation, remaining))
    if planned:
        _log(f"evalcore: {section_name}: creating {len(planned)} evaluation job(s)")
    created = _submit(ctx, s3, bedrock, target, planned, by_id, emit)
    metrics = [m.name for m in evaluation.metrics]
    watch = Watch(bedrock, s3, target, by_id, metrics, emit, ctx.scheduler.cancel, _log)
    watch.run([*attached, *created], _settings(evaluation))


def bucket_problem(s3: Any, bucket: str) -> str | None:
    """Why the bucket cannot be used (HeadBucket), or None when it can."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            return f"preflight: the bucket '{bucket}' of job.s3_uri does not exist (create it or fix job.s3_uri)"
        if code in ("403", "AccessDenied", "Forbidden"):
            return f"preflight: access to the bucket '{bucket}' of job.s3_uri is denied (check your credentials)"
        return f"preflight: the bucket '{bucket}' cannot be reached: {classify(exc)[1]}"
    except BotoCoreError as exc:
        return f"preflight: the bucket '{bucket}' cannot be reached: {exc}"
    return None


def _settings(evaluation: Evaluation) -> tuple[float, float]:
    assert evaluation.job is not None
    return evaluation.job.poll_seconds, evaluation.job.timeout_minutes * 60


def _reattach(ctx: RunContext, bedrock: Any, section: str, by_id: dict[str, Case]) -> list[tuple[JobPlan, str]]:
    """Recorded jobs of this section that cover cases still to do and can still give results."""
    from botocore.exceptions import BotoCoreError, ClientError

    attached: list[tuple[JobPlan, str]] = []
    seen: set[str] = set()
    for recorded in read_jobs(ctx.out):
        if recorded.section != section or not (set(recorded.case_ids) & by_id.keys() - seen):
            continue
        try:
            status = bedrock.get_evaluation_job(jobIdentifier=recorded.arn)["status"]
        except (ClientError, BotoCoreError) as exc:
            _log(f"evalcore: {section}: not re-attaching {recorded.name}: {classify(exc)[1]}")
            continue
        if status not in _REATTACHABLE:
            _log(f"evalcore: {section}: not re-attaching {recorded.name}: it is {status}")
            continue
        _log(f"evalcore: {section}: re-attaching {recorded.name} ({status})")
        attached.append((recorded.plan(), recorded.arn))
        seen.update(recorded.case_ids)
    return attached


def _submit(
    ctx: RunContext,
    s3: Any,
    bedrock: Any,
    target: SectionTarget,
    jobs: list[JobPlan],
    by_id: dict[str, Case],
    emit: Callable[[CaseResult], None],
) -> list[tuple[JobPlan, str]]:
    """Write each job's dataset and create the job, all at once; a job that cannot be created errors its cases."""
    cancel = ctx.scheduler.cancel

    def submit(job: JobPlan) -> tuple[JobPlan, str | None, str | None]:
        if cancel.is_set():
            return job, None, "cancelled before its job was created"
        try:
            s3.put_object(Bucket=target.bucket, Key=job.dataset_key, Body=job.dataset_jsonl())
            if cancel.is_set():
                return job, None, "cancelled before its job was created"
            arn = bedrock.create_evaluation_job(**job.request)["jobArn"]
        except Exception as exc:  # every failure to create a job becomes its cases' reason
            return job, None, f"could not create job {job.name}: {classify(exc)[1]}"
        record_job(ctx.out, job, arn, ctx.run_id)
        return job, arn, None

    created = []
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(jobs)))) as pool:
        for job, arn, reason in pool.map(submit, jobs):
            if arn is not None:
                created.append((job, arn))
                continue
            _log(f"evalcore: {job.section}: {reason}")
            for case_id in job.case_ids:
                emit(error_result(by_id[case_id], job, reason or "not created"))
    return created


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
