"""Batch inference: CreateModelInvocationJob, GetModelInvocationJob, ListModelInvocationJobs,
StopModelInvocationJob.

Input: JSON Lines records ``{"recordId": ..., "modelInput": {...}}`` in the object at ``s3InputDataConfig.s3Uri``
(or in every ``.jsonl`` object under it when it is a prefix). ``modelInput`` is the model's InvokeModel body, or
a Converse request when ``modelInvocationType`` is ``Converse``. Fewer records than ``jobs.batch_min_records``
in all: ValidationException at creation, as Bedrock enforces a minimum per job.

Output, when the job completes: for each input object ``<name>``, ``<s3OutputDataConfig.s3Uri>/<jobId>/<name>.out``
with one line per record, ``{"recordId", "modelInput", "modelOutput"}`` (the model's response body), or
``{"recordId", "modelInput", "error": {"errorCode", "errorMessage"}}`` for a record the model could not answer;
and ``<jobId>/manifest.json.out`` with the record and token counts. Status: Submitted (waiting
``jobs.duration_seconds``) -> InProgress -> Completed (PartiallyCompleted when some records have errors), or
Failed, or Stopping -> Stopped (see ``job_lifecycle``).

World faults reach records too: each record is a call of operation ``ModelInvocationJobRecord`` on the job's
model id, and a fault that fires on it (an error kind) makes that record an ``error`` line.
"""

from __future__ import annotations

import json
from typing import Any

from evalcore_emulator import invoke_bodies
from evalcore_emulator import job_lifecycle as lifecycle
from evalcore_emulator.protocol import AwsError, EmulatorContext, Request, Response, Route, route

JOB_NAME = r"[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}"
ROLE_ARN = r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+"
S3_URI = r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?"
_JOBS = "model_invocation_jobs"
RECORD_OPERATION = "ModelInvocationJobRecord"


def create_model_invocation_job(ctx: EmulatorContext, req: Request) -> Response:
    body = req.json()
    lifecycle.check_pattern(body.get("jobName"), JOB_NAME, "jobName")
    lifecycle.check_pattern(body.get("roleArn"), ROLE_ARN, "roleArn")
    input_uri = lifecycle.check_pattern(
        ((body.get("inputDataConfig") or {}).get("s3InputDataConfig") or {}).get("s3Uri"),
        S3_URI,
        "inputDataConfig.s3InputDataConfig.s3Uri",
    )
    lifecycle.check_pattern(
        ((body.get("outputDataConfig") or {}).get("s3OutputDataConfig") or {}).get("s3Uri"),
        S3_URI,
        "outputDataConfig.s3OutputDataConfig.s3Uri",
    )
    if ctx.world.resolve_model(body.get("modelId", "")) is None:
        raise AwsError(400, "ValidationException", f"The provided model identifier is invalid: {body.get('modelId')}")
    hours = body.get("timeoutDurationInHours", 24)
    if not isinstance(hours, int) or not 24 <= hours <= 168:
        raise AwsError(400, "ValidationException", "timeoutDurationInHours must be between 24 and 168")
    invocation_type = body.get("modelInvocationType", "InvokeModel")
    if invocation_type not in ("InvokeModel", "Converse"):
        raise AwsError(400, "ValidationException", "modelInvocationType must be InvokeModel or Converse")
    inputs = _read_inputs(ctx, input_uri)
    count = sum(len(records) for _, records in inputs)
    minimum = ctx.world.jobs.batch_min_records
    if count < minimum:
        raise AwsError(
            400,
            "ValidationException",
            f"The number of records in the input ({count}) is less than the minimum of {minimum} records per job.",
        )
    jobs = ctx.state(_JOBS)
    with ctx.lock:
        if any(job.name == body["jobName"] for job in jobs.values()):
            raise AwsError(400, "ConflictException", f"A model invocation job named {body['jobName']} already exists.")
        job_id = lifecycle.new_job_id()
        arn = f"arn:aws:bedrock:{ctx.region}:{ctx.account_id}:model-invocation-job/{job_id}"
        now = lifecycle.now_iso()
        fields = {
            "jobArn": arn,
            "jobName": body["jobName"],
            "modelId": body["modelId"],
            "roleArn": body["roleArn"],
            "status": "Submitted",
            "submitTime": now,
            "lastModifiedTime": now,
            "inputDataConfig": body["inputDataConfig"],
            "outputDataConfig": body["outputDataConfig"],
            "timeoutDurationInHours": hours,
            "modelInvocationType": invocation_type,
            "totalRecordCount": count,
        }
        if "clientRequestToken" in body:
            fields["clientRequestToken"] = body["clientRequestToken"]
        job = lifecycle.Job(arn, body["jobName"], fields)
        jobs[arn] = job
    lifecycle.start(ctx, job, lambda: _run(ctx, job, job_id, inputs), _OUTCOMES)
    return Response.json({"jobArn": arn})


