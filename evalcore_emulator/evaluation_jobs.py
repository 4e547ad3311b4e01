"""Bedrock model evaluation jobs: CreateEvaluationJob, GetEvaluationJob, ListEvaluationJobs, StopEvaluationJob,
BatchDeleteEvaluationJob.

A job is validated like Bedrock validates it (``evaluation_validation``), then runs in the background
(``job_lifecycle``, ``evaluation_run``): it reads each dataset from S3 (moto), answers each prompt with the job's
model (or takes the record's ``modelResponses``), scores the metrics (``evaluation_scoring``) and writes Bedrock's
output layout::

    <s3Uri>/<jobName>/amazon-bedrock-evaluations-permission-check            (empty, at start)
    <s3Uri>/<jobName>/<jobId>/models/<model>/taskTypes/<taskType>/datasets/<datasetName>/<uuid>_output.jsonl

``<model>`` is the model identifier (an ARN's last segment), the ``inferenceSourceIdentifier``, or for
knowledge base jobs the knowledge base id. A missing dataset, a line that is not a JSON object with a
``prompt``, more than 1000 prompts, or a bring-your-own-inference record without a response for the job's
source ends the job ``Failed`` with ``failureMessages``.
"""

from __future__ import annotations

from typing import Any

from evalcore_emulator import job_lifecycle as lifecycle
from evalcore_emulator.evaluation_run import first_model, rag_source, run
from evalcore_emulator.evaluation_validation import validate
from evalcore_emulator.protocol import AwsError, EmulatorContext, Request, Response, Route, route

_JOBS = "evaluation_jobs"
_RUNNING = ("InProgress", "Stopping")


def create_evaluation_job(ctx: EmulatorContext, req: Request) -> Response:
    body = req.json()
    validate(ctx, body)
    jobs = ctx.state(_JOBS)
    with ctx.lock:
        token = body.get("clientRequestToken")
        for job in jobs.values():
            if job.name == body["jobName"]:
                if token and job.fields.get("clientRequestToken") == token:
                    return Response.json({"jobArn": job.arn}, status=202)
                raise AwsError(400, "ConflictException", f"An evaluation job named {body['jobName']} already exists.")
        job_id = lifecycle.new_job_id()
        arn = f"arn:aws:bedrock:{ctx.region}:{ctx.account_id}:evaluation-job/{job_id}"
        now = lifecycle.now_iso()
        fields = {
            "jobName": body["jobName"],
            "status": "InProgress",
            "jobArn": arn,
            "roleArn": body["roleArn"],
            "jobType": "Automated",
            "applicationType": body.get("applicationType", "ModelEvaluation"),
            "evaluationConfig": body["evaluationConfig"],
            "inferenceConfig": body["inferenceConfig"],
            "outputDataConfig": body["outputDataConfig"],
            "creationTime": now,
            "lastModifiedTime": now,
        }
        for optional in ("jobDescription", "customerEncryptionKeyId", "clientRequestToken"):
            if optional in body:
                fields[optional] = body[optional]
        job = lifecycle.Job(arn, body["jobName"], fields)
        jobs[arn] = job
    lifecycle.start(ctx, job, lambda: run(ctx, job, job_id), _OUTCOMES)
    return Response.json({"jobArn": arn}, status=202)


def get_evaluation_job(ctx: EmulatorContext, req: Request) -> Response:
    job = _job(ctx, req.path_params["jobIdentifier"])
    with ctx.lock:
        fields = {k: v for k, v in job.fields.items() if k != "clientRequestToken"}
    return Response.json(fields)


def list_evaluation_jobs(ctx: EmulatorContext, req: Request) -> Response:
    with ctx.lock:
        summaries = [_summary(job.fields) for job in ctx.state(_JOBS).values()]
    application = req.query.get("applicationTypeEquals", [None])[0]
    if application:
        summaries = [s for s in summaries if s["applicationType"] == application]
    kept = lifecycle.filter_and_sort(summaries, req.query, "creationTime", ("creationTimeAfter", "creationTimeBefore"))
    chunk, token = lifecycle.page(kept, req.query)
    payload: dict[str, Any] = {"jobSummaries": chunk}
    if token:
        payload["nextToken"] = token
    return Response.json(payload)


