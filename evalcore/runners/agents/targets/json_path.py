"""A small JSONPath subset for picking a response field and placing a prompt in a request body.

Supported: `$` (the root), `.name`, `['name']` or `["name"]`, and `[n]` (an index, negative from the end), e.g.
`$.choices[0].message.content` or `$['outputs'][-1]`. That covers response and request fields; filters, wildcards
and recursive descent are refused with a message rather than half-supported. (A library such as jsonpath-ng would
add a parser dependency for the same few forms.)
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"""\.([A-Za-z_][\w-]*)|\[\s*(-?\d+)\s*\]|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\]""")


class JsonPathError(ValueError):
    pass


def parse(path: str) -> list[str | int]:
    """The keys and indexes of `path`, e.g. `$.a[0]['b']` -> ['a', 0, 'b']."""
    text = path.strip()
    if not text.startswith("$"):
        raise JsonPathError(f"JSONPath '{path}' must start with $")
    keys: list[str | int] = []
    at = 1
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise JsonPathError(f"JSONPath '{path}': cannot read '{text[at:]}' (supported: .name, ['name'], [index])")
        name, index, single, double = match.groups()
        keys.append(int(index) if index is not None else next(v for v in (name, single, double) if v is not None))
        at = match.end()
    return keys


def find(document: Any, path: str) -> Any:
    """The value at `path`. Raises JsonPathError naming the first step that is missing."""
    value = document
    for key in parse(path):
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            raise JsonPathError(f"JSONPath '{path}': no {key!r} in the response") from None
    return value


def put(document: Any, path: str, value: Any) -> None:
    """Set the value at `path` (its parent must exist)."""
    keys = parse(path)
    if not keys:
        raise JsonPathError(f"JSONPath '{path}' names the whole document; name a field")
    parent = find(document, "$" + "".join(f"[{k}]" if isinstance(k, int) else f"['{k}']" for k in keys[:-1]))
    try:
        parent[keys[-1]] = value
    except (IndexError, TypeError):
        raise JsonPathError(f"JSONPath '{path}': cannot set {keys[-1]!r}") from None
