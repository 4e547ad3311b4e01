"""What a knowledge-base record expects to be retrieved: `expectedSources` (source URIs) and `expectedPassages`
(texts), each a list or a single text (metrics/retrieval.py scores against them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SOURCES_FIELD = "expectedSources"
PASSAGES_FIELD = "expectedPassages"


def expected_items(record: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(expected sources, expected passages) of a record; a single text counts as a list of one."""
    return _texts(record.get(SOURCES_FIELD)), _texts(record.get(PASSAGES_FIELD))


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v.strip()]
    return []
