"""InvokeAgent: a scripted Bedrock agent answering through a real event stream.

One turn: the guardrail (if any) may intervene; else the intent whose keyword occurs in the input (first in
file order) runs, or the intent still waiting for a slot from an earlier turn, or the default reply. An intent
asks for each slot that neither a (prompt) session attribute of the slot's name nor a user message of the
session fills (``Intent.slot_values``), then calls its actions (a ``return_control`` action ends the turn with a
``returnControl`` event; the caller's results resume it), looks up the documents it cites and answers.
Trace events are sent when ``enableTrace`` is true. ``endSession`` forgets the session after the turn.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from evalcore_emulator import eventstream
from evalcore_emulator.agent_world import ActionCall, AgentSpec, Intent, KnowledgeBaseDocument, fill
from evalcore_emulator.knowledge_bases import retrieved_reference
from evalcore_emulator.protocol import AwsError, EmulatorContext, Request, Response, Route, StreamCut, route

_SESSION_ID = re.compile(r"^[0-9a-zA-Z._:-]{2,100}$")
_NOT_FOUND = (
    "Failed to retrieve resource because it doesn't exist. Retry the request with a different resource identifier."
)
_THROTTLED = "Your request rate is too high. Reduce the frequency of requests."
_STREAM_CUT_AFTER_BYTES = 40

Event = tuple[str, dict[str, Any]]
Cited = Callable[[str], KnowledgeBaseDocument | None]


@dataclass
class _Session:
    user_inputs: list[str] = field(default_factory=list)
    session_attributes: dict[str, str] = field(default_factory=dict)
    prompt_attributes: dict[str, str] = field(default_factory=dict)  # this turn's promptSessionAttributes
    pending_intent: str | None = None  # an intent waiting for a slot
    awaiting: tuple[str, str, int] | None = None  # (invocationId, intent name, index of the return_control action)


@dataclass
class _Turn:
    """One InvokeAgent call: who answers, in which session, and the events it produces."""

    agent: AgentSpec
    agent_id: str
    alias_id: str
    session_id: str
    session: _Session
    cited: Cited  # a document of the agent's knowledge base by id
    events: list[Event] = field(default_factory=list)
    failure: str | None = None

    def trace(self, trace: dict[str, Any]) -> None:
        self.events.append(
            (
                "trace",
                {
                    "agentId": self.agent_id,
                    "agentAliasId": self.alias_id,
                    "agentVersion": "DRAFT",
                    "sessionId": self.session_id,
                    "eventTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                    "trace": trace,
                },
            )
        )

    def orchestration(self, **member: Any) -> None:
        self.trace({"orchestrationTrace": member})


def invoke_agent(ctx: EmulatorContext, req: Request) -> Response:
    agent_id, alias_id, session_id = (req.path_params[k] for k in ("agentId", "agentAliasId", "sessionId"))
    agent = ctx.world.agents.get(agent_id)
    if agent is None or alias_id not in agent.aliases:
        raise AwsError(404, "ResourceNotFoundException", _NOT_FOUND)
    if not _SESSION_ID.match(session_id):
        raise AwsError(400, "ValidationException", f"Invalid sessionId: {session_id}")
    body = req.json()
    text = body.get("inputText") or ""
    state = body.get("sessionState") or {}
    results = state.get("returnControlInvocationResults") or []
    if not text and not results:
        raise AwsError(400, "ValidationException", "inputText or returnControlInvocationResults is required")

    key = f"{agent_id}/{alias_id}/{session_id}"
    sessions = ctx.state("agent_sessions")
    with ctx.lock:
        session = sessions.setdefault(key, _Session())
        if "sessionAttributes" in state:
            session.session_attributes = dict(state["sessionAttributes"])
        session.prompt_attributes = dict(state.get("promptSessionAttributes") or {})
        kb = ctx.world.knowledge_bases.get(agent.knowledge_base_id) if agent.knowledge_base_id else None
        turn = _Turn(agent, agent_id, alias_id, session_id, session, kb.document if kb else lambda _id: None)
        if results:
            _resume(turn, results, state.get("invocationId"))
        else:
            session.user_inputs.append(text)
            _respond(turn, text)
        if body.get("endSession"):
            sessions.pop(key, None)

    events = turn.events if body.get("enableTrace") else [e for e in turn.events if e[0] != "trace"]
    if body.get("streamingConfigurations", {}).get("streamFinalResponse"):
        events = [part for e in events for part in _split_chunk(e)]
    headers = {
        "Content-Type": eventstream.CONTENT_TYPE,
        "x-amzn-bedrock-agent-content-type": "application/json",
        "x-amz-bedrock-agent-session-id": session_id,
    }
    if body.get("memoryId"):
        headers["x-amz-bedrock-agent-memory-id"] = body["memoryId"]
    return Response(200, headers, stream=_stream(events, turn.failure, req.stream_fault))


def _respond(turn: _Turn, text: str) -> None:
    agent, session = turn.agent, turn.session
    lowered = text.lower()
    if agent.guardrail and any(k.lower() in lowered for k in agent.guardrail.blocked_keywords):
        words = [k for k in agent.guardrail.blocked_keywords if k.lower() in lowered]
        turn.trace(
            {
                "guardrailTrace": {
                    "action": "INTERVENED",
                    "traceId": _trace_id(),
                    "inputAssessments": [
                        {"wordPolicy": {"customWords": [{"match": w, "action": "BLOCKED"} for w in words]}}
                    ],
                }
            }
        )
        session.pending_intent = None
        _finish(turn, agent.guardrail.blocked_message, [])
        return
    if agent.guardrail:
        turn.trace({"guardrailTrace": {"action": "NONE", "traceId": _trace_id()}})
    intent = next((i for i in agent.intents if any(k.lower() in lowered for k in i.keywords)), None)
    if intent is None and session.pending_intent:
        intent = next((i for i in agent.intents if i.name == session.pending_intent), None)
    if intent is None:
        turn.orchestration(rationale={"text": "The request matches none of my tasks.", "traceId": _trace_id()})
        _finish(turn, agent.default_reply, [])
        return
    slots = _slot_values(intent, session)
    missing = next((s for s in intent.slots if s.name not in slots), None)
    turn.orchestration(
        rationale={"text": _rationale(intent, missing.name if missing else None), "traceId": _trace_id()}
    )
    if missing is not None:
        session.pending_intent = intent.name
        turn.orchestration(
            observation={
                "type": "ASK_USER",
                "finalResponse": {"text": missing.question},
                "traceId": _trace_id(),
            }
        )
        turn.events.append(("chunk", _chunk(missing.question, [])))
        return
    session.pending_intent = None
    _run_actions(turn, intent, 0, "")


def _resume(turn: _Turn, results: list[dict[str, Any]], invocation_id: str | None) -> None:
    session = turn.session
    if session.awaiting is None or (invocation_id and invocation_id != session.awaiting[0]):
        raise AwsError(400, "ValidationException", "No action is awaiting returnControlInvocationResults")
    _, intent_name, index = session.awaiting
    session.awaiting = None
    intent = next(i for i in turn.agent.intents if i.name == intent_name)
    result = "\n".join(_result_text(r) for r in results)
    turn.orchestration(observation={"type": "ACTION_GROUP", "actionGroupInvocationOutput": {"text": result}})
    _run_actions(turn, intent, index + 1, result)


def _run_actions(turn: _Turn, intent: Intent, start: int, result: str) -> None:
    """The intent's actions from ``start`` on, its citations and its answer; ``result``: the returned control's."""
    session = turn.session
    values = {**_slot_values(intent, session), "result": result}
    for index, action in enumerate(intent.actions[start:], start):
        invocation_id = str(uuid.uuid4())
        parameters = [{"name": k, "type": "string", "value": fill(v, values)} for k, v in action.parameters.items()]
        body = [{"name": k, "type": "string", "value": fill(v, values)} for k, v in action.request_body.items()]
        turn.orchestration(
            invocationInput={
                "invocationType": "ACTION_GROUP",
                "traceId": _trace_id(),
                "actionGroupInvocationInput": _action_input(action, parameters, body, invocation_id),
            }
        )
        if action.return_control:
            session.awaiting = (invocation_id, intent.name, index)
            turn.events.append(
                (
                    "returnControl",
                    {
                        "invocationId": invocation_id,
                        "invocationInputs": [_return_input(turn.agent_id, action, parameters, body)],
                    },
                )
            )
            return
        turn.orchestration(
            observation={
                "type": "ACTION_GROUP",
                "traceId": _trace_id(),
                "actionGroupInvocationOutput": {"text": fill(action.output, values)},
            }
        )
    documents = [d for d in (turn.cited(doc_id) for doc_id in intent.cite) if d is not None]
    if documents:
        query = session.user_inputs[-1] if session.user_inputs else intent.name
        turn.orchestration(
            invocationInput={
                "invocationType": "KNOWLEDGE_BASE",
                "traceId": _trace_id(),
                "knowledgeBaseLookupInput": {"knowledgeBaseId": turn.agent.knowledge_base_id, "text": query},
            }
        )
        turn.orchestration(
            observation={
                "type": "KNOWLEDGE_BASE",
                "traceId": _trace_id(),
                "knowledgeBaseLookupOutput": {"retrievedReferences": [retrieved_reference(d) for d in documents]},
            }
        )
    if intent.failure:
        turn.trace({"failureTrace": {"failureReason": intent.failure, "traceId": _trace_id()}})
        turn.failure = intent.failure
        return
    _finish(turn, fill(intent.reply, values), documents)


def _finish(turn: _Turn, reply: str, documents: list[KnowledgeBaseDocument]) -> None:
    turn.orchestration(observation={"type": "FINISH", "finalResponse": {"text": reply}, "traceId": _trace_id()})
    turn.events.append(("chunk", _chunk(reply, documents)))


def _chunk(text: str, documents: list[KnowledgeBaseDocument]) -> dict[str, Any]:
    payload: dict[str, Any] = {"bytes": base64.b64encode(text.encode()).decode()}
    if documents:
        part = {"textResponsePart": {"text": text, "span": {"start": 0, "end": max(len(text) - 1, 0)}}}
        payload["attribution"] = {
            "citations": [
                {
                    "generatedResponsePart": part,
                    "retrievedReferences": [retrieved_reference(d) for d in documents],
                }
            ]
        }
    return payload


def _split_chunk(event: Event) -> list[Event]:
    """streamFinalResponse: the final answer in pieces of five words, citations on the last piece."""
    kind, payload = event
    if kind != "chunk":
        return [event]
    words = base64.b64decode(payload["bytes"]).decode().split(" ")
    pieces = [" ".join(words[i : i + 5]) + (" " if i + 5 < len(words) else "") for i in range(0, len(words), 5)]
    split: list[Event] = [("chunk", {"bytes": base64.b64encode(p.encode()).decode()}) for p in pieces]
    if "attribution" in payload:
        split[-1][1]["attribution"] = payload["attribution"]
    return split


def _stream(events: list[Event], failure: str | None, fault: str | None) -> Iterator[bytes]:
    messages = [eventstream.event(kind, payload) for kind, payload in events]
    if failure is not None:
        messages.append(eventstream.exception("dependencyFailedException", failure))
    if fault == "stream_throttle":  # the first event, then the throttling exception
        messages = [*messages[:1], eventstream.exception("throttlingException", _THROTTLED)]
    if fault == "stream_cut":
        data = b"".join(messages)
        yield data[: min(_STREAM_CUT_AFTER_BYTES, len(data) - 1)]
        raise StreamCut("stream_cut fault: connection closed mid-stream")
    yield from messages


def _rationale(intent: Intent, missing: str | None) -> str:
    if missing:
        return f"To handle '{intent.name}' I need the {missing}, which the user has not given. I will ask."
    if intent.rationale:
        return intent.rationale
    steps = [f"call {a.action_group}.{a.function or a.api_path}" for a in intent.actions]
    steps += ["look up the knowledge base"] if intent.cite else []
    return f"The user wants '{intent.name}'. I will " + (", then ".join(steps) or "answer directly") + "."


def _action_input(
    action: ActionCall, parameters: list[dict[str, str]], body: list[dict[str, str]], invocation_id: str
) -> dict[str, Any]:
    """The trace's `ActionGroupInvocationInput`; its `requestBody.content` maps the media type to a list of
    {name, type, value} (botocore's bedrock-agent-runtime model: `RequestBody`, `ContentMap` -> `Parameters`)."""
    payload: dict[str, Any] = {
        "actionGroupName": action.action_group,
        "executionType": "RETURN_CONTROL" if action.return_control else "LAMBDA",
        "invocationId": invocation_id,
        "parameters": parameters,
    }
    if action.function:
        payload["function"] = action.function
    else:
        payload["apiPath"] = action.api_path
        payload["verb"] = action.verb
        if body:
            payload["requestBody"] = {"content": {"application/json": body}}
    return payload


def _return_input(
    agent_id: str, action: ActionCall, parameters: list[dict[str, str]], body: list[dict[str, str]]
) -> dict[str, Any]:
    """returnControl's invocation input; an API's `requestBody.content` maps the media type to {properties: [...]}
    (botocore's bedrock-agent-runtime model: `ApiRequestBody`, `ApiContentMap` -> `PropertyParameters`)."""
    common: dict[str, Any] = {
        "actionGroup": action.action_group,
        "actionInvocationType": "RESULT",
        "agentId": agent_id,
        "parameters": parameters,
    }
    if action.function:
        return {"functionInvocationInput": {**common, "function": action.function}}
    if body:
        common["requestBody"] = {"content": {"application/json": {"properties": body}}}
    return {"apiInvocationInput": {**common, "apiPath": action.api_path, "httpMethod": action.verb.upper()}}


def _result_text(result: dict[str, Any]) -> str:
    member = result.get("functionResult") or result.get("apiResult") or {}
    bodies = member.get("responseBody") or {}
    return "\n".join(str(content.get("body", "")) for content in bodies.values())


def _trace_id() -> str:
    return uuid.uuid4().hex[:16]


ROUTES: list[Route] = [
    route(
        "InvokeAgent",
        "bedrock-agent-runtime",
        "POST",
        "/agents/{agentId}/agentAliases/{agentAliasId}/sessions/{sessionId}/text",
        invoke_agent,
        target_param="agentId",
    )
]


def _slot_values(intent: Intent, session: _Session) -> dict[str, str]:
    """This turn's promptSessionAttributes, then sessionAttributes, then the user's messages."""
    attributes = {**session.session_attributes, **{k: v for k, v in session.prompt_attributes.items() if v}}
    return intent.slot_values(session.user_inputs, attributes)
