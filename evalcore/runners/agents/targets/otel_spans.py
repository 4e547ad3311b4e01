"""Tool calls read from OpenTelemetry spans, as an agent on AgentCore Runtime emits them.

A span is the JSON form AgentCore Evaluations reads (`Evaluate` `evaluationInput.sessionSpans`, botocore's
bedrock-agentcore model: a list of documents): `traceId`, `spanId`, `name`, `attributes` (a flat map). A tool call
is a span whose `attributes` carry the OpenTelemetry GenAI semantic conventions' `gen_ai.tool.name` (with
`gen_ai.operation.name` `execute_tool`, when given) and, optionally, `gen_ai.tool.call.arguments` (a JSON object, as
text or as a map); AWS's "Generic framework support" page of AgentCore Evaluations
(https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/supported-frameworks-generic.html) names these
conventions as what the service reads. Spans that are not tool calls are kept (for Evaluate) and skipped here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from evalcore.domain.results import ToolCall

TOOL_NAME = "gen_ai.tool.name"
OPERATION = "gen_ai.operation.name"
ARGUMENTS = "gen_ai.tool.call.arguments"


def tool_calls(spans: Iterable[dict[str, Any]]) -> list[ToolCall]:
    calls = []
    for span in spans:
        attributes = span.get("attributes") if isinstance(span, dict) else None
        if not isinstance(attributes, dict) or not attributes.get(TOOL_NAME):
            continue
        if attributes.get(OPERATION, "execute_tool") != "execute_tool":
            continue
        calls.append(ToolCall(function=str(attributes[TOOL_NAME]), parameters=_arguments(attributes.get(ARGUMENTS))))
    return calls


def _arguments(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
