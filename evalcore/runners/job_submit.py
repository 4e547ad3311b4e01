"""What every kind of Bedrock job goes through before it is watched: the bucket preflight, re-attaching to jobs
recorded in `jobs.json` (`--resume`), and writing each job's input to S3 then creating it, all at once, each
recorded as soon as it exists (`job_registry`)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from evalcore.domain.plan import Case
from evalcore.domain.results import CaseResult
from evalcore.engine.scheduler import classify
from evalcore.runners.context import RunContext
from evalcore.runners.job_registry import read_jobs, record_job
from evalcore.runners.job_requests import JobPlan
from evalcore.runners.job_watch import FAILED, STOPPED, JobKind

_WINDOW = 16  # jobs written and created at once
_ENDED_WITHOUT_RESULTS = frozenset({FAILED, STOPPED, "Stopping", "Deleting"})


def bucket_problem(s3: Any, bucket: str, setting: str = "job.s3_uri") -> str | None:
    """Why the bucket (of the suite's `setting`) cannot be used (HeadBucket), or None when it can."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            return f"preflight: the bucket '{bucket}' of {setting} does not exist (create it or fix {setting})"
        if code in ("403", "AccessDenied", "Forbidden"):
            return f"preflight: access to the bucket '{bucket}' of {setting} is denied (check your credentials)"
        return f"preflight: the bucket '{bucket}' cannot be reached: {classify(exc)[1]}"
    except BotoCoreError as exc:
        return f"preflight: the bucket '{bucket}' cannot be reached: {exc}"
    return None


def reattach(
    ctx: RunContext, kind: JobKind, section: str, by_id: Mapping[str, Case], log: Callable[[str], None]
) -> list[tuple[JobPlan, str]]:
    """Recorded jobs of this section that cover cases still to do and can still give results."""
    from botocore.exceptions import BotoCoreError, ClientError

    attached: list[tuple[JobPlan, str]] = []
    seen: set[str] = set()
    for recorded in read_jobs(ctx.out):
        if recorded.section != section or not any(c in by_id and c not in seen for c in recorded.case_ids):
            continue
        if not ctx.changed.isdisjoint(recorded.case_ids):  # it answers for the inputs the cases had then
            log(f"evalcore: {section}: not re-attaching {recorded.name}: the inputs of its cases changed")
            continue
        try:
            status = kind.status(recorded.arn)[0]
        except (ClientError, BotoCoreError) as exc:
            log(f"evalcore: {section}: not re-attaching {recorded.name}: {classify(exc)[1]}")
            continue
        if status in _ENDED_WITHOUT_RESULTS:
            log(f"evalcore: {section}: not re-attaching {recorded.name}: it is {status}")
            continue
        log(f"evalcore: {section}: re-attaching {recorded.name} ({status})")
        attached.append((recorded.plan(), recorded.arn))
        seen.update(recorded.case_ids)
    return attached


def submit(
    ctx: RunContext,
    s3: Any,
    bucket: str,
    kind: JobKind,
    jobs: Iterable[JobPlan],
    by_id: Mapping[str, Case],
    emit: Callable[[CaseResult], None],
    log: Callable[[str], None],
    slim: Callable[[JobPlan], JobPlan] = lambda job: job,
) -> list[tuple[JobPlan, str]]:
    """Write each job's input and create the job, up to 16 at once, taking jobs from `jobs` as it goes (a lazy
    `jobs` is made a window at a time); a job that cannot be created errors its cases. A created job is kept as
    `slim` makes it (e.g. without its records, once they are in S3)."""
    cancel = ctx.scheduler.cancel

    def one(job: JobPlan) -> tuple[JobPlan, str | None, str | None]:
        if cancel.is_set():
            return job, None, "cancelled before its job was created"
        try:
            body = job.dataset_jsonl()
            try:
                s3.put_object(Bucket=bucket, Key=job.dataset_key, Body=body)
            finally:
                if not isinstance(body, bytes):
                    body.close()
            if cancel.is_set():
                return job, None, "cancelled before its job was created"
            arn = kind.create(job.request)
        except Exception as exc:  # every failure to create a job becomes its cases' reason
            return job, None, f"could not create job {job.name}: {classify(exc)[1]}"
        record_job(ctx.out, job, arn, ctx.run_id)
        return job, arn, None

    created = []
    with ThreadPoolExecutor(max_workers=_WINDOW) as pool:
        pending = iter(jobs)
        while window := list(itertools.islice(pending, _WINDOW)):
            for job, arn, reason in pool.map(one, window):
                if arn is not None:
                    created.append((slim(job), arn))
                    continue
                log(f"evalcore: {job.section}: {reason}")
                for case_id in job.case_ids:
                    emit(kind.error_result(by_id[case_id], job, reason or "not created"))
    return created
