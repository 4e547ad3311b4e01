"""The contract: every response and event the emulator produces, for each operation it serves and each fault kind,
passes botocore's output shapes (``tests/emulator/contract.py``), checked on the raw bytes boto3 and a plain HTTP
client receive."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from evalcore_emulator import Emulator, World
from evalcore_emulator.faults import ERRORS, declares
from evalcore_emulator.server import ROUTES
from evalcore_emulator.world import load_world
from tests.emulator.contract import violations

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
USER = {"role": "user", "content": [{"text": "What is the capital of France?"}]}
ANTHROPIC = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 50,
    "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
}
ROLE = "arn:aws:iam::123456789012:role/Bedrock"
KB = "KBCLAIMS01"
KB_MODEL = f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"
TOOLS = {"tools": [{"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object"}}}}]}


class Recorder:
    """Every raw response boto3 receives from the emulator's clients, before botocore parses it."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.seen: list[tuple[str, str, int, dict[str, str], bytes]] = []
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            client = self.emulator.client(service, retries={"max_attempts": 1})
            if service != "s3":
                client.meta.events.register("before-parse", self._record(service))
            self._clients[service] = client
        return self._clients[service]

    def _record(self, service: str) -> Any:
        def hook(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
            body = response_dict["body"]
            if not isinstance(body, bytes):  # a streamed payload (InvokeModel's body): read it here, unused later
                body = body.read()
            headers = dict(response_dict["headers"])
            self.seen.append((service, operation_model.name, response_dict["status_code"], headers, body))

        return hook


def _raw(emulator: Emulator, path: str, body: Any, method: str = "POST") -> tuple[int, dict[str, str], bytes]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(emulator.endpoint + path, data=data if method == "POST" else None, method=method)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _fast_world(*faults: dict[str, Any]) -> World:
    world = load_world().model_copy(deep=True)
    world.jobs = world.jobs.model_copy(update={"duration_seconds": 0.05, "batch_min_records": 1})
    world.faults = [World.model_validate({"faults": [f]}).faults[0] for f in faults]
    return world


def _drive_boto3(recorder: Recorder) -> None:
    runtime, agent_rt, bedrock, s3 = (
        recorder.client(s) for s in ("bedrock-runtime", "bedrock-agent-runtime", "bedrock", "s3")
    )
    runtime.converse(modelId=HAIKU, messages=[USER])
    runtime.converse(modelId=HAIKU, messages=[USER], toolConfig={**TOOLS, "toolChoice": {"tool": {"name": "lookup"}}})
    runtime.converse(
        modelId=HAIKU,
        messages=[USER],
        guardrailConfig={"guardrailIdentifier": "grdemo", "guardrailVersion": "DRAFT", "trace": "enabled_full"},
        additionalModelResponseFieldPaths=["/stop_sequence"],
    )
    for model, body in [
        (HAIKU, ANTHROPIC),
        ("amazon.titan-text-express-v1", {"inputText": "Hi"}),
        ("amazon.titan-embed-text-v2:0", {"inputText": "Hi"}),
        ("meta.llama3-8b-instruct-v1:0", {"prompt": "Hi"}),
    ]:
        if model in recorder.emulator.world.models:
            runtime.invoke_model(modelId=model, body=json.dumps(body))
    runtime.count_tokens(modelId=HAIKU, input={"converse": {"messages": [USER]}})
    for source in ("INPUT", "OUTPUT"):
        runtime.apply_guardrail(
            guardrailIdentifier="grdemo",
            guardrailVersion="DRAFT",
            source=source,
            content=[{"text": {"text": "My SSN is 123-45-6789"}}],
            outputScope="FULL",
        )
    agent_rt.retrieve(knowledgeBaseId=KB, retrievalQuery={"text": "claims deductible"})
    agentcore = recorder.client("bedrock-agentcore")
    runtime_arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/claims_agent-Rt0123abcd"
    invocation = {"agentRuntimeArn": runtime_arn, "runtimeSessionId": "contract-" + "0" * 30}
    agentcore.invoke_agent_runtime(**invocation, payload=b'{"prompt": "open claims"}')  # the recorder reads its body
    unrecorded = recorder.emulator.client("bedrock-agentcore").invoke_agent_runtime(
        **invocation, payload=b'{"prompt": "hi"}'
    )
    spans = json.loads(unrecorded["response"].read())["spans"]
    with pytest.raises(ClientError):
        agentcore.invoke_agent_runtime(agentRuntimeArn=runtime_arn, qualifier="nope", payload=b"{}")
    reference = {"context": {"spanContext": {"sessionId": "contract-" + "0" * 30}}, "assertions": [{"text": "claims"}]}
    for evaluator in ("Builtin.Helpfulness", "Builtin.ToolSelectionAccuracy"):  # the second: an errorCode result
        agentcore.evaluate(
            evaluatorId=evaluator, evaluationInput={"sessionSpans": spans}, evaluationReferenceInputs=[reference]
        )
    batch_evaluation = {
        "evaluators": [{"evaluatorId": "Builtin.Helpfulness"}, {"evaluatorId": "Builtin.ToolSelectionAccuracy"}],
        "dataSourceConfig": {"cloudWatchLogs": {"serviceNames": ["claims_agent.prod"], "logGroupNames": ["/c"]}},
        "datasetExecutionConfig": {
            "dataset": {"datasetId": "claims-scenarios"},
            "agentInvocation": {
                "agentCoreRuntime": {"agentRuntimeEndpointArn": f"{runtime_arn}/runtime-endpoint/prod"}
            },
        },
    }
    stopped = agentcore.start_batch_evaluation(batchEvaluationName="contract_stop", **batch_evaluation)
    agentcore.stop_batch_evaluation(batchEvaluationId=stopped["batchEvaluationId"])
    scored = agentcore.start_batch_evaluation(batchEvaluationName="contract_done", **batch_evaluation)
    deadline = time.monotonic() + 10
    while agentcore.get_batch_evaluation(batchEvaluationId=scored["batchEvaluationId"])["status"] == "IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    agentcore.list_batch_evaluations()
    agentcore.delete_batch_evaluation(batchEvaluationId=scored["batchEvaluationId"])
    agent_rt.retrieve_and_generate(
        input={"text": "How do I file a claim?"},
        retrieveAndGenerateConfiguration={
            "type": "KNOWLEDGE_BASE",
            "knowledgeBaseConfiguration": {"knowledgeBaseId": KB, "modelArn": KB_MODEL},
        },
    )
    bedrock.list_foundation_models()
    bedrock.get_foundation_model(modelIdentifier=HAIKU)

    bucket = f"contract-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="eval/qa.jsonl", Body=json.dumps({"prompt": "Hi", "referenceResponse": "Hello"}))
    s3.put_object(Bucket=bucket, Key="batch/in.jsonl", Body=json.dumps({"recordId": "r1", "modelInput": ANTHROPIC}))
    evaluation = bedrock.create_evaluation_job(
        jobName=f"contract-{uuid.uuid4().hex[:8]}",
        roleArn=ROLE,
        evaluationConfig={
            "automated": {
                "datasetMetricConfigs": [
                    {
                        "taskType": "QuestionAndAnswer",
                        "dataset": {"name": "qa", "datasetLocation": {"s3Uri": f"s3://{bucket}/eval/qa.jsonl"}},
                        "metricNames": ["Builtin.Accuracy"],
                    }
                ]
            }
        },
        inferenceConfig={"models": [{"bedrockModel": {"modelIdentifier": HAIKU, "inferenceParams": "{}"}}]},
        outputDataConfig={"s3Uri": f"s3://{bucket}/eval-out/"},
    )["jobArn"]
    batch = bedrock.create_model_invocation_job(
        jobName=f"contract-{uuid.uuid4().hex[:8]}",
        roleArn=ROLE,
        modelId=HAIKU,
        inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{bucket}/batch/in.jsonl"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}/batch-out/"}},
    )["jobArn"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done_eval = bedrock.get_evaluation_job(jobIdentifier=evaluation)["status"] != "InProgress"
        done_batch = bedrock.get_model_invocation_job(jobIdentifier=batch)["status"] not in (
            "Submitted",
            "InProgress",
            "Validating",
            "Scheduled",
        )
        if done_eval and done_batch:
            break
        time.sleep(0.05)
    bedrock.list_evaluation_jobs()
    bedrock.list_model_invocation_jobs()
    with pytest.raises(ClientError):
        bedrock.stop_evaluation_job(jobIdentifier=evaluation)  # finished: a ConflictException or similar
    bedrock.batch_delete_evaluation_job(jobIdentifiers=[evaluation])
    with pytest.raises(ClientError):
        bedrock.stop_model_invocation_job(jobIdentifier=batch)


def _drive_streams(emulator: Emulator) -> list[tuple[str, str, int, dict[str, str], bytes]]:
    seen = []
    calls = [
        ("bedrock-runtime", "ConverseStream", f"/model/{HAIKU}/converse-stream", {"messages": [USER]}),
        (
            "bedrock-runtime",
            "ConverseStream",
            f"/model/{HAIKU}/converse-stream",
            {"messages": [USER], "toolConfig": {**TOOLS, "toolChoice": {"tool": {"name": "lookup"}}}},
        ),
        ("bedrock-runtime", "InvokeModelWithResponseStream", f"/model/{HAIKU}/invoke-with-response-stream", ANTHROPIC),
        (
            "bedrock-agent-runtime",
            "InvokeAgent",
            "/agents/CLAIMAGENT/agentAliases/TSTALIASID/sessions/contract/text",
            {"inputText": "What are the open claims?", "enableTrace": True},
        ),
    ]
    for service, operation, path, body in calls:
        seen.append((service, operation, *_raw(emulator, path, body)))
    return seen


def test_every_response_of_every_operation_passes_botocores_output_shapes(emulator: Emulator) -> None:
    emulator.set_world(_fast_world())
    recorder = Recorder(emulator)

    _drive_boto3(recorder)
    seen = recorder.seen + _drive_streams(emulator)

    served = {route.operation for route in ROUTES}
    assert served <= {operation for _, operation, *_ in seen}, "an operation the emulator serves was not driven"
    problems = [
        p for service, op, status, headers, body in seen for p in violations(service, op, status, headers, body)
    ]
    assert problems == []


@pytest.mark.parametrize("kind", sorted(ERRORS))
@pytest.mark.parametrize(
    ("service", "operation", "path", "body"),
    [
        ("bedrock-runtime", "Converse", f"/model/{HAIKU}/converse", {"messages": [USER]}),
        ("bedrock-runtime", "InvokeModel", f"/model/{HAIKU}/invoke", ANTHROPIC),
        ("bedrock-agent-runtime", "Retrieve", f"/knowledgebases/{KB}/retrieve", {"retrievalQuery": {"text": "x"}}),
        (
            "bedrock-agent-runtime",
            "InvokeAgent",
            "/agents/CLAIMAGENT/agentAliases/TSTALIASID/sessions/fault-session/text",
            {"inputText": "hi"},
        ),
        ("bedrock", "ListFoundationModels", "/foundation-models", None),
    ],
)
def test_every_fault_kind_is_an_error_the_operation_declares_or_does_not_fire(
    emulator: Emulator, kind: str, service: str, operation: str, path: str, body: Any
) -> None:
    emulator.set_world(_fast_world({"kind": kind, "operation": operation}))

    status, headers, raw = _raw(emulator, path, body, "GET" if body is None else "POST")

    if declares(operation, ERRORS[kind][1]):
        assert headers["x-amzn-ErrorType"] == ERRORS[kind][1]
    else:  # AWS cannot answer this operation with that exception: the fault does not fire
        assert status == 200
    assert violations(service, operation, status, headers, raw) == []


@pytest.mark.parametrize(
    ("service", "operation", "path", "body"),
    [
        ("bedrock-runtime", "ConverseStream", f"/model/{HAIKU}/converse-stream", {"messages": [USER]}),
        ("bedrock-runtime", "InvokeModelWithResponseStream", f"/model/{HAIKU}/invoke-with-response-stream", ANTHROPIC),
        (
            "bedrock-agent-runtime",
            "InvokeAgent",
            "/agents/CLAIMAGENT/agentAliases/TSTALIASID/sessions/fault-session/text",
            {"inputText": "What are the open claims?"},
        ),
    ],
)
def test_a_stream_throttle_is_an_exception_event_the_stream_declares(
    emulator: Emulator, service: str, operation: str, path: str, body: Any
) -> None:
    emulator.set_world(_fast_world({"kind": "stream_throttle", "operation": operation}))

    status, headers, raw = _raw(emulator, path, body)

    assert b"throttlingException" in raw
    assert violations(service, operation, status, headers, raw) == []


def test_validation_errors_are_the_declared_exception(emulator: Emulator) -> None:
    body = {"messages": [USER], "inferenceConfig": {"maxTokens": 0}}

    status, headers, raw = _raw(emulator, f"/model/{HAIKU}/converse", body)

    assert status == 400
    assert violations("bedrock-runtime", "Converse", status, headers, raw) == []


def test_a_count_tokens_invoke_body_round_trips(emulator: Emulator) -> None:
    body = {"input": {"invokeModel": {"body": base64.b64encode(json.dumps(ANTHROPIC).encode()).decode()}}}

    status, headers, raw = _raw(emulator, f"/model/{HAIKU}/count-tokens", body)

    assert violations("bedrock-runtime", "CountTokens", status, headers, raw) == []
