"""The judge protocol, defined once: the tool a verdict is recorded with, the fields of the answer, and the tags the
material to grade goes in. evalcore's judge asks with these (judge.py builds the request, judge_prompts.py the text);
the emulator's judge persona (evalcore_emulator/judge.py) reads the same definitions to recognise a judge request and
answer it, so the two cannot drift apart. How the answer is asked for per model (a forced tool, `toolChoice.any`, or
tagged text) is bedrock/answer_protocol.py's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

TOOL_NAME = "record_verdict"

# The answer's fields: a short reasoning, a rating from the metric's scale, and (for a metric that may not apply)
# whether it applies.
REASONING = "reasoning"
RATING = "rating"
NOT_APPLICABLE = "not_applicable"

# The material's tags. A judge request holds the response (or, for a knowledge-base metric, the retrieved context).
PROMPT = "prompt"
RESPONSE = "response"
REFERENCE = "reference"
CONTEXT = "context"
CITATIONS = "citations"
MATERIAL_TAGS = (PROMPT, RESPONSE, REFERENCE)  # model-evaluation metrics
RAG_TAGS = (PROMPT, CONTEXT, CITATIONS, RESPONSE, REFERENCE)  # knowledge-base metrics


def verdict_tool(metric: str, ratings: Sequence[float | str], may_not_apply: bool) -> dict[str, Any]:
    """The Converse toolSpec of a verdict on `metric`: its input schema is the answer's schema (`rating` is an enum
    of the scale's ratings, strings or numbers)."""
    rating_type = "string" if any(isinstance(r, str) for r in ratings) else "number"
    properties: dict[str, Any] = {
        REASONING: {"type": "string", "description": "A short explanation of the rating."},
        RATING: {"type": rating_type, "enum": list(ratings), "description": "The rating, from the scale."},
    }
    if may_not_apply:
        properties[NOT_APPLICABLE] = {"type": "boolean", "description": "True when the metric does not apply."}
    return {
        "name": TOOL_NAME,
        "description": f"Record the verdict on {metric}.",
        "inputSchema": {"json": {"type": "object", "properties": properties, "required": [REASONING, RATING]}},
    }
