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
import itertools
import json
import math
import sys
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from evalcore.domain.plan import Case, EvaluationItem
from evalcore.domain.results import CaseResult
from evalcore.runners.batch_results import BatchJobs
from evalcore.runners.case_store import CaseStore
from evalcore.runners.context import RunContext, SectionNotRun
from evalcore.runners.direct import Target, prepare_section, rendered, run_direct
from evalcore.runners.invoke_format import request_body
from evalcore.runners.job_requests import JobPlan, SectionTarget, job_name, safe_segment
from evalcore.runners.job_submit import bucket_problem, reattach, submit
from evalcore.runners.job_watch import Watch
from evalcore.suite.models import BatchEvaluation

TIMEOUT_HOURS = 24  # CreateModelInvocationJob's timeoutDurationInHours: 24 to 168


def run_batch(ctx: RunContext, section_name: str, cases: Iterable[Case], emit: Callable[[CaseResult], None]) -> None:
    """The Runner for `mode: batch` and `mode: auto` evaluations. The cases are kept on disk (`CaseStore`) while
    the jobs run; each job's records are made and written as its cases come, and dropped once it is created."""
    evaluation = ctx.loaded.suite.section(section_name, BatchEvaluation)
    with CaseStore(cases) as store:
        if len(store):
            _run(ctx, evaluation, store, emit)


def _run(ctx: RunContext, evaluation: BatchEvaluation, store: CaseStore, emit: Callable[[CaseResult], None]) -> None:
    section_name, settings = evaluation.name, evaluation.batch
    batched, direct = split_models(evaluation, store.counts)
    if not batched:
        run_direct(ctx, section_name, store.of_models(direct), emit)
        return
    section = prepare_section(ctx, section_name, [next(store.of_model(m)) for m in batched])  # one case a model
    target = SectionTarget.of(ctx.loaded, evaluation, ctx.run_id, settings.s3_uri)
    s3 = ctx.aws.client("s3")
    workers = evaluation.concurrency or ctx.scheduler.concurrency
    kind = BatchJobs(ctx.aws.client("bedrock"), s3, target, section, workers)
    problem = bucket_problem(s3, target.bucket, "batch.s3_uri")
    if problem is not None:
        _log(f"evalcore: {section_name}: {problem}; no job was created")
        raise SectionNotRun(problem)
    attached = reattach(ctx, kind, section_name, store, _log) if ctx.resume else []
    covered = {cid for job, _ in attached for cid in job.case_ids}
    planned = plan_batch_jobs(evaluation, section.targets, target, store, batched, covered)
    left = sum(store.counts[m] for m in batched) - sum(1 for cid in covered if cid in store)
    if left:
        _log(f"evalcore: {section_name}: creating batch inference jobs for {left} case(s)")
    created = submit(ctx, s3, target.bucket, kind, planned, store, emit, _log, slim=_without_records)
    if direct:
        count = sum(store.counts[m] for m in direct)
        _log(f"evalcore: {section_name}: {count} case(s) below the batch size run direct")
        run_direct(ctx, section_name, store.of_models(direct), emit)
    watch = Watch(kind, section_name, store, emit, ctx.scheduler.cancel, _log)
    watch.run([*attached, *created], (settings.poll_seconds, settings.timeout_minutes * 60))


def split_models(
    evaluation: BatchEvaluation, counts: Mapping[str | None, int]
) -> tuple[list[str | None], list[str | None]]:
    """(models whose cases go batch, models whose cases run direct): a model goes batch with enough cases."""
    threshold = evaluation.batch.threshold(evaluation.mode)
    return [m for m, n in counts.items() if n >= threshold], [m for m, n in counts.items() if n < threshold]


def plan_batch_jobs(
    evaluation: BatchEvaluation,
    targets: dict[str, Target],
    target: SectionTarget,
    store: CaseStore,
    models: Iterable[str | None],
    covered: Container[str] = frozenset(),
) -> Iterator[JobPlan]:
    """One job per model and per `max_records_per_job` records, the model's cases (but `covered`) spread evenly
    over its jobs; each job made when the one before has been taken."""
    settings = evaluation.batch
    for model in models:
        left = (c for c in store.of_model(model) if c.id not in covered)
        total = sum(1 for _ in (c for c in store.of_model(model) if c.id not in covered)) if covered else None
        total = store.counts[model] if total is None else total
        if not total:
            continue
        size = math.ceil(total / math.ceil(total / settings.max_records_per_job))
        name = str(model)
        for shard in range(1, math.ceil(total / size) + 1):
            chunk = itertools.islice(left, size)  # taken as the job's records are written
            yield _job(evaluation, targets[name], target, name, shard, chunk, store.folder)


def _without_records(job: JobPlan) -> JobPlan:
    """A created batch job as it is watched: its records are in S3, and reading results needs only the ids."""
    if job.spilled is not None:
        job.spilled.unlink(missing_ok=True)
    return replace(job, spilled=None)


def _job(
    evaluation: BatchEvaluation,
    model: Target,
    target: SectionTarget,
    model_name: str,
    shard: int,
    cases: Iterable[Case],
    folder: Path,
) -> JobPlan:
    settings = evaluation.batch
    model_id = model.model_id
    key = target.key(safe_segment(target.suite), target.run_id, safe_segment(target.section))
    input_key = f"{key}/input/{safe_segment(model_name)}-{shard}.jsonl"
    spilled = folder / f"{safe_segment(model_name)}-{shard}.jsonl"
    case_ids = []
    with spilled.open("w", encoding="utf-8") as fh:  # made and written a record at a time, sent from the file
        for case in cases:
            case_ids.append(case.id)
            record = {"recordId": case.id, "modelInput": _model_input(evaluation, model, case)}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    name = job_name(target, model_name, shard, case_ids)
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
    return JobPlan(name, target.section, model_name, model_id, shard, case_ids, [], input_key, request, spilled)


def _model_input(evaluation: BatchEvaluation, model: Target, case: Case) -> dict[str, Any]:
    """The case's InvokeModel body: the prompt and system rendered as direct mode renders them."""
    prompt, system = rendered(evaluation, case.item_as(EvaluationItem).fields)
    return request_body(model.model_id, prompt, model.settings, system)


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
