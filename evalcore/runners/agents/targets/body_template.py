"""Request bodies with placeholders: `{{prompt}}` (the user message) and `{{session_id}}` (one per test run) in
any string of a JSON body. A string that is exactly a placeholder becomes the value; inside text it is replaced."""

from __future__ import annotations

import re
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*(prompt|session_id)\s*\}\}")


def render(template: Any, values: dict[str, str]) -> Any:
    """A new body: `template` with its placeholders filled (the template itself is never changed)."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
    if isinstance(template, dict):
        return {key: render(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, values) for value in template]
    return template