def stop_evaluation_job(ctx: EmulatorContext, req: Request) -> Response:
    job = _job(ctx, req.path_params["jobIdentifier"])
    lifecycle.request_stop(ctx, job, ("InProgress",), "Stopping")
    return Response.json({})


def batch_delete_evaluation_job(ctx: EmulatorContext, req: Request) -> Response:
    identifiers = req.json().get("jobIdentifiers") or []
    if not 1 <= len(identifiers) <= 25:
        raise AwsError(400, "ValidationException", "jobIdentifiers must have between 1 and 25 items")
    jobs = ctx.state(_JOBS)
    deleted, errors = [], []
    with ctx.lock:
        for identifier in identifiers:
            job = jobs.get(identifier)
            if job is None:
                errors.append({"jobIdentifier": identifier, "code": "404", "message": "The job was not found."})
            elif job.fields["status"] in _RUNNING:
                message = f"The job is {job.fields['status']}; stop it before deleting it."
                errors.append({"jobIdentifier": identifier, "code": "409", "message": message})
            else:
                del jobs[identifier]
                deleted.append({"jobIdentifier": identifier, "jobStatus": "Deleting"})
    return Response.json({"errors": errors, "evaluationJobs": deleted}, status=202)


def _record_end(job: lifecycle.Job, status: str, messages: list[str]) -> None:
    job.fields["status"] = status
    job.fields["lastModifiedTime"] = lifecycle.now_iso()
    if messages:
        job.fields["failureMessages"] = messages[:20]


_OUTCOMES = lifecycle.Outcomes("Completed", "Failed", "Stopped", _record_end)


def _summary(fields: dict[str, Any]) -> dict[str, Any]:
    automated = fields["evaluationConfig"]["automated"]
    inference = fields["inferenceConfig"]
    summary: dict[str, Any] = {
        "jobArn": fields["jobArn"],
        "jobName": fields["jobName"],
        "status": fields["status"],
        "creationTime": fields["creationTime"],
        "jobType": fields["jobType"],
        "applicationType": fields["applicationType"],
        "evaluationTaskTypes": sorted({c["taskType"] for c in automated["datasetMetricConfigs"]}),
    }
    models = [m["bedrockModel"]["modelIdentifier"] for m in inference.get("models", []) if "bedrockModel" in m]
    if models:
        summary["modelIdentifiers"] = models
    evaluator = first_model((automated.get("evaluatorModelConfig") or {}).get("bedrockEvaluatorModels"))
    if evaluator:
        summary["evaluatorModelIdentifiers"] = [evaluator]
    if inference.get("ragConfigs"):
        summary["ragIdentifiers"] = [rag_source(inference["ragConfigs"][0])[0]]
    return summary


def _job(ctx: EmulatorContext, identifier: str) -> lifecycle.Job:
    with ctx.lock:
        job = ctx.state(_JOBS).get(identifier)
    if job is None:
        raise AwsError(404, "ResourceNotFoundException", f"The evaluation job {identifier} was not found.")
    return job


ROUTES: list[Route] = [
    route("CreateEvaluationJob", "bedrock", "POST", "/evaluation-jobs", create_evaluation_job),
    route("GetEvaluationJob", "bedrock", "GET", "/evaluation-jobs/{jobIdentifier}", get_evaluation_job),
    route("ListEvaluationJobs", "bedrock", "GET", "/evaluation-jobs", list_evaluation_jobs),
    route("StopEvaluationJob", "bedrock", "POST", "/evaluation-job/{jobIdentifier}/stop", stop_evaluation_job),
    route("BatchDeleteEvaluationJob", "bedrock", "POST", "/evaluation-jobs/batch-delete", batch_delete_evaluation_job),
]
