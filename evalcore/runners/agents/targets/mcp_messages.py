"""MCP's JSON-RPC 2.0 messages over InvokeAgentRuntime: building a request and reading the answer to it.

AWS's "MCP protocol contract" for AgentCore Runtime
(https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-mcp-protocol-contract.html): the runtime
passes the InvokeAgentRuntime payload through to the server's `/mcp` (streamable HTTP) unchanged, and the answer is
JSON-RPC "supporting both application/json and text/event-stream as response content-types". The MCP specification's
Streamable HTTP transport (https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#streamable-http)
says how: a JSON answer is the one response message; an event stream carries JSON-RPC messages in its events (the
server's own requests and notifications may come before the response); a notification is answered 202 with no body.
Messages follow JSON-RPC 2.0 (https://www.jsonrpc.org/specification): a response has the request's `id` and either
`result` or `error` (`code`, `message`).

What cannot be read as that is a protocol failure (McpProtocolError: the test is an `error`); a JSON-RPC `error`
is the server's answer (McpError: the test fails unless it expects an error).
"""

from __future__ import annotations

import json
from typing import Any

EVENT_STREAM = "text/event-stream"
# The MCP spec's Streamable HTTP transport: "The client MUST include an Accept header, listing both
# application/json and text/event-stream as supported content types."
ACCEPT = "application/json, text/event-stream"


class McpProtocolError(Exception):
    """The answer is not a JSON-RPC response to the request (not JSON, no result nor error, another id...)."""


class McpError(Exception):
    """The server answered the request with a JSON-RPC error."""

    def __init__(self, code: Any, message: Any) -> None:
        super().__init__(f"JSON-RPC error {code}: {message}")
        self.code = code


def request(request_id: int, method: str, params: dict[str, Any]) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}).encode()


def notification(method: str) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "method": method}).encode()


def result(response: dict[str, Any], request_id: int) -> dict[str, Any]:
    """The `result` of the JSON-RPC response to `request_id` in an InvokeAgentRuntime response."""
    body = response["response"]
    content_type = response.get("contentType") or ""
    messages = _events(body.iter_lines()) if EVENT_STREAM in content_type else [_json(body.read(), content_type)]
    flat = [m for item in messages for m in (item if isinstance(item, list) else [item])]  # a JSON-RPC batch too
    answer = next((m for m in flat if isinstance(m, dict) and m.get("id") == request_id and "method" not in m), None)
    if answer is None:
        raise McpProtocolError(f"the server's answer holds no JSON-RPC response to request {request_id}")
    if answer.get("jsonrpc") != "2.0":
        raise McpProtocolError(f"the server's answer is not JSON-RPC 2.0 (jsonrpc: {answer.get('jsonrpc')!r})")
    if isinstance(answer.get("error"), dict):
        raise McpError(answer["error"].get("code"), answer["error"].get("message"))
    if not isinstance(answer.get("result"), dict):
        raise McpProtocolError(f"the server's response to request {request_id} has neither a result nor an error")
    value: dict[str, Any] = answer["result"]
    return value


def _json(raw: bytes, content_type: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise McpProtocolError(
            f"the server answered {content_type or 'without a content type'} that is not JSON: {raw[:200]!r}"
        ) from None


def _events(lines: Any) -> list[Any]:
    """The JSON of each event's data (its `data:` lines joined by newlines, as Server-Sent Events define)."""
    messages: list[Any] = []
    data: list[str] = []
    for raw in [*lines, b""]:
        line = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        if line.startswith("data:"):
            data.append(line[len("data:") :].removeprefix(" "))
        elif not line and data:
            messages.append(_json("\n".join(data).encode(), EVENT_STREAM))
            data = []
    return messages
