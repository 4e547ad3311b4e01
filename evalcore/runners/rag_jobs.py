"""Knowledge-base sections in `mode: bedrock-job`: Bedrock RAG evaluation jobs, driven like model evaluation jobs
(`eval_jobs`): the bucket preflight, `--resume` re-attaching recorded jobs, each job's dataset written to S3 then
the job created (`job_submit`), every job polled and cancelled on SIGTERM (`job_watch`), each finished job's
results read back and mapped to cases (`job_results`, which reads RAG records too). The requests: `rag_job_requests`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from evalcore.domain.plan import Case
from evalcore.domain.results import CaseResult
from evalcore.runners.case_store import CaseStore
from evalcore.runners.context import RunContext, SectionNotRun
from evalcore.runners.eval_jobs import EvaluationJobs
from evalcore.runners.job_requests import SectionTarget
from evalcore.runners.job_submit import bucket_problem, reattach, submit
from evalcore.runners.job_watch import Watch
from evalcore.runners.rag_job_requests import plan_rag_jobs
from evalcore.suite.models import BuiltinMetric, JobKnowledgeBaseSection


def run_knowledge_base_jobs(
    ctx: RunContext, section_name: str, cases: Iterable[Case], emit: Callable[[CaseResult], None]
) -> None:
    """The Runner for knowledge-base sections in mode bedrock-job. The cases are kept on disk (`CaseStore`) while
    the jobs run, as model evaluation jobs keep theirs."""
    section = ctx.loaded.suite.section(section_name, JobKnowledgeBaseSection)
    with CaseStore(cases) as store:
        if len(store):
            _run(ctx, section, store, emit)


def _run(
    ctx: RunContext, section: JobKnowledgeBaseSection, store: CaseStore, emit: Callable[[CaseResult], None]
) -> None:
    section_name = section.name
    target = SectionTarget.of(ctx.loaded, section, ctx.run_id, section.job.s3_uri)
    s3, bedrock = ctx.aws.client("s3"), ctx.aws.client("bedrock")
    metrics = [m.name for m in section.metrics if isinstance(m, BuiltinMetric)]
    kind = EvaluationJobs(bedrock, s3, target, metrics)
    problem = bucket_problem(s3, target.bucket)
    if problem is not None:
        _log(f"evalcore: {section_name}: {problem}; no job was created")
        raise SectionNotRun(problem)
    attached = reattach(ctx, kind, section_name, store, _log) if ctx.resume else []
    covered = {cid for job, _ in attached for cid in job.case_ids}
    remaining = [c for c in store.cases() if c.id not in covered]  # a RAG job holds at most 1,000 prompts
    planned = plan_rag_jobs(ctx.loaded, section, target, remaining, bedrock.meta.region_name)
    if planned:
        _log(f"evalcore: {section_name}: creating {len(planned)} RAG evaluation job(s)")
    created = submit(ctx, s3, target.bucket, kind, planned, store, emit, _log)
    watch = Watch(kind, section_name, store, emit, ctx.scheduler.cancel, _log)
    watch.run([*attached, *created], (section.job.poll_seconds, section.job.timeout_minutes * 60))


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
