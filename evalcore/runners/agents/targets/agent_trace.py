"""Reading an InvokeAgent response: the event stream into text, tool calls, citations and guardrail actions.

Trace shapes (botocore's bedrock-agent-runtime model): `orchestrationTrace.invocationInput` holds
`actionGroupInvocationInput` (actionGroupName, function or apiPath, parameters [{name, type, value}], requestBody
whose `content` maps each media type to a list of {name, type, value}: shape `RequestBody`/`ContentMap`) and `knowledgeBaseLookupInput`; `observation.knowledgeBaseLookupOutput.retrievedReferences` the documents found;
`modelInvocationInput.foundationModel` the model and `modelInvocationOutput.metadata.usage` its tokens; `guardrailTrace.action` an intervention. A chunk's
`attribution.citations[].retrievedReferences[].location` names the cited documents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from evalcore.domain.results import ToolCall, Usage


@dataclass
class StreamRead:
    """Everything one InvokeAgent stream said."""

    text: str = ""
    traces: list[dict[str, Any]] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    return_control: dict[str, Any] | None = None


def read_stream(events: Iterable[dict[str, Any]]) -> StreamRead:
    read = StreamRead()
    parts: list[str] = []
    for event in events:
        if "chunk" in event:
            chunk = event["chunk"]
            parts.append(chunk.get("bytes", b"").decode("utf-8", errors="replace"))
            for citation in (chunk.get("attribution") or {}).get("citations") or []:
                _add_unique(read.citations, [reference_uri(r) for r in citation.get("retrievedReferences") or []])
        elif "trace" in event:
            read.traces.append(event["trace"].get("trace") or {})
        elif "returnControl" in event:
            read.return_control = event["returnControl"]
    read.text = "".join(parts)
    return read


def tool_calls(traces: Iterable[dict[str, Any]]) -> list[ToolCall]:
    calls = []
    for trace in traces:
        invocation = (trace.get("orchestrationTrace") or {}).get("invocationInput") or {}
        action = invocation.get("actionGroupInvocationInput")
        if action:
            calls.append(
                ToolCall(
                    action_group=action.get("actionGroupName"),
                    function=action.get("function") or action.get("apiPath"),
                    parameters=_parameters(action.get("parameters"), action.get("requestBody")),
                )
            )
    return calls


def return_control_calls(payload: dict[str, Any]) -> list[ToolCall]:
    """The actions a returnControl event asks the caller to run."""
    calls = []
    for member in payload.get("invocationInputs") or []:
        function = member.get("functionInvocationInput")
        api = member.get("apiInvocationInput")
        inputs = function or api or {}
        calls.append(
            ToolCall(
                action_group=inputs.get("actionGroup"),
                function=(function or {}).get("function") or (api or {}).get("apiPath"),
                parameters=_parameters(inputs.get("parameters"), inputs.get("requestBody")),
            )
        )
    return calls


def knowledge_base_citations(traces: Iterable[dict[str, Any]]) -> list[str]:
    uris: list[str] = []
    for trace in traces:
        observation = (trace.get("orchestrationTrace") or {}).get("observation") or {}
        references = (observation.get("knowledgeBaseLookupOutput") or {}).get("retrievedReferences") or []
        _add_unique(uris, [reference_uri(r) for r in references])
    return uris


def guardrail_action(traces: Iterable[dict[str, Any]]) -> str | None:
    """INTERVENED when any guardrail trace intervened, else the last action seen (None without a guardrail)."""
    actions = [(t.get("guardrailTrace") or {}).get("action") for t in traces]
    actions = [a for a in actions if a]
    if "INTERVENED" in actions:
        return "INTERVENED"
    return actions[-1] if actions else None


def usage(traces: Iterable[dict[str, Any]]) -> Usage:
    total = Usage()
    for trace in traces:
        for part in trace.values():
            output = part.get("modelInvocationOutput") if isinstance(part, dict) else None
            tokens = ((output or {}).get("metadata") or {}).get("usage") or {}
            total += Usage(input_tokens=tokens.get("inputTokens", 0), output_tokens=tokens.get("outputTokens", 0))
    return total


def foundation_model(traces: Iterable[dict[str, Any]]) -> str | None:
    """The model the agent ran on, as its traces' model invocations name it."""
    for trace in traces:
        for part in trace.values():
            model = ((part.get("modelInvocationInput") or {}) if isinstance(part, dict) else {}).get("foundationModel")
            if model:
                return str(model)
    return None


def reference_uri(reference: dict[str, Any]) -> str:
    """The address of a retrieved document, whatever its data source."""
    location = reference.get("location") or {}
    for key, field_name in (
        ("s3Location", "uri"),
        ("webLocation", "url"),
        ("confluenceLocation", "url"),
        ("salesforceLocation", "url"),
        ("sharePointLocation", "url"),
        ("kendraDocumentLocation", "uri"),
        ("customDocumentLocation", "id"),
    ):
        value = (location.get(key) or {}).get(field_name)
        if value:
            return str(value)
    return str((reference.get("metadata") or {}).get("x-amz-bedrock-kb-source-uri", ""))


def _parameters(parameters: list[dict[str, Any]] | None, request_body: dict[str, Any] | None) -> dict[str, str]:
    """The call's parameters and its body's values. botocore's bedrock-agent-runtime model gives the body two
    shapes: a trace's `RequestBody.content` maps a media type to a list of {name, type, value} (`ContentMap`);
    returnControl's `ApiRequestBody.content` maps it to {properties: [...]} (`ApiContentMap`)."""
    values = {str(p.get("name")): str(p.get("value")) for p in parameters or []}
    for content in ((request_body or {}).get("content") or {}).values():
        entries = content.get("properties") if isinstance(content, dict) else content
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict):
                values[str(entry.get("name"))] = str(entry.get("value"))
    return values


def _add_unique(into: list[str], values: Iterable[str]) -> None:
    for value in values:
        if value and value not in into:
            into.append(value)
