"""agentcore-mcp: a tool of an MCP server hosted on Bedrock AgentCore Runtime, called with InvokeAgentRuntime.

Each test run is one MCP session (the MCP spec's lifecycle,
https://modelcontextprotocol.io/specification/2025-06-18/basic/lifecycle): `initialize` (the target's
`protocol_version`, no client capabilities), the `notifications/initialized` notification, then `tools/call` with
the test's tool name and arguments (https://modelcontextprotocol.io/specification/2025-06-18/server/tools).

Request members (botocore's bedrock-agentcore model, InvokeAgentRuntimeRequest; each a header): `mcpMethod`
(Mcp-Method: the JSON-RPC method), `mcpName` (Mcp-Name: for `tools/call` "the tool name"), `mcpSessionId`
(Mcp-Session-Id) and `mcpProtocolVersion` (Mcp-Protocol-Version). AWS's MCP protocol contract: "Clients must capture
the Mcp-Session-Id returned in the response and include it in all subsequent requests" (the response member
`mcpSessionId`); the platform makes one when a request has none, so `initialize` is sent without. After
`initialize`, Mcp-Protocol-Version is the version the server answered (the MCP Streamable HTTP transport's rule).
`runtimeSessionId` is a UUID4 per test run as for agentcore-runtime. Messages: mcp_messages.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ResponseStreamingError
from urllib3.exceptions import ProtocolError

from evalcore import __version__
from evalcore.runners.agents.targets import TargetEnv, call, mcp_messages, scheduled_attempts
from evalcore.runners.agents.targets.agentcore_runtime import invocation
from evalcore.runners.agents.targets.mcp_messages import McpProtocolError
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import AgentCoreMcpTarget

SERVICE = "bedrock-agentcore"


@dataclass
class ToolResult:
    """A `tools/call` result (a CallToolResult: `content`, optional `structuredContent`, `isError`)."""

    result: dict[str, Any]
    text: str  # the text of its `text` content items, joined by newlines
    is_error: bool
    attempts: int


class AgentCoreMcp:
    model_id: str | None = None

    def __init__(self, spec: AgentCoreMcpTarget, env: TargetEnv) -> None:
        self.spec = spec
        self.env = env
        self.client = env.client(SERVICE, spec)
        self.attempts = scheduled_attempts(SERVICE, spec.max_retry)
        self.arguments = invocation(spec, mcp_messages.ACCEPT)

    def session(self, test: AgentTest, repeat: int) -> McpSession:
        return McpSession(self)


class McpSession:
    def __init__(self, server: AgentCoreMcp) -> None:
        self.server = server
        self.runtime_session_id = str(uuid.uuid4())
        self.mcp_session_id: str | None = None
        self.protocol_version: str | None = None
        self.next_id = 0
        self.attempts = 0

    def call_tool(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """initialize, notifications/initialized, tools/call. Raises McpError (a JSON-RPC error), McpProtocolError,
        CallFailed."""
        spec = self.server.spec
        client_info = {"name": "evalcore", "version": __version__}
        init = self._request(
            "initialize", {"protocolVersion": spec.protocol_version, "capabilities": {}, "clientInfo": client_info}
        )
        version = init.get("protocolVersion")
        if not isinstance(version, str) or not version:
            raise McpProtocolError("the server's initialize result names no protocolVersion")
        self.protocol_version = version
        self._notify("notifications/initialized")
        result = self._request("tools/call", {"name": name, "arguments": arguments}, mcp_name=name)
        content = result.get("content")
        if not isinstance(content, list):
            raise McpProtocolError("the tools/call result has no `content` list")
        text = "\n".join(c["text"] for c in content if isinstance(c, dict) and isinstance(c.get("text"), str))
        return ToolResult(result, text, result.get("isError") is True, self.attempts)

    def _headers(self, method: str, mcp_name: str | None) -> dict[str, Any]:
        arguments = {**self.server.arguments, "runtimeSessionId": self.runtime_session_id, "mcpMethod": method}
        if self.mcp_session_id is not None:
            arguments["mcpSessionId"] = self.mcp_session_id
        if self.protocol_version is not None:
            arguments["mcpProtocolVersion"] = self.protocol_version
        if mcp_name is not None:
            arguments["mcpName"] = mcp_name
        return arguments

    def _request(self, method: str, params: dict[str, Any], mcp_name: str | None = None) -> dict[str, Any]:
        self.next_id += 1
        request_id = self.next_id
        arguments = {**self._headers(method, mcp_name), "payload": mcp_messages.request(request_id, method, params)}

        def invoke_and_read() -> tuple[dict[str, Any], dict[str, Any] | Exception]:
            response = self.server.client.invoke_agent_runtime(**arguments)
            try:
                return response, mcp_messages.result(response, request_id)
            except (ResponseStreamingError, ProtocolError, mcp_messages.McpError, McpProtocolError) as exc:
                return response, exc  # the server's answer, final: not the scheduler's to retry

        (response, answer), attempts = call(self.server.env, invoke_and_read, self.server.attempts)
        self.attempts += attempts
        if self.mcp_session_id is None and response.get("mcpSessionId"):
            self.mcp_session_id = str(response["mcpSessionId"])
        if isinstance(answer, ResponseStreamingError | ProtocolError):
            raise McpProtocolError(f"the server's answer to {method} was cut ({answer})")
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _notify(self, method: str) -> None:
        arguments = {**self._headers(method, None), "payload": mcp_messages.notification(method)}

        def invoke() -> dict[str, Any]:
            response: dict[str, Any] = self.server.client.invoke_agent_runtime(**arguments)
            response["response"].read()  # 202 and no body, per the transport; whatever came is not an answer
            return response

        _, attempts = call(self.server.env, invoke, self.server.attempts)
        self.attempts += attempts
