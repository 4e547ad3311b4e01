"""InvokeAgentRuntime: an agent on Bedrock AgentCore Runtime, scripted by a world agent's dialog.

The runtime (world ``agentcore_runtimes``, by runtime id) is named by its ARN, or by its id with ``accountId``;
``qualifier`` (default ``DEFAULT``) must be one of its endpoints. The JSON payload's ``prompt`` is the user's
message (the convention of AgentCore's starter samples: ``payload.get("prompt")``); a runtime whose world entry
is an ``mcp`` server answers MCP's JSON-RPC instead (agentcore_mcp). A session (``runtimeSessionId``) keeps the
user's messages, so a slot asked for in one turn is filled by the next. One turn: the agent's guardrail keywords
answer its blocked message; else the first intent whose keyword occurs (or the one waiting for a slot) asks for its missing slot or runs its actions as tool calls and answers its reply; else the
default reply. A failing intent answers RuntimeClientError (HTTP 424, botocore's bedrock-agentcore model).

The answer carries OpenTelemetry spans (one ``invoke_agent`` span, one ``execute_tool`` span per action, with the
GenAI semantic conventions' attributes), in the trace id of the request's W3C ``traceparent`` when it has one. With
``Accept: text/event-stream`` the answer is Server-Sent Events: the reply in pieces of five words (each ``data:`` a
JSON string), then one ``data:`` object holding the spans; otherwise one JSON document ``{"response", "spans"}``.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from evalcore_emulator import agentcore_mcp
from evalcore_emulator.agent_world import AgentSpec, Intent, fill
from evalcore_emulator.protocol import AwsError, EmulatorContext, Request, Response, StreamCut, route

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"  # botocore's model: runtimeSessionId's header
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_NOT_FOUND = "The specified resource does not exist."


@dataclass
class _Session:
    user_inputs: list[str] = field(default_factory=list)
    pending_intent: str | None = None


@dataclass
class _Turn:
    text: str = ""
    spans: list[dict[str, Any]] = field(default_factory=list)


def invoke_agent_runtime(ctx: EmulatorContext, req: Request) -> Response:
    runtime_id = _runtime_id(ctx, req)
    spec = ctx.world.agentcore_runtimes.get(runtime_id)
    qualifier = (req.query.get("qualifier") or ["DEFAULT"])[0]
    if spec is None or qualifier not in spec.qualifiers:
        raise AwsError(404, "ResourceNotFoundException", _NOT_FOUND)
    if spec.mcp is not None:
        return agentcore_mcp.serve(ctx, req, f"{runtime_id}/{qualifier}", spec.mcp)
    assert spec.agent is not None  # AgentCoreRuntimeSpec: an agent or an MCP server
    payload = req.json()
    prompt = payload.get("prompt") if isinstance(payload, dict) else None
    if not isinstance(prompt, str) or not prompt:
        raise AwsError(424, "RuntimeClientError", "The agent failed: its payload has no `prompt` text")
    session_id = req.headers.get(SESSION_HEADER.lower()) or str(uuid.uuid4())
    match = _TRACEPARENT.match(req.headers.get("traceparent", ""))
    trace_id = match.group(1) if match else secrets.token_hex(16)
    agent = ctx.world.agents[spec.agent]
    with ctx.lock:
        session = ctx.state("agentcore_sessions").setdefault(f"{runtime_id}/{qualifier}/{session_id}", _Session())
        session.user_inputs.append(prompt)
        turn = _respond(agent, session, prompt, trace_id, session_id)
    headers = {SESSION_HEADER: session_id}
    if "text/event-stream" not in req.headers.get("accept", ""):
        return Response.json({"response": turn.text, "spans": turn.spans}, headers=headers)
    headers["Content-Type"] = "text/event-stream"
    return Response(200, headers, stream=_events(turn, req.stream_fault))


def answer_once(agent: AgentSpec, prompt: str, session_id: str) -> tuple[str, list[dict[str, Any]]]:
    """One turn of a new session (a batch evaluation's dataset execution): the answer and its spans."""
    turn = _respond(agent, _Session([prompt]), prompt, secrets.token_hex(16), session_id)
    return turn.text, turn.spans


def _runtime_id(ctx: EmulatorContext, req: Request) -> str:
    named = req.path_params["agentRuntimeArn"]
    if named.startswith("arn:"):
        parts = named.split(":", 5)
        if len(parts) != 6 or parts[2] != "bedrock-agentcore" or not parts[5].startswith("runtime/"):
            raise AwsError(400, "ValidationException", f"Invalid agent runtime ARN: {named}")
        return parts[5].removeprefix("runtime/")
    account = next(iter(req.query.get("accountId", [])), None)
    if account is None:
        raise AwsError(400, "ValidationException", "accountId is required when agentRuntimeArn is a runtime id")
    if account != ctx.account_id:
        raise AwsError(404, "ResourceNotFoundException", _NOT_FOUND)
    return named


def _respond(agent: AgentSpec, session: _Session, prompt: str, trace_id: str, session_id: str) -> _Turn:
    turn = _Turn()
    root = _span(trace_id, None, f"invoke_agent {agent.name}", {"gen_ai.operation.name": "invoke_agent"})
    root["attributes"].update({"gen_ai.agent.name": agent.name, "gen_ai.prompt": prompt})
    lowered = prompt.lower()
    intent: Intent | None = None
    if agent.guardrail and any(k.lower() in lowered for k in agent.guardrail.blocked_keywords):
        session.pending_intent = None
        turn.text = agent.guardrail.blocked_message
    else:
        intent = next((i for i in agent.intents if any(k.lower() in lowered for k in i.keywords)), None)
        if intent is None and session.pending_intent:
            intent = next((i for i in agent.intents if i.name == session.pending_intent), None)
        turn.text = agent.default_reply if intent is None else _run(intent, session, turn, root)
    root["attributes"]["gen_ai.completion"] = turn.text
    turn.spans.insert(0, root)
    for span in turn.spans:  # every span names its session (`session.id`): how Evaluate here tells sessions apart
        span["attributes"]["session.id"] = session_id
    return turn


def _run(intent: Intent, session: _Session, turn: _Turn, root: dict[str, Any]) -> str:
    values = intent.slot_values(session.user_inputs)
    missing = next((s for s in intent.slots if s.name not in values), None)
    if missing is not None:
        session.pending_intent = intent.name
        return missing.question
    session.pending_intent = None
    for action in intent.actions:
        arguments = {k: fill(v, values) for k, v in {**action.parameters, **action.request_body}.items()}
        name = action.function or action.api_path or ""
        span = _span(root["traceId"], root["spanId"], f"execute_tool {name}", {"gen_ai.operation.name": "execute_tool"})
        span["attributes"].update({"gen_ai.tool.name": name, "gen_ai.tool.call.arguments": json.dumps(arguments)})
        span["attributes"]["gen_ai.tool.message"] = fill(action.output, values)
        turn.spans.append(span)
    if intent.failure:
        raise AwsError(424, "RuntimeClientError", f"The agent failed: {intent.failure}")
    return fill(intent.reply, {**values, "result": ""})


def _span(trace_id: str, parent: str | None, name: str, attributes: dict[str, Any]) -> dict[str, Any]:
    now = time.time_ns()
    span: dict[str, Any] = {
        "traceId": trace_id,
        "spanId": secrets.token_hex(8),
        "name": name,
        "kind": "INTERNAL",
        "startTimeUnixNano": now,
        "endTimeUnixNano": now,
        "status": {"code": "OK"},
        "scope": {"name": "evalcore_emulator"},
        "attributes": dict(attributes),
    }
    if parent is not None:
        span["parentSpanId"] = parent
    return span


def _events(turn: _Turn, fault: str | None) -> Iterator[bytes]:
    words = turn.text.split(" ")
    pieces = [" ".join(words[i : i + 5]) + (" " if i + 5 < len(words) else "") for i in range(0, len(words), 5)]
    events = [json.dumps(piece) for piece in pieces] + [json.dumps({"spans": turn.spans})]
    for index, event in enumerate(events):
        if fault in ("stream_cut", "stream_throttle") and index == 1:  # SSE has no in-stream AWS error: cut it
            raise StreamCut(f"{fault} fault: connection closed mid-stream")
        yield f"data: {event}\n\n".encode()


ROUTES = [
    route(
        "InvokeAgentRuntime",
        "bedrock-agentcore",
        "POST",
        "/runtimes/{agentRuntimeArn}/invocations",
        invoke_agent_runtime,
        target_param="agentRuntimeArn",
    )
]
