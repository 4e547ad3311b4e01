"""InvokeAgentRuntime on a runtime that hosts an MCP server (world ``agentcore_runtimes.<id>.mcp``).

AWS's MCP protocol contract for AgentCore Runtime
(https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-mcp-protocol-contract.html): the payload is
passed to the server's streamable-HTTP ``/mcp`` as it is, answers are JSON-RPC as ``application/json`` or
``text/event-stream``, and the platform gives an ``Mcp-Session-Id`` to a request without one, which the client
sends with every later request (botocore's bedrock-agentcore model: the ``mcpSessionId``, ``mcpProtocolVersion``,
``mcpMethod`` and ``mcpName`` request members and the ``mcpSessionId`` response member are those headers).

This server is stateful: ``initialize`` opens a session (the Mcp-Session-Id header given, or a new one) and answers
the client's protocol version when it is one of the world's, else the world's first; a request naming a session
this runtime never opened answers 404 (the MCP Streamable HTTP transport's rule for an unknown session); a request
without one is served statelessly. A notification (no ``id``) answers 202 with no body. ``tools/list`` lists the
world's tools; ``tools/call`` answers the first scripted result whose ``arguments`` equal the call's, as a
CallToolResult (one text content item, ``structuredContent``, ``isError``); an unknown tool or a missing required
argument is JSON-RPC error -32602, an unknown method -32601, a message that is not JSON-RPC 2.0 -32600
(https://modelcontextprotocol.io/specification/2025-06-18/server/tools#error-handling).

Assumed, as AWS does not document it: an ``Mcp-Method`` header that names another method than the payload's is a
ValidationException.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from evalcore_emulator.agent_world import McpServerSpec, McpToolSpec
from evalcore_emulator.protocol import AwsError, EmulatorContext, Request, Response

SESSION_HEADER = "Mcp-Session-Id"
_NOT_FOUND = "The specified resource does not exist."


def serve(ctx: EmulatorContext, req: Request, runtime: str, server: McpServerSpec) -> Response:
    message = req.json()
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" or not isinstance(message.get("method"), str):
        return _answer(req, server, _error(None, -32600, "Invalid Request: not a JSON-RPC 2.0 request"), "")
    method = message["method"]
    header_method = req.headers.get("mcp-method")
    if header_method is not None and header_method != method:
        raise AwsError(400, "ValidationException", f"Mcp-Method {header_method} is not the payload's method {method}")
    given = req.headers.get(SESSION_HEADER.lower())
    sessions = ctx.state("agentcore_mcp_sessions")
    with ctx.lock:
        if method == "initialize":
            session_id = given or str(uuid.uuid4())
            sessions[f"{runtime}/{session_id}"] = True
        elif given is not None and f"{runtime}/{given}" not in sessions:
            raise AwsError(404, "ResourceNotFoundException", _NOT_FOUND)
        else:
            session_id = given or str(uuid.uuid4())
    if "id" not in message:  # a notification
        return Response(202, {SESSION_HEADER: session_id})
    params = _object(message.get("params"))
    return _answer(req, server, _respond(server, runtime, message["id"], method, params), session_id)


def _respond(
    server: McpServerSpec, runtime: str, request_id: Any, method: str, params: dict[str, Any]
) -> dict[str, Any]:
    if method == "initialize":
        asked = params.get("protocolVersion")
        version = asked if asked in server.protocol_versions else server.protocol_versions[0]
        info = {"name": runtime, "version": "1.0.0"}
        return _result(request_id, {"protocolVersion": version, "capabilities": {"tools": {}}, "serverInfo": info})
    if method == "tools/list":
        return _result(request_id, {"tools": [_describe(name, tool) for name, tool in server.tools.items()]})
    if method == "tools/call":
        return _call(server, request_id, params)
    return _error(request_id, -32601, f"Method not found: {method}")


def _call(server: McpServerSpec, request_id: Any, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("name")
    tool = server.tools.get(name) if isinstance(name, str) else None
    if tool is None:
        return _error(request_id, -32602, f"Unknown tool: {name}")
    arguments = _object(params.get("arguments"))
    missing = [a for a in tool.required if a not in arguments]
    if missing:
        return _error(request_id, -32602, f"Invalid params: missing required argument {', '.join(missing)}")
    scripted = next((r for r in tool.results if all(arguments.get(k) == v for k, v in r.arguments.items())), None)
    if scripted is None:
        return _error(request_id, -32603, f"Internal error: no scripted result of {name} for these arguments")
    if scripted.malformed:
        return {"jsonrpc": "2.0", "id": request_id}
    result: dict[str, Any] = {"content": [{"type": "text", "text": scripted.text}], "isError": scripted.is_error}
    if scripted.structured is not None:
        result["structuredContent"] = scripted.structured
    return _result(request_id, result)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _describe(name: str, tool: McpToolSpec) -> dict[str, Any]:
    schema = {"type": "object", "properties": {a: {} for a in tool.required}, "required": list(tool.required)}
    return {"name": name, "description": tool.description, "inputSchema": schema}


def _result(request_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _answer(req: Request, server: McpServerSpec, message: dict[str, Any], session_id: str) -> Response:
    headers = {SESSION_HEADER: session_id} if session_id else {}
    if server.event_stream and "text/event-stream" in req.headers.get("accept", ""):
        headers["Content-Type"] = "text/event-stream"
        return Response(200, headers, f"event: message\ndata: {json.dumps(message)}\n\n".encode())
    return Response.json(message, headers=headers)
