"""InvokeAgentRuntime on a runtime that hosts an MCP server, through boto3 with the MCP headers of botocore's model
(mcpSessionId, mcpProtocolVersion, mcpMethod, mcpName): JSON-RPC 2.0 in the payload, the Mcp-Session-Id given at
initialize kept, tools listed and called with their scripted results, errors as JSON-RPC errors."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from evalcore_emulator import Emulator

ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/claims_tools-Mc0123abcd"


def _rpc(emulator: Emulator, method: str, params: dict[str, Any] | None = None, **headers: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        message["params"] = params
    return emulator.client("bedrock-agentcore").invoke_agent_runtime(
        agentRuntimeArn=ARN,
        runtimeSessionId=str(uuid.uuid4()),
        contentType="application/json",
        accept="application/json, text/event-stream",
        mcpMethod=method,
        payload=json.dumps(message).encode(),
        **headers,
    )


def _initialize(emulator: Emulator) -> str:
    response = _rpc(emulator, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {}})
    body = json.loads(response["response"].read())
    assert body["result"]["protocolVersion"] == "2025-06-18"
    assert "tools" in body["result"]["capabilities"]
    assert response["mcpSessionId"]
    return str(response["mcpSessionId"])


def test_an_mcp_session_lists_and_calls_tools_with_the_session_id_given_at_initialize(emulator: Emulator) -> None:
    session = _initialize(emulator)
    version = {"mcpSessionId": session, "mcpProtocolVersion": "2025-06-18"}

    listed = json.loads(_rpc(emulator, "tools/list", {}, **version)["response"].read())
    called = _rpc(
        emulator,
        "tools/call",
        {"name": "get_claim_status", "arguments": {"claimId": "claim-006"}},
        mcpName="get_claim_status",
        **version,
    )
    result = json.loads(called["response"].read())["result"]

    assert "get_claim_status" in [t["name"] for t in listed["result"]["tools"]]
    assert called["mcpSessionId"] == session
    assert result["isError"] is False and result["structuredContent"]["status"] == "open"
    assert result["content"][0]["type"] == "text" and "police report" in result["content"][0]["text"]
    seen = emulator.requests("InvokeAgentRuntime")[-1].mcp or {}
    assert (seen["mcp-method"], seen["mcp-name"], seen["mcp-session-id"]) == ("tools/call", "get_claim_status", session)


def test_an_unknown_session_or_tool_or_a_missing_argument_is_a_json_rpc_error(emulator: Emulator) -> None:
    session = _initialize(emulator)

    unknown_tool = _rpc(emulator, "tools/call", {"name": "nope", "arguments": {}}, mcpSessionId=session)
    no_argument = _rpc(emulator, "tools/call", {"name": "get_claim_status", "arguments": {}}, mcpSessionId=session)

    assert json.loads(unknown_tool["response"].read())["error"]["code"] == -32602
    assert json.loads(no_argument["response"].read())["error"]["code"] == -32602
    with pytest.raises(ClientError) as raised:
        _rpc(emulator, "tools/list", {}, mcpSessionId="not-a-session-of-this-runtime")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_a_notification_is_accepted_without_a_body(emulator: Emulator) -> None:
    session = _initialize(emulator)
    client = emulator.client("bedrock-agentcore")

    response = client.invoke_agent_runtime(
        agentRuntimeArn=ARN,
        mcpSessionId=session,
        mcpMethod="notifications/initialized",
        payload=json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode(),
    )

    assert response["statusCode"] == 202 and response["response"].read() == b""


def test_an_mcp_method_header_that_disagrees_with_the_payload_is_refused(emulator: Emulator) -> None:
    session = _initialize(emulator)

    with pytest.raises(ClientError) as raised:
        emulator.client("bedrock-agentcore").invoke_agent_runtime(
            agentRuntimeArn=ARN,
            mcpSessionId=session,
            mcpMethod="tools/call",
            payload=json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).encode(),
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"
