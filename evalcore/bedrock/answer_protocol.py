"""How evalcore asks a model for a structured answer (the judge's verdict, the agent evaluator's answers) and reads
it, in the strongest protocol the model supports (`model_capabilities.protocol_for`):

- `tool`: `toolConfig` with the answer's one tool, forced by `toolChoice: {"tool": {"name": N}}`; the answer is the
  input of the model's call to N. (botocore's ToolChoice.tool: "Only supported by Anthropic Claude 3 and Amazon Nova
  models".)
- `any`: the same single tool with `toolChoice: {"any": {}}` ("The model must request at least one tool"): with one
  tool, the model must call that one. For families that refuse `tool` but take `any` (Mistral Large).
- `text`: no `toolConfig`; the user message ends with an answer format built from the tool's input schema, one tag
  per field (as agenteval's prompts and Bedrock's own judge prompts ask for tagged answers):

      Answer in exactly this format: each tag once, only the value inside it, nothing else:
      <reasoning>A short explanation of the rating.</reasoning>
      <rating>The rating, from the scale: one of 0 | 1 | 2</rating>

  A field's line ends with its kind: `: one of a | b` (an enum), `: true or false`, `: a number`, or nothing (text);
  a field that may be left empty starts with `(optional) `. The answer is read strictly: each tag at most once
  (exactly once when the field is required), a value of the field's type and, with an enum, one of its values.
  Text outside the tags is ignored; `reasoningContent` blocks are not read.

A model that takes no system prompt in Converse gets the system text at the top of the user message instead.
An answer that cannot be read raises UnreadableVerdict; the caller asks again (tool_answer.py), then gives up with an
error, never a pass, in every protocol.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from evalcore.aws_facts.model_capabilities import Protocol, protocol_for, takes_system_prompt

FORMAT_HEADER = "Answer in exactly this format: each tag once, only the value inside it, nothing else:"
# How a field's line in the answer format ends (its kind) or starts (optional). The emulator's models read these
# (evalcore_emulator/answer_format.py).
ONE_OF = ": one of "
ENUM_SEPARATOR = " | "
BOOLEAN = ": true or false"
NUMBER = ": a number"
OPTIONAL = "(optional) "


class UnreadableVerdict(Exception):
    """The model answered, but not in the shape asked for (no tool call, a tag missing, a value off its type)."""


def request(
    model_id: str, system: str, text: str, tool_spec: dict[str, Any], inference: Mapping[str, Any], what: str
) -> dict[str, Any]:
    """The Converse request (keyword arguments) asking `model_id` for `tool_spec`'s input; `text` is the user
    message without its last line, which asks for the answer ("Call N with `what`." or the answer format)."""
    protocol = protocol_for(model_id)
    if protocol == "text":
        text = f"{text}\n\n{answer_format(tool_spec)}"
    else:
        text = f"{text}\n\nCall {tool_spec['name']} with {what}."
    body: dict[str, Any] = {"modelId": model_id}
    if takes_system_prompt(model_id):
        body["system"] = [{"text": system}]
    else:
        text = f"{system}\n\n{text}"
    body["messages"] = [{"role": "user", "content": [{"text": text}]}]
    body["inferenceConfig"] = dict(inference)
    if protocol != "text":
        choice = {"tool": {"name": tool_spec["name"]}} if protocol == "tool" else {"any": {}}
        body["toolConfig"] = {"tools": [{"toolSpec": tool_spec}], "toolChoice": choice}
    return body


def protocol_of(request: Mapping[str, Any]) -> Protocol:
    """The protocol a request built by `request` asks in."""
    choice = (request.get("toolConfig") or {}).get("toolChoice") or {}
    return "tool" if "tool" in choice else "any" if "any" in choice else "text"


def reminder(request: Mapping[str, Any], tool: str) -> str:
    """What is added to a request asked again after an unreadable answer."""
    if protocol_of(request) == "text":
        return "Answer only in the format given, each tag exactly once."
    return f"Answer only by calling {tool}."


def answer_format(tool_spec: Mapping[str, Any]) -> str:
    """The text protocol's answer format for a tool's input schema (see the module docstring)."""
    schema = tool_spec["inputSchema"]["json"]
    required = set(schema.get("required") or [])
    lines = [FORMAT_HEADER]
    for name, prop in (schema.get("properties") or {}).items():
        text = str(prop.get("description") or name).rstrip(".")
        if name not in required:
            text = f"{OPTIONAL}{text}"
        if prop.get("enum"):
            text += ONE_OF + ENUM_SEPARATOR.join(_shown(v) for v in prop["enum"])
        elif prop.get("type") == "boolean":
            text += BOOLEAN
        elif prop.get("type") in ("number", "integer"):
            text += NUMBER
        lines.append(f"<{name}>{text}</{name}>")
    return "\n".join(lines)


def answer_input(
    response: Mapping[str, Any], tool_spec: Mapping[str, Any], protocol: Protocol, who: str
) -> dict[str, Any]:
    """The answer's fields: the tool's input (`tool`, `any`) or the tags read strictly (`text`). `who` names the
    model in errors ("the judge"). Raises UnreadableVerdict."""
    content = ((response.get("output") or {}).get("message") or {}).get("content") or []
    blocks = [block for block in content if isinstance(block, dict)]
    if protocol == "text":
        text = "\n".join(block["text"] for block in blocks if isinstance(block.get("text"), str))
        return read_tags(text, tool_spec["inputSchema"]["json"])
    name = tool_spec["name"]
    tool_input = next(
        (block["toolUse"].get("input") for block in blocks if (block.get("toolUse") or {}).get("name") == name), None
    )
    if not isinstance(tool_input, dict):
        raise UnreadableVerdict(f"{who} did not call {name} (stopReason {response.get('stopReason')})")
    return tool_input


def read_tags(text: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a text-protocol answer. Raises UnreadableVerdict."""
    required = set(schema.get("required") or [])
    fields: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        found = re.findall(rf"<{re.escape(name)}>(.*?)</{re.escape(name)}>", text, re.DOTALL)
        if len(found) > 1:
            raise UnreadableVerdict(f"<{name}> appears {len(found)} times in the answer (once is asked for)")
        if not found:
            if name in required:
                raise UnreadableVerdict(f"the answer has no <{name}>...</{name}>")
            continue
        fields[name] = _typed(name, found[0].strip(), prop)
    return fields


def _typed(name: str, raw: str, prop: Mapping[str, Any]) -> Any:
    kind = prop.get("type")
    value: Any = raw
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise UnreadableVerdict(f"<{name}> is {raw!r}, not true or false")
        value = raw.lower() == "true"
    elif kind in ("number", "integer"):
        try:
            value = float(raw)
        except ValueError:
            raise UnreadableVerdict(f"<{name}> is {raw!r}, not a number") from None
        if not math.isfinite(value):
            raise UnreadableVerdict(f"<{name}> is {raw!r}, not a number")
    enum = prop.get("enum")
    if enum and not any(_same(option, value) for option in enum):
        allowed = ", ".join(_shown(v) for v in enum)
        raise UnreadableVerdict(f"<{name}> is {raw!r}, not one of {allowed}")
    return value


def _same(option: Any, value: Any) -> bool:
    if isinstance(option, str):
        return isinstance(value, str) and option.strip().casefold() == value.strip().casefold()
    if isinstance(value, str):
        return _shown(option) == value.strip()
    return isinstance(option, int | float) and not isinstance(option, bool) and math.isclose(option, value)


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).lower() if isinstance(value, bool) else str(value)
