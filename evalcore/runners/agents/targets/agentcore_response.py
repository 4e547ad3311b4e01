"""Reading an InvokeAgentRuntime response: its answer text and the OpenTelemetry spans it carries.

botocore's bedrock-agentcore model gives the response a `contentType` (header) and a streamed `response` blob whose
format is the agent's. AWS's "Invoke an AgentCore Runtime agent" page
(https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-invoke-agent.html) reads a
`text/event-stream` answer line by line, keeping what follows `data: `, and any other answer as one JSON document.

What the agent puts in them is its own; evalcore assumes (README, "AgentCore"):
- a JSON answer holds the text at the target's `response_path` (default `$.response`) and, optionally, a list of
  spans under the top-level key `spans`;
- each SSE `data:` line is JSON: a string is a piece of the answer; an object adds its `data` (the text events of
  the Strands agents AgentCore's samples stream) and its `spans`; a line that is not JSON is answer text as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from evalcore.runners.agents.targets import json_path

EVENT_STREAM = "text/event-stream"


@dataclass
class RuntimeAnswer:
    text: str = ""
    spans: list[dict[str, Any]] = field(default_factory=list)


def read(response: dict[str, Any], response_path: str) -> RuntimeAnswer:
    body = response["response"]
    if EVENT_STREAM in (response.get("contentType") or ""):
        return _events(body.iter_lines())
    raw = body.read()
    try:
        document = json.loads(raw)
    except ValueError:
        raise ValueError(
            f"the runtime answered {response.get('contentType') or 'without a content type'} that is not JSON: "
            f"{raw[:200]!r}"
        ) from None
    answer = json_path.find(document, response_path)
    return RuntimeAnswer(
        text=answer if isinstance(answer, str) else json.dumps(answer),
        spans=_spans(document.get("spans") if isinstance(document, dict) else None),
    )


def _events(lines: Any) -> RuntimeAnswer:
    answer = RuntimeAnswer()
    parts: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        if not line.startswith("data:"):
            continue  # blank separators, `event:`, `id:` and comment lines
        data = line[len("data:") :].removeprefix(" ")
        try:
            event = json.loads(data)
        except ValueError:
            parts.append(data)
            continue
        if isinstance(event, str):
            parts.append(event)
        elif isinstance(event, dict):
            if isinstance(event.get("data"), str):
                parts.append(event["data"])
            answer.spans.extend(_spans(event.get("spans")))
    answer.text = "".join(parts)
    return answer


def _spans(value: Any) -> list[dict[str, Any]]:
    return [span for span in value if isinstance(span, dict)] if isinstance(value, list) else []
