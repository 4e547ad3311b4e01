"""Managed AgentCore batch evaluations (an agents section with `evaluation: {mode: agentcore-batch}`): AgentCore runs
the dataset's scenarios against the runtime endpoint and scores the sessions; evalcore starts it, watches it, and
reads the per-session scores back, one case per test (the test's key is the scenario id).

Operations (botocore's bedrock-agentcore model, 2024-02-28): StartBatchEvaluation with `datasetExecutionConfig`
(dataset and `agentCoreRuntime.agentRuntimeEndpointArn`), GetBatchEvaluation (status PENDING, IN_PROGRESS, COMPLETED,
COMPLETED_WITH_ERRORS, FAILED, STOPPING, STOPPED, DELETING), StopBatchEvaluation on cancel. `dataSourceConfig` is
required: the runtime's sessions in CloudWatch Logs, by AWS's conventions (service `<runtime>.<endpoint>`, log group
`/aws/bedrock-agentcore/runtimes/<runtime id>-<endpoint>`; devguide batch-evaluations-start.html).

The job machinery is the model jobs' own: `job_submit.reattach` and `job_registry` (the batch evaluation's id is
recorded in jobs.json as soon as it exists; a rerun with --resume re-attaches instead of starting another) and
`job_watch.Watch` (polling, SIGTERM stops it, timeout). Results: `agentcore_batch_results`.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from evalcore.domain.plan import AgentItem, Case
from evalcore.domain.results import CaseResult
from evalcore.engine.scheduler import classify
from evalcore.runners.agents.agentcore_batch_results import UnexpectedResults, read_results
from evalcore.runners.context import RunContext, case_result
from evalcore.runners.job_registry import record_job
from evalcore.runners.job_requests import JobPlan
from evalcore.runners.job_submit import reattach
from evalcore.runners.job_watch import COMPLETED, FAILED, STOPPED, Watch
from evalcore.suite.load import ResolvedAgents
from evalcore.suite.targets import AgentCoreRuntimeTarget

# GetBatchEvaluation's status -> the watcher's; COMPLETED_WITH_ERRORS has results (its failed sessions are `error`).
_STATUS = {
    "COMPLETED": COMPLETED,
    "COMPLETED_WITH_ERRORS": COMPLETED,
    "FAILED": FAILED,
    "STOPPED": STOPPED,
    "STOPPING": "Stopping",
    "DELETING": "Deleting",
}


def run_agentcore_batch(
    ctx: RunContext, section_name: str, cases: Iterable[Case], emit: Callable[[CaseResult], None]
) -> None:
    resolved = ctx.loaded.agents[section_name]
    by_id = {case.id: case for case in cases}
    if not by_id:
        return
    assert resolved.batch is not None and isinstance(resolved.target, AgentCoreRuntimeTarget)
    spec: AgentCoreRuntimeTarget = resolved.target
    client = ctx.aws.client("bedrock-agentcore", spec.region, spec.endpoint_url)
    kind = BatchEvaluations(client, ctx.aws.client("logs", spec.region))
    attached = reattach(ctx, kind, section_name, by_id, _log) if ctx.resume else []
    if not attached:
        job = _plan(ctx, section_name, resolved, spec, list(by_id))
        try:
            batch_id = kind.create(job.request)
        except Exception as exc:  # it could not be started: every case says why
            reason = f"could not start batch evaluation {job.name}: {classify(exc)[1]}"
            _log(f"evalcore: {section_name}: {reason}")
            for case in by_id.values():
                emit(kind.error_result(case, job, reason))
            return
        record_job(ctx.out, job, batch_id, ctx.run_id)
        _log(f"evalcore: {section_name}: started batch evaluation {batch_id} for {len(by_id)} scenario(s)")
        attached = [(job, batch_id)]
    watch = Watch(kind, section_name, by_id, emit, ctx.scheduler.cancel, _log)
    watch.run(attached, (resolved.batch.poll_seconds, resolved.batch.timeout_minutes * 60))


def _plan(
    ctx: RunContext, section: str, resolved: ResolvedAgents, spec: AgentCoreRuntimeTarget, case_ids: list[str]
) -> JobPlan:
    batch = resolved.batch
    assert batch is not None
    runtime_arn = _runtime_arn(spec, ctx.aws.session().region_name)
    runtime_id = runtime_arn.split(":runtime/", 1)[1]
    endpoint = spec.qualifier or "DEFAULT"
    digest = hashlib.sha256(json.dumps([ctx.loaded.suite.name, section, ctx.run_id, case_ids]).encode()).hexdigest()
    # BatchEvaluationName: [a-zA-Z][a-zA-Z0-9_]{0,47}; ClientToken: 33-256 of [a-zA-Z0-9-].
    readable = re.sub(r"[^a-zA-Z0-9_]+", "_", f"evalcore_{section}")[:37]
    name = f"{readable}_{digest[:10]}"
    request: dict[str, Any] = {
        "batchEvaluationName": name,
        "clientToken": digest,
        "evaluators": [{"evaluatorId": e} for e in resolved.agentcore_evaluators],
        "dataSourceConfig": {
            "cloudWatchLogs": {
                "serviceNames": [f"{runtime_id.rsplit('-', 1)[0]}.{endpoint}"],
                "logGroupNames": [f"/aws/bedrock-agentcore/runtimes/{runtime_id}-{endpoint}"],
            }
        },
        "datasetExecutionConfig": {
            "dataset": {"datasetId": batch.dataset_id},
            "agentInvocation": {
                "agentCoreRuntime": {"agentRuntimeEndpointArn": f"{runtime_arn}/runtime-endpoint/{endpoint}"}
            },
        },
    }
    if batch.dataset_version is not None:
        request["datasetExecutionConfig"]["dataset"]["datasetVersion"] = batch.dataset_version
    if batch.request_template is not None:
        request["datasetExecutionConfig"]["agentInvocation"]["agentCoreRuntime"]["requestTemplate"] = (
            batch.request_template
        )
    if batch.log_group is not None:
        request["outputConfig"] = {"cloudWatchConfig": {"logGroupName": batch.log_group, "logStreamName": name}}
    return JobPlan(name, section, "agentcore-batch", runtime_arn, 1, case_ids, [], "", request)


def _runtime_arn(spec: AgentCoreRuntimeTarget, session_region: str | None) -> str:
    if spec.agent_runtime_arn.startswith("arn:"):
        return spec.agent_runtime_arn
    region = spec.region or session_region or "us-east-1"
    return f"arn:aws:bedrock-agentcore:{region}:{spec.account_id}:runtime/{spec.agent_runtime_arn}"


@dataclass
class BatchEvaluations:
    """AgentCore batch evaluations as a `job_watch.JobKind` (the "ARN" it passes around is the batch evaluation id,
    which Get/Stop take)."""

    client: Any
    logs: Any
    noun: str = "AgentCore batch evaluation"

    def create(self, request: dict[str, Any]) -> str:
        return str(self.client.start_batch_evaluation(**request)["batchEvaluationId"])

    def status(self, arn: str) -> tuple[str, str]:
        found = self.client.get_batch_evaluation(batchEvaluationId=arn)
        status = str(found["status"])
        return _STATUS.get(status, status), "; ".join(found.get("errorDetails") or [])

    def stop(self, arn: str) -> None:
        self.client.stop_batch_evaluation(batchEvaluationId=arn)

    def read(self, job: JobPlan, arn: str, cases: Mapping[str, Case], emit: Callable[[CaseResult], None]) -> None:
        found = self.client.get_batch_evaluation(batchEvaluationId=arn)
        try:
            read_results(self.logs, found, job, cases, emit)
        except UnexpectedResults as exc:  # the watcher errors the cases; the run says why, once
            _log(f"evalcore: {job.section}: batch evaluation {arn}: {exc}")
            raise

    def error_result(self, case: Case, job: JobPlan, reason: str) -> CaseResult:
        scenario = case.item_as(AgentItem).test_name
        return case_result(case, model_id=job.model_id, source=scenario, prompt=scenario, reason=reason)


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