def get_model_invocation_job(ctx: EmulatorContext, req: Request) -> Response:
    job = _job(ctx, req.path_params["jobIdentifier"])
    with ctx.lock:
        return Response.json(dict(job.fields))


def list_model_invocation_jobs(ctx: EmulatorContext, req: Request) -> Response:
    with ctx.lock:
        summaries = [dict(job.fields) for job in ctx.state(_JOBS).values()]
    kept = lifecycle.filter_and_sort(summaries, req.query, "submitTime", ("submitTimeAfter", "submitTimeBefore"))
    chunk, token = lifecycle.page(kept, req.query)
    payload: dict[str, Any] = {"invocationJobSummaries": chunk}
    if token:
        payload["nextToken"] = token
    return Response.json(payload)


def stop_model_invocation_job(ctx: EmulatorContext, req: Request) -> Response:
    job = _job(ctx, req.path_params["jobIdentifier"])
    lifecycle.request_stop(ctx, job, ("Submitted", "Validating", "Scheduled", "InProgress"), "Stopping")
    return Response.json({})


def _record_end(job: lifecycle.Job, status: str, messages: list[str]) -> None:
    now = lifecycle.now_iso()
    if status == "Completed" and job.fields.get("errorRecordCount"):
        status = "PartiallyCompleted"
    job.fields.update(status=status, lastModifiedTime=now, endTime=now)
    if messages:
        job.fields["message"] = "; ".join(messages)[:2048]


_OUTCOMES = lifecycle.Outcomes("Completed", "Failed", "Stopped", _record_end)


