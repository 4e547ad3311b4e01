"""InvokeAgentRuntime through boto3 over HTTP: JSON and Server-Sent Events answers, sessions kept per
runtimeSessionId, tool calls as OpenTelemetry spans in the caller's trace, and botocore's model enforced."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from evalcore_emulator import Emulator
from evalcore_emulator.world import WorldError, parse_world

ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/claims_agent-Rt0123abcd"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def _invoke(emulator: Emulator, prompt: str, session: str, **extra: Any) -> dict[str, Any]:
    client = emulator.client("bedrock-agentcore")
    payload = json.dumps({"prompt": prompt}).encode()
    return client.invoke_agent_runtime(agentRuntimeArn=ARN, runtimeSessionId=session, payload=payload, **extra)


def test_a_session_keeps_the_users_messages_and_tool_calls_are_spans_in_the_callers_trace(emulator: Emulator) -> None:
    session = str(uuid.uuid4())
    asked = json.loads(_invoke(emulator, "Which documents are missing?", session)["response"].read())
    response = _invoke(emulator, "It is claim-006.", session, traceParent=f"00-{TRACE}-00f067aa0ba902b7-01")
    answer = json.loads(response["response"].read())

    assert asked["response"] == "Which claim should I check, what is its claim ID?"
    assert response["contentType"] == "application/json" and response["runtimeSessionId"] == session
    assert "missing for claim-006" in answer["response"]
    root, tool = answer["spans"]
    assert {root["traceId"], tool["traceId"]} == {TRACE} and tool["parentSpanId"] == root["spanId"]
    assert tool["attributes"]["gen_ai.operation.name"] == "execute_tool"
    assert tool["attributes"]["gen_ai.tool.name"] == "/claims/{claimId}/identify-missing-documents"
    assert json.loads(tool["attributes"]["gen_ai.tool.call.arguments"]) == {"claimId": "claim-006"}
    # Another session has not seen the first question: the claim id alone matches no intent there.
    other = json.loads(_invoke(emulator, "It is claim-006.", str(uuid.uuid4()))["response"].read())
    assert other["response"] == "Sorry, I can only help with insurance claims."


def test_accept_event_stream_answers_server_sent_events_with_the_spans_last(emulator: Emulator) -> None:
    prompt = "Please list of claims that are open."
    response = _invoke(emulator, prompt, str(uuid.uuid4()), accept="text/event-stream", qualifier="prod")

    data = [json.loads(line[6:]) for line in response["response"].iter_lines() if line.startswith(b"data: ")]

    assert response["contentType"] == "text/event-stream"
    assert "".join(d for d in data if isinstance(d, str)).startswith("There are three open claims")
    assert [s["attributes"].get("gen_ai.tool.name") for s in data[-1]["spans"]] == [None, "/claims"]


def test_an_unknown_endpoint_or_runtime_is_not_found(emulator: Emulator) -> None:
    with pytest.raises(ClientError) as endpoint:
        _invoke(emulator, "hello", str(uuid.uuid4()), qualifier="staging")
    client = emulator.client("bedrock-agentcore")
    with pytest.raises(ClientError) as runtime:
        client.invoke_agent_runtime(agentRuntimeArn="other-Rt0123abcd", accountId="123456789012", payload=b"{}")

    assert endpoint.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert runtime.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_session_id_shorter_than_botocores_minimum_is_a_validation_exception(emulator: Emulator) -> None:
    # botocore refuses it before sending (SessionType: min 33); a client that does not validate meets AWS's answer.
    url = f"{emulator.endpoint}/runtimes/{requests.utils.quote(ARN, safe='')}/invocations"
    headers = {"X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": "short", "Content-Type": "application/json"}

    answer = requests.post(url, data=b'{"prompt": "hello"}', headers=headers, timeout=10)

    assert answer.status_code == 400
    assert answer.headers["x-amzn-ErrorType"].startswith("ValidationException")


def test_a_runtime_running_an_agent_the_world_lacks_is_refused() -> None:
    with pytest.raises(WorldError, match="agentcore_runtimes r-1"):
        parse_world("agentcore_runtimes:\n  r-1: {agent: NOPE}\n")


def test_evaluate_scores_a_sessions_spans_against_its_reference_inputs(emulator: Emulator) -> None:
    session = str(uuid.uuid4())
    spans = json.loads(_invoke(emulator, "Show the open claims.", session)["response"].read())["spans"]
    client = emulator.client("bedrock-agentcore")
    reference = {
        "context": {"spanContext": {"sessionId": session}},
        "assertions": [{"text": "There are three open claims."}],
        "expectedTrajectory": {"toolNames": ["/claims"]},
    }

    def score(evaluator: str, references: list[dict[str, Any]]) -> dict[str, Any]:
        answer = client.evaluate(
            evaluatorId=evaluator,
            evaluationInput={"sessionSpans": spans},
            evaluationReferenceInputs=references,
        )
        result: dict[str, Any] = answer["evaluationResults"][0]
        return result

    trajectory = score("Builtin.ToolSelectionAccuracy", [reference])
    wrong = score("Builtin.ToolSelectionAccuracy", [{**reference, "expectedTrajectory": {"toolNames": ["/other"]}}])
    helpful = score("Builtin.Helpfulness", [reference])

    assert (trajectory["value"], wrong["value"]) == (1.0, 0.0)
    assert helpful["value"] == 1.0 and helpful["label"] == "Yes"
    assert helpful["context"] == {"spanContext": {"sessionId": session}}
    assert helpful["evaluatorArn"] == "arn:aws:bedrock-agentcore:::evaluator/Builtin.Helpfulness"
    with pytest.raises(ClientError) as custom:
        score("mine-0123456789", [reference])
    assert custom.value.response["Error"]["Code"] == "ResourceNotFoundException"
