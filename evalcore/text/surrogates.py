"""Lone UTF-16 surrogates (U+D800-U+DFFF): JSON's `\\ud800` escape makes one, but it is not text: it cannot be encoded
as UTF-8, so results, cache entries and reports could not be written. Dataset text with one is refused (the user
fixes the file); text from the outside (a model's answer) has each one replaced by U+FFFD and stays data."""

from __future__ import annotations

import re
from typing import Any

_LONE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def first_lone_surrogate(value: Any, path: str = "") -> tuple[str, str] | None:
    """(where, the surrogate) for the first lone surrogate in a JSON value's strings (keys included), else None."""
    if isinstance(value, str):
        lone = None if value.isascii() else _LONE.search(value)
        return (path, lone[0]) if lone else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            found = first_lone_surrogate(key, where) or first_lone_surrogate(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = first_lone_surrogate(item, f"{path}[{index}]")
            if found:
                return found
    return None


def replace_lone_surrogates(value: Any) -> Any:
    """`value` (a response: dicts, lists, strings) with every lone surrogate in its strings replaced by U+FFFD;
    the same object when it has none."""
    return _replaced(value) if _has_lone(value) else value


def _has_lone(value: Any) -> bool:
    """Whether a JSON value's strings (keys included) hold a lone surrogate: first_lone_surrogate without the path,
    which it builds for every key it passes, and without recursion (every model response is checked)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii() and _LONE.search(item) is not None:
                return True
        elif isinstance(item, dict):
            pending += item
            pending += item.values()
        elif isinstance(item, list):
            pending += item
    return False


def _replaced(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE.sub(REPLACEMENT, value)
    if isinstance(value, dict):
        return {_replaced(k): _replaced(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(item) for item in value]
    return value


def shown(text: str) -> str:
    """`text` printable: a lone surrogate as its escape, `\\ud800`."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