def _read_inputs(ctx: EmulatorContext, uri: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """(object name, records) for the input object, or for each ``.jsonl`` object under the input prefix."""
    bucket, key = lifecycle.parse_s3_uri(uri)
    s3 = ctx.s3()
    try:
        if key and not key.endswith("/"):
            keys = [key]
            s3.head_object(Bucket=bucket, Key=key)
        else:
            listing = s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
            keys = sorted(o["Key"] for o in listing if o["Key"].endswith(".jsonl"))
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        raise AwsError(400, "ValidationException", f"Cannot read the input data at {uri}: {code}") from None
    inputs = []
    for name in keys:
        text = s3.get_object(Bucket=bucket, Key=name)["Body"].read().decode("utf-8", errors="replace")
        records = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise AwsError(400, "ValidationException", f"{name} line {number} is not valid JSON.") from None
            if not isinstance(record, dict) or not isinstance(record.get("modelInput"), dict):
                raise AwsError(400, "ValidationException", f"{name} line {number} has no modelInput object.")
            records.append(record)
        inputs.append((name.rsplit("/", 1)[-1], records))
    return inputs


def _run(ctx: EmulatorContext, job: lifecycle.Job, job_id: str, inputs: list[tuple[str, list[dict[str, Any]]]]) -> None:
    with ctx.lock:
        job.fields.update(status="InProgress", lastModifiedTime=lifecycle.now_iso())
    fields = job.fields
    bucket, prefix = lifecycle.parse_s3_uri(fields["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"])
    base = "/".join(p for p in (prefix.strip("/"), job_id) if p)
    counts = {"processed": 0, "success": 0, "error": 0, "input_tokens": 0, "output_tokens": 0}
    outputs = []
    for name, records in inputs:
        lines = []
        for index, record in enumerate(records):
            job.check_stop()
            record_id = record.get("recordId") or f"{index + 1:011d}"
            line = {"recordId": record_id, "modelInput": record["modelInput"]}
            try:
                output, input_tokens, output_tokens = _answer(ctx, fields, record["modelInput"])
                line["modelOutput"] = output
                counts["success"] += 1
                counts["input_tokens"] += input_tokens
                counts["output_tokens"] += output_tokens
            except AwsError as error:
                line["error"] = {"errorCode": error.status, "errorMessage": f"{error.error_type}: {error.message}"}
                counts["error"] += 1
            counts["processed"] += 1
            lines.append(json.dumps(line))
        outputs.append((f"{base}/{name}.out", ("\n".join(lines) + "\n").encode()))
    manifest = {
        "totalRecordCount": fields["totalRecordCount"],
        "processedRecordCount": counts["processed"],
        "successRecordCount": counts["success"],
        "errorRecordCount": counts["error"],
        "inputTokenCount": counts["input_tokens"],
        "outputTokenCount": counts["output_tokens"],
    }
    outputs.append((f"{base}/manifest.json.out", json.dumps(manifest).encode()))
    job.check_stop()
    s3 = ctx.s3()
    try:
        for key, data in outputs:
            s3.put_object(Bucket=bucket, Key=key, Body=data)
    except Exception as exc:
        raise lifecycle.JobFailure(f"Cannot write the output to s3://{bucket}/{base}: {exc}") from None
    with ctx.lock:
        fields.update(
            processedRecordCount=counts["processed"],
            successRecordCount=counts["success"],
            errorRecordCount=counts["error"],
        )


def _answer(
    ctx: EmulatorContext, fields: dict[str, Any], model_input: dict[str, Any]
) -> tuple[dict[str, Any], int, int]:
    resolved = ctx.world.resolve_model(fields["modelId"])
    if resolved is None:
        raise AwsError(400, "ValidationException", f"The model {fields['modelId']} is no longer available.")
    model_id, spec = resolved
    fault = ctx.faults.decide(RECORD_OPERATION, fields["modelId"]).error("bedrock-runtime")
    if fault is not None:
        raise fault
    if fields["modelInvocationType"] == "Converse":
        answer = ctx.answer(model_id, model_input.get("messages") or [], _system_text(model_input.get("system")))
        usage = {
            "inputTokens": answer.input_tokens,
            "outputTokens": answer.output_tokens,
            "totalTokens": answer.input_tokens + answer.output_tokens,
        }
        message = {"role": "assistant", "content": [{"text": answer.text}]}
        output = {"output": {"message": message}, "stopReason": answer.stop_reason, "usage": usage}
        return output, answer.input_tokens, answer.output_tokens
    if spec.api is None or spec.api == "titan-embed":
        raise AwsError(400, "ValidationException", f"The emulator does not run batch inference for {model_id}.")
    request = invoke_bodies.parse(spec.api, model_id, model_input)
    answer = ctx.answer(model_id, request.messages, request.system, request.tool_config)
    return invoke_bodies.render(spec.api, model_id, request, answer), answer.input_tokens, answer.output_tokens


def _system_text(system: Any) -> str | None:
    if not system:
        return None
    return "\n".join(block.get("text", "") for block in system if isinstance(block, dict))


def _job(ctx: EmulatorContext, identifier: str) -> lifecycle.Job:
    with ctx.lock:
        jobs = ctx.state(_JOBS)
        # ModelInvocationJobIdentifier (botocore's bedrock model): the job's ARN or the 12-character id that ends it,
        # never its name (request_validation refuses what the pattern does not allow).
        job = jobs.get(identifier) or next((j for j in jobs.values() if j.arn.endswith(f"/{identifier}")), None)
    if job is None:
        raise AwsError(404, "ResourceNotFoundException", f"The model invocation job {identifier} was not found.")
    return job


ROUTES: list[Route] = [
    route("CreateModelInvocationJob", "bedrock", "POST", "/model-invocation-job", create_model_invocation_job),
    route("GetModelInvocationJob", "bedrock", "GET", "/model-invocation-job/{jobIdentifier}", get_model_invocation_job),
    route("ListModelInvocationJobs", "bedrock", "GET", "/model-invocation-jobs", list_model_invocation_jobs),
    route(
        "StopModelInvocationJob",
        "bedrock",
        "POST",
        "/model-invocation-job/{jobIdentifier}/stop",
        stop_model_invocation_job,
    ),
]
