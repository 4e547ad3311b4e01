"""`{{field}}` templates over a dataset record's fields."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")


def fields(template: str) -> set[str]:
    """The field names a template uses."""
    return set(_FIELD.findall(template))


def render(template: str, values: Mapping[str, Any]) -> str:
    """The template with each `{{field}}` replaced by its value (lists and objects as JSON)."""

    def sub(match: re.Match[str]) -> str:
        value = values.get(match.group(1), "")
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    return _FIELD.sub(sub, template)
