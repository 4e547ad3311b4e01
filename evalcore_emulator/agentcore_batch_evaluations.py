"""AgentCore batch evaluations (bedrock-agentcore): StartBatchEvaluation, GetBatchEvaluation, ListBatchEvaluations,
StopBatchEvaluation, DeleteBatchEvaluation (botocore's bedrock-agentcore model, 2024-02-28).

Only dataset execution is served (``datasetExecutionConfig``: run a dataset's scenarios against a runtime endpoint,
then evaluate the sessions); a ``dataSourceConfig`` that reads CloudWatch sessions is accepted but evaluates none.
The job runs like the emulator's other jobs (``job_lifecycle``): PENDING -> IN_PROGRESS -> COMPLETED, or
COMPLETED_WITH_ERRORS when an evaluator could not score a session, FAILED by the world's ``jobs.fail_name_pattern``;
StopBatchEvaluation -> STOPPING -> STOPPED. Each scenario is one new session of the runtime's scripted agent
(``agentcore_runtime.answer_once``), scored by each evaluator with ``agentcore_evaluations.score``.

Results land where AWS puts them (docs: bedrock-agentcore/latest/devguide/batch-evaluations-results.html, "aggregate
summaries in the API response, and per-session detail in CloudWatch Logs"): aggregates in ``evaluationResults``,
one CloudWatch Logs event per (session, evaluator) in moto's ``outputConfig.cloudWatchConfig`` log group and stream
(default ``/aws/bedrock-agentcore/evaluations/batch/<id>``, stream ``<id>``). AWS documents the events only as
"OpenTelemetry semantic conventions for GenAI evaluation result events"; their shape here is evalcore's assumption:
``{"event.name": "gen_ai.evaluation.result", "attributes": {"gen_ai.evaluation.name", "gen_ai.evaluation.score.value",
"gen_ai.evaluation.score.label", "gen_ai.evaluation.explanation", "error.type", "session.id", "test_scenario.id"}}``.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import string
import time
from typing import Any

from evalcore_emulator import agentcore_evaluations, agentcore_runtime, job_lifecycle
from evalcore_emulator.job_lifecycle import Job, JobFailure, Outcomes
from evalcore_emulator.protocol import AwsError, EmulatorContext, Request, Response, route

_STATE = "agentcore_batch_evaluations"
_BASE = "/evaluations/batch-evaluate"
_ALPHABET = string.ascii_letters + string.digits
_RUNNING = ("PENDING", "IN_PROGRESS")


def start_batch_evaluation(ctx: EmulatorContext, req: Request) -> Response:
    body = req.json()
    name = str(body["batchEvaluationName"])
    batch_id = f"{name.replace('_', '-')[:80]}-{''.join(secrets.choice(_ALPHABET) for _ in range(10))}"
    arn = f"arn:aws:bedrock-agentcore:{ctx.region}:{ctx.account_id}:batch-evaluation/{batch_id}"
    output = (body.get("outputConfig") or {}).get("cloudWatchConfig") or {}
    output = {
        "logGroupName": output.get("logGroupName") or f"/aws/bedrock-agentcore/evaluations/batch/{batch_id}",
        "logStreamName": output.get("logStreamName") or batch_id,
    }
    execution = body.get("datasetExecutionConfig")
    scenarios: list[Any] = []
    if execution is not None:
        dataset_id = execution["dataset"]["datasetId"]
        if dataset_id not in ctx.world.agentcore_datasets:
            raise AwsError(404, "ResourceNotFoundException", f"Dataset {dataset_id} not found")
        scenarios = ctx.world.agentcore_datasets[dataset_id]
        endpoint = execution["agentInvocation"].get("agentCoreRuntime", {}).get("agentRuntimeEndpointArn", "")
        runtime_id, _, qualifier = endpoint.split(":runtime/", 1)[-1].partition("/runtime-endpoint/")
        spec = ctx.world.agentcore_runtimes.get(runtime_id)
        if spec is None or qualifier not in spec.qualifiers:
            raise AwsError(404, "ResourceNotFoundException", f"Runtime endpoint {endpoint} not found")
        if spec.agent is None:  # the world's MCP-server runtimes answer JSON-RPC, not a scenario's prompts
            raise AwsError(400, "ValidationException", f"Runtime endpoint {endpoint} serves no agent")
        agent = ctx.world.agents[spec.agent]
    created = job_lifecycle.now_iso()
    fields: dict[str, Any] = {
        "batchEvaluationId": batch_id,
        "batchEvaluationArn": arn,
        "batchEvaluationName": name,
        "status": "PENDING",
        "createdAt": created,
        "updatedAt": created,
        "evaluators": body.get("evaluators") or [],
        "outputConfig": {"cloudWatchConfig": output},
    }
    job = Job(arn, name, fields)
    with ctx.lock:
        ctx.state(_STATE)[batch_id] = job
        fields["status"] = "IN_PROGRESS"
    evaluators = [e["evaluatorId"] for e in body.get("evaluators") or []]

    def work() -> None:
        if execution is None:
            fields["evaluationResults"] = _aggregate(evaluators, [], 0)
            return
        events, failed_sessions = [], 0
        rows: list[tuple[str, float | None]] = []
        for scenario in scenarios:
            job.check_stop()
            session_id = f"{batch_id}-{scenario.scenario_id}"[:100]
            _answer, spans = agentcore_runtime.answer_once(agent, scenario.prompt, session_id)
            failed = False
            for evaluator in evaluators:
                value, explanation = agentcore_evaluations.score(
                    evaluator, spans, scenario.assertions, scenario.expected_tools
                )
                attributes: dict[str, Any] = {
                    "gen_ai.evaluation.name": evaluator,
                    "session.id": session_id,
                    "test_scenario.id": scenario.scenario_id,
                    "gen_ai.evaluation.explanation": explanation,
                }
                if value is None:
                    failed = True
                    attributes["error.type"] = "MissingReferenceInput"
                else:
                    attributes["gen_ai.evaluation.score.value"] = value
                    attributes["gen_ai.evaluation.score.label"] = "Yes" if value >= 0.5 else "No"
                rows.append((evaluator, value))
                events.append({"event.name": "gen_ai.evaluation.result", "attributes": attributes})
            failed_sessions += failed
        _write_events(ctx, output, events)
        fields["evaluationResults"] = _aggregate(evaluators, rows, len(scenarios), failed_sessions)

    def record(job: Job, status: str, messages: list[str]) -> None:
        if status == "COMPLETED" and fields.get("evaluationResults", {}).get("numberOfSessionsFailed"):
            status = "COMPLETED_WITH_ERRORS"
        fields.update(status=status, updatedAt=job_lifecycle.now_iso())
        if messages:
            fields["errorDetails"] = [m[:1000] for m in messages[:1]]

    job_lifecycle.start(ctx, job, work, Outcomes("COMPLETED", "FAILED", "STOPPED", record))
    keys = ("batchEvaluationId", "batchEvaluationArn", "batchEvaluationName", "createdAt", "evaluators")
    return Response.json(
        {**{k: fields[k] for k in keys}, "status": "IN_PROGRESS", "outputConfig": fields["outputConfig"]}, 202
    )


def _aggregate(
    evaluators: list[str], rows: list[tuple[str, float | None]], total: int, failed: int = 0
) -> dict[str, Any]:
    summaries = []
    for evaluator in evaluators:
        scores = [v for e, v in rows if e == evaluator and v is not None]
        summaries.append(
            {
                "evaluatorId": evaluator,
                "statistics": {"averageScore": sum(scores) / len(scores) if scores else 0.0},
                "totalEvaluated": len(scores),
                "totalFailed": sum(1 for e, v in rows if e == evaluator and v is None),
            }
        )
    return {
        "numberOfSessionsCompleted": total - failed,
        "numberOfSessionsInProgress": 0,
        "numberOfSessionsFailed": failed,
        "totalNumberOfSessions": total,
        "numberOfSessionsIgnored": 0,
        "evaluatorSummaries": summaries,
    }


def _write_events(ctx: EmulatorContext, output: dict[str, str], events: list[dict[str, Any]]) -> None:
    logs = ctx.logs()
    group, stream = output["logGroupName"], output["logStreamName"]
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    if events:
        try:
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": now, "message": json.dumps(e)} for e in events],
            )
        except Exception as exc:  # moto refused: the job fails visibly
            raise JobFailure(f"cannot write results to {group}: {exc}") from None


def _job(ctx: EmulatorContext, req: Request) -> Job:
    batch_id = req.path_params["batchEvaluationId"]
    with ctx.lock:
        job = ctx.state(_STATE).get(batch_id)
    if job is None:
        raise AwsError(404, "ResourceNotFoundException", f"Batch evaluation {batch_id} not found")
    assert isinstance(job, Job)
    return job


def get_batch_evaluation(ctx: EmulatorContext, req: Request) -> Response:
    job = _job(ctx, req)
    with ctx.lock:
        return Response.json(dict(job.fields))


def list_batch_evaluations(ctx: EmulatorContext, req: Request) -> Response:
    with ctx.lock:
        items = [dict(j.fields) for j in ctx.state(_STATE).values()]
    items.sort(key=lambda item: item["createdAt"], reverse=True)
    keep = ("batchEvaluationId", "batchEvaluationArn", "batchEvaluationName", "status", "createdAt", "updatedAt")
    chunk, token = job_lifecycle.page(items, req.query, 100)
    out: dict[str, Any] = {"batchEvaluations": [{k: i[k] for k in keep} for i in chunk]}
    if token:
        out["nextToken"] = token
    return Response.json(out)


def stop_batch_evaluation(ctx: EmulatorContext, req: Request) -> Response:
    job = _job(ctx, req)
    job_lifecycle.request_stop(ctx, job, _RUNNING, "STOPPING")
    fields = job.fields
    return Response.json(
        {"batchEvaluationId": fields["batchEvaluationId"], "batchEvaluationArn": job.arn, "status": "STOPPING"}, 202
    )


def delete_batch_evaluation(ctx: EmulatorContext, req: Request) -> Response:
    job = _job(ctx, req)
    with ctx.lock:
        if job.fields["status"] in _RUNNING:
            raise AwsError(409, "ConflictException", "A running batch evaluation cannot be deleted: stop it first")
        del ctx.state(_STATE)[job.fields["batchEvaluationId"]]
    return Response.json(
        {"batchEvaluationId": job.fields["batchEvaluationId"], "batchEvaluationArn": job.arn, "status": "DELETING"},
        202,
    )


_ONE = _BASE + "/{batchEvaluationId}"
ROUTES = [
    route("StartBatchEvaluation", "bedrock-agentcore", "POST", _BASE, start_batch_evaluation),
    route("ListBatchEvaluations", "bedrock-agentcore", "GET", _BASE, list_batch_evaluations),
    route("GetBatchEvaluation", "bedrock-agentcore", "GET", _ONE, get_batch_evaluation),
    route("DeleteBatchEvaluation", "bedrock-agentcore", "DELETE", _ONE, delete_batch_evaluation),
    route("StopBatchEvaluation", "bedrock-agentcore", "POST", _ONE + "/stop", stop_batch_evaluation),
]
