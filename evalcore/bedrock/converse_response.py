"""What evalcore reads from a Converse response: the parts it keeps (and caches), the answer's text, the tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalcore.domain.results import Usage


def trim_response(response: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a Converse response evalcore keeps (and caches): no HTTP metadata. A body without an output
    message (botocore turns an unparsable body into an almost empty response) raises a ValueError the scheduler
    retries as a transient fault."""
    if not isinstance((response.get("output") or {}).get("message"), dict) or "stopReason" not in response:
        raise ValueError("malformed Converse response: no output message")
    return {k: response[k] for k in ("output", "stopReason", "usage", "metrics", "trace") if k in response}


def text_of(response: Mapping[str, Any]) -> str:
    """The answer: the text blocks of the output message, joined."""
    content = ((response.get("output") or {}).get("message") or {}).get("content") or []
    return "".join(block["text"] for block in content if isinstance(block, dict) and isinstance(block.get("text"), str))


def tokens_of(response: Mapping[str, Any]) -> tuple[int, int]:
    """(input, output) tokens, as the scheduler's `tokens_of` wants them."""
    usage = response.get("usage") or {}
    return int(usage.get("inputTokens", 0)), int(usage.get("outputTokens", 0))


def usage_of(response: Mapping[str, Any]) -> Usage:
    input_tokens, output_tokens = tokens_of(response)
    return Usage(input_tokens=input_tokens, output_tokens=output_tokens)
