"""The plain-text answer protocol, as the emulated models read and answer it.

A request asks for a tagged text answer when its last user message has a line starting with
``Answer in exactly this format`` followed by one line per field, ``<name>description</name>``, where the
description ends with the field's kind: ``: one of a | b | c`` (an enum; numbers when every value is one),
``: true or false`` (boolean), ``: a number`` (number), else text; a description starting with ``(optional)``
marks a field that may be left empty. (This is how evalcore's judge and agent evaluator ask models without a forced
tool; the header and the markers are read from evalcore/bedrock/answer_protocol.py, where they are defined.) The emulator turns those lines into the JSON schema a tool would have had,
answers it by the same rules as a tool call, and writes each field as ``<name>value</name>`` on its own line.
"""

from __future__ import annotations

import re
from typing import Any

from evalcore.bedrock.answer_protocol import BOOLEAN, ENUM_SEPARATOR, FORMAT_HEADER, NUMBER, ONE_OF, OPTIONAL

_FIELD = re.compile(r"^<(\w+)>(.*)</\1>$")


def requested_schema(text: str) -> dict[str, Any] | None:
    """The JSON schema of the tagged answer `text` asks for, or None when it asks for none."""
    start = text.rfind(FORMAT_HEADER)
    if start < 0:
        return None
    properties: dict[str, Any] = {}
    required: list[str] = []
    for line in text[start:].splitlines()[1:]:
        match = _FIELD.match(line.strip())
        if match is None:
            break
        name, description = match.groups()
        properties[name] = _kind(description)
        if not description.startswith(OPTIONAL):
            required.append(name)
    if not properties:
        return None
    return {"type": "object", "properties": properties, "required": required}


def render(fields: dict[str, Any]) -> str:
    """The tagged answer for `fields`."""
    return "\n".join(f"<{name}>{_shown(value)}</{name}>" for name, value in fields.items())


def _kind(description: str) -> dict[str, Any]:
    _, sep, values = description.rpartition(ONE_OF)
    if sep:
        options: list[Any] = [v.strip() for v in values.split(ENUM_SEPARATOR)]
        numbers = [_number(v) for v in options]
        if all(n is not None for n in numbers):
            return {"type": "number", "enum": numbers}
        return {"type": "string", "enum": options}
    if description.endswith(BOOLEAN):
        return {"type": "boolean"}
    if description.endswith(NUMBER):
        return {"type": "number"}
    return {"type": "string"}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
