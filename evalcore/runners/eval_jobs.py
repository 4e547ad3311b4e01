"""Managed evaluations (`mode: bedrock-job`): Bedrock runs the evaluation on its own fleet, evalcore drives it.

1. Preflight, before anything is created: the bucket of `job.s3_uri` must answer HeadBucket; if not, the section
   does not run (`not_run`, with that one reason in the results and the verdict) and nothing is written.
2. Jobs: one per model and per 1,000 prompts (`job_requests`); on `--resume`, jobs recorded in `jobs.json` that
   are still running or finished are re-attached and only the cases they do not cover get new jobs. Each job's
   dataset is written to S3, then the job is created; all of them at once, each recorded as soon as it exists
   (`job_submit`).
3. Waiting (`job_watch`): every job polled together, then each finished job's results read back (`job_results`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from evalcore.domain.plan import Case
from evalcore.domain.results import CaseResult
from evalcore.runners.case_store import CaseStore
from evalcore.runners.context import RunContext, SectionNotRun
from evalcore.runners.job_requests import JobPlan, SectionTarget, plan_jobs
from evalcore.runners.job_responses import responses_for
from evalcore.runners.job_results import error_result, read_job_results
from evalcore.runners.job_submit import bucket_problem, reattach, submit
from evalcore.runners.job_watch import Watch
from evalcore.suite.models import JobEvaluation


def run_eval_jobs(
    ctx: RunContext, section_name: str, cases: Iterable[Case], emit: Callable[[CaseResult], None]
) -> None:
    """The Runner for `mode: bedrock-job` evaluations. The cases are kept on disk (`CaseStore`) while the jobs
    run; each job is made from them as it is created."""
    evaluation = ctx.loaded.suite.section(section_name, JobEvaluation)
    with CaseStore(cases) as store:
        if len(store):
            _run(ctx, evaluation, store, emit)


def _run(ctx: RunContext, evaluation: JobEvaluation, store: CaseStore, emit: Callable[[CaseResult], None]) -> None:
    section_name = evaluation.name
    target = SectionTarget.of(ctx.loaded, evaluation, ctx.run_id, evaluation.job.s3_uri)
    s3 = ctx.aws.client("s3")
    kind = EvaluationJobs(ctx.aws.client("bedrock"), s3, target, [m.name for m in evaluation.metrics])
    problem = bucket_problem(s3, target.bucket)
    if problem is not None:
        _log(f"evalcore: {section_name}: {problem}; no job was created")
        raise SectionNotRun(problem)
    attached = reattach(ctx, kind, section_name, store, _log) if ctx.resume else []
    covered = {cid for job, _ in attached for cid in job.case_ids}
    responses = responses_for(ctx.loaded, evaluation, (c for c in store.cases() if c.id not in covered))
    planned = plan_jobs(ctx.loaded, evaluation, target, store, responses, covered)
    left = len(store) - sum(1 for cid in covered if cid in store)
    if left:
        _log(f"evalcore: {section_name}: creating evaluation jobs for {left} case(s)")
    created = submit(ctx, s3, target.bucket, kind, planned, store, emit, _log)
    watch = Watch(kind, section_name, store, emit, ctx.scheduler.cancel, _log)
    watch.run([*attached, *created], _settings(evaluation))


@dataclass
class EvaluationJobs:
    """Evaluation jobs as a `JobKind`."""

    bedrock: Any
    s3: Any
    target: SectionTarget
    metrics: list[str]
    noun: str = "evaluation job"

    def create(self, request: dict[str, Any]) -> str:
        return str(self.bedrock.create_evaluation_job(**request)["jobArn"])

    def status(self, arn: str) -> tuple[str, str]:
        found = self.bedrock.get_evaluation_job(jobIdentifier=arn)
        return found["status"], "; ".join(found.get("failureMessages") or [])

    def stop(self, arn: str) -> None:
        self.bedrock.stop_evaluation_job(jobIdentifier=arn)

    def read(self, job: JobPlan, arn: str, cases: Mapping[str, Case], emit: Callable[[CaseResult], None]) -> None:
        read_job_results(self.s3, self.target, job, cases, self.metrics, emit, _log)

    def error_result(self, case: Case, job: JobPlan, reason: str) -> CaseResult:
        return error_result(case, job, reason)


def _settings(evaluation: JobEvaluation) -> tuple[float, float]:
    return evaluation.job.poll_seconds, evaluation.job.timeout_minutes * 60


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
