"""How the emulator's models behave as an LLM judge. The protocol itself (the verdict tool's name, the answer's
fields ``reasoning`` and ``rating``, the material's tags) is evalcore's, defined once in
``evalcore/metrics/judge_protocol.py``; this module reads those definitions and answers by them.

evalcore's direct mode (and anyone else) asks for a verdict with a Converse request whose ``toolConfig`` has tools
and ``toolChoice: {"tool": {"name": N}}`` (or ``{"any": {}}``: the first tool is called), or, without tools, in the
plain-text protocol (``answer_format.py``: the fields are asked for as tags and answered as tags). The text of the
last user message decides the rest:

1. It is a *judge request* when it contains ``<response>...</response>``; it may also contain
   ``<reference>...</reference>`` and ``<prompt>...</prompt>``.
2. Quality ``q``: the token F1 of the response against the reference (SQuAD-style: lower-cased words, punctuation and
   articles dropped) when a reference is present; otherwise 1.0 for a non-empty response that is not a refusal, and 0.0
   for an empty response or a refusal (a response containing one of :data:`REFUSAL_MARKERS`, case-insensitive).
3. Noise: ``q += gauss(0, world.judge.noise)`` with a generator seeded by sha256 of ``world.judge.seed`` (default
   ``world.seed``) and the user text,
   then ``q`` is clamped to [0, 1] and rounded to 6 decimals. The same request always gets the same verdict.
4. The tool's ``inputSchema.json`` gets ``reasoning`` (a string) and ``rating``, when it has them:
   - ``rating.enum`` of numbers (the rating scale values): the value nearest to ``min + q * (max - min)``, ties to the
     higher value;
   - ``rating.enum`` of strings: they are listed best first; the one at position ``floor((1 - q) * (n - 1) + 0.5)``;
   - no enum: ``minimum + q * (maximum - minimum)`` (rounded half up for ``integer``), ``q`` itself without bounds.
   Other properties get the schema's defaults (below); no property the schema does not have is added. The answer is
   a Converse ``toolUse`` block, stopReason ``tool_use`` (in the text protocol: the tags, stopReason ``end_turn``).
2b. A RAG judge request (evalcore's knowledge-base metrics) holds ``<context>...</context>`` (the passages): then
   ``q`` is the share of the content words (``keywords.content_words``) of the graded text found in the context, the
   graded text being the response, else the reference, else the prompt (0 when it has none): faithfulness and
   citation support of an answer, coverage of a reference, relevance of the passages to a question. A response that
   is a refusal scores 1 (it claims nothing the context lacks).
5. Unreadable judge: a request whose hash (sha256 of ``world.seed``, ``"unreadable"``, the user text) maps below
   ``world.judge.unreadable_rate`` is answered with plain text (no tool use and no tags, stopReason ``end_turn``).

A tool call (or tagged answer) that is not a judge request gets the schema filled with its defaults, which follow
the schema as langchain-aws's ``with_structured_output`` needs: ``const``; else an enum's first value; string ``""``
(padded with ``x`` to ``minLength``), number/integer ``0`` moved into ``minimum``/``maximum`` (and past an exclusive
bound), boolean ``false``, array ``[]`` (``minItems`` copies of the item default), object: each property filled
recursively, no other key.

``EmulatorContext.judge(prompt_text, tool_schema)`` applies rules 1-4 to ``prompt_text`` for other operations (the
evaluation jobs): with a schema it returns the tool input; without, ``{"reasoning": str, "score": q}``. A prompt
without ``<response>`` is judged as if its whole text were the response.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from dataclasses import dataclass
from typing import Any

from evalcore.metrics import judge_protocol
from evalcore_emulator import answer_format
from evalcore_emulator.keywords import content_words
from evalcore_emulator.protocol import ModelAnswer
from evalcore_emulator.wording import token_count, token_f1
from evalcore_emulator.world import World

REFUSAL_MARKERS: tuple[str, ...] = (
    "i'm sorry",
    "i am sorry",
    "i cannot",
    "i can't",
    "i can not",
    "i am unable",
    "i'm unable",
    "i won't",
    "cannot answer",
    "can't help",
)
_TAG = {
    name: re.compile(rf"<{name}>(.*?)</{name}>", re.DOTALL)
    for name in (judge_protocol.RESPONSE, judge_protocol.REFERENCE, judge_protocol.PROMPT, judge_protocol.CONTEXT)
}


@dataclass(frozen=True)
class JudgeRequest:
    response: str
    reference: str | None
    prompt: str | None
    context: str | None = None


def parse(text: str) -> JudgeRequest | None:
    """The judge request in ``text``, or None when it has neither a ``<response>`` nor a ``<context>`` tag."""
    found = {name: pattern.search(text) for name, pattern in _TAG.items()}
    if found[judge_protocol.RESPONSE] is None and found[judge_protocol.CONTEXT] is None:
        return None
    response, reference, prompt, context = (
        found[n]
        for n in (judge_protocol.RESPONSE, judge_protocol.REFERENCE, judge_protocol.PROMPT, judge_protocol.CONTEXT)
    )
    return JudgeRequest(
        response.group(1).strip() if response else "",
        reference.group(1).strip() if reference else None,
        prompt.group(1).strip() if prompt else None,
        context.group(1).strip() if context else None,
    )


def is_refusal(response: str) -> bool:
    lowered = response.lower().replace("\u2019", "'")
    return any(marker in lowered for marker in REFUSAL_MARKERS)


def score(world: World, request: JudgeRequest, text: str) -> tuple[float, str]:
    """Quality q in [0, 1] with the world's noise, and the reasoning that explains it."""
    if request.context is not None:
        graded = request.response or request.reference or request.prompt or ""
        words = content_words(graded)
        have = set(content_words(request.context))
        q = sum(word in have for word in words) / len(words) if words else 0.0
        reasoning = f"{q:.0%} of the graded text's content words are in the context."
        if request.response and is_refusal(request.response):
            q, reasoning = 1.0, "The response declines to answer: it claims nothing the context lacks."
    elif request.reference is not None:
        q = token_f1(request.response, request.reference)
        reasoning = f"Token F1 of the response against the reference is {q:.2f}."
    elif not request.response.strip():
        q, reasoning = 0.0, "The response is empty."
    elif is_refusal(request.response):
        q, reasoning = 0.0, "The response is a refusal."
    else:
        q, reasoning = 1.0, "The response answers the prompt."
    if world.judge.noise > 0:
        noise_seed = world.seed if world.judge.seed is None else world.judge.seed
        q += random.Random(_digest(noise_seed, "noise", text)).gauss(0.0, world.judge.noise)
    return round(min(1.0, max(0.0, q)), 6), reasoning


def verdict(world: World, prompt_text: str, tool_schema: dict[str, Any] | None) -> dict[str, Any]:
    """``EmulatorContext.judge``: the tool input for ``tool_schema``, or ``{"reasoning", "score"}`` without one."""
    request = parse(prompt_text) or JudgeRequest(prompt_text.strip(), None, None)
    q, reasoning = score(world, request, prompt_text)
    if tool_schema is None:
        return {"reasoning": reasoning, "score": q}
    return rated_input(tool_schema, q, reasoning)


PLAIN_VERDICT = "The response looks reasonable to me; I would rate it fairly well."


def called_tool(tool_config: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(name, input schema) of the tool the model must call: the one ``toolChoice.tool`` names, or the first tool
    for ``toolChoice.any``; None when the model may answer in text (``auto``, or no choice)."""
    choice = tool_config.get("toolChoice") or {}
    name = (choice.get("tool") or {}).get("name")
    if name is None and "any" in choice:
        tools = tool_config.get("tools") or []
        name = ((tools[0] if tools else {}).get("toolSpec") or {}).get("name")
    if not name:
        return None
    return name, _tool_schema(tool_config, name)


def converse_answer(
    world: World, text: str, tool_config: dict[str, Any], chars_per_token: float, input_tokens: int
) -> ModelAnswer | None:
    """The answer to a tool call the model must make (a judge request or not); None when it need not call one."""
    called = called_tool(tool_config)
    if called is None:
        return None
    name, schema = called
    tool_input = _fields(world, text, schema)
    if tool_input is None:
        return ModelAnswer(PLAIN_VERDICT, input_tokens, token_count(PLAIN_VERDICT, chars_per_token))
    tool_use = {"toolUseId": "tooluse_" + _digest(world.seed, name, text)[:22], "name": name, "input": tool_input}
    return ModelAnswer("", input_tokens, token_count(json.dumps(tool_input), chars_per_token), "tool_use", tool_use)


def text_answer(world: World, text: str, chars_per_token: float, input_tokens: int) -> ModelAnswer | None:
    """The answer to a request in the plain-text protocol (a judge request or not); None when `text` asks for no
    tagged answer."""
    schema = answer_format.requested_schema(text)
    if schema is None:
        return None
    fields = _fields(world, text, schema)
    answer = PLAIN_VERDICT if fields is None else answer_format.render(fields)
    return ModelAnswer(answer, input_tokens, token_count(answer, chars_per_token))


def _fields(world: World, text: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The answer's fields for `schema`; None for an unreadable judge (rule 5)."""
    request = parse(text)
    if request is None:
        filled = default_value(schema)
        return filled if isinstance(filled, dict) else {}
    if _unit(world.seed, "unreadable", text) < world.judge.unreadable_rate:
        return None
    q, reasoning = score(world, request, text)
    return rated_input(schema, q, reasoning)


def rated_input(schema: dict[str, Any], q: float, reasoning: str) -> dict[str, Any]:
    filled = default_value(schema)
    if not isinstance(filled, dict):
        filled = {}
    properties = schema.get("properties") or {}
    if judge_protocol.REASONING in properties:
        filled[judge_protocol.REASONING] = reasoning
    if judge_protocol.RATING in properties:
        filled[judge_protocol.RATING] = _rating(properties[judge_protocol.RATING], q)
    return filled


def default_value(schema: dict[str, Any]) -> Any:
    """The default that follows a JSON schema (see the module docstring)."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {key: default_value(sub) for key, sub in (schema.get("properties") or {}).items()}
    if kind in ("number", "integer"):
        return _bounded(schema, kind)
    if kind == "string":
        return "x" * int(schema.get("minLength") or 0)
    if kind == "array":
        return [default_value(schema.get("items") or {}) for _ in range(int(schema.get("minItems") or 0))]
    return {"boolean": False, "null": None}.get(kind, "")


def _bounded(schema: dict[str, Any], kind: str) -> int | float:
    step = 1 if kind == "integer" else 0.5
    low = schema.get("minimum")
    if schema.get("exclusiveMinimum") is not None:
        low = schema["exclusiveMinimum"] + step
    high = schema.get("maximum")
    if schema.get("exclusiveMaximum") is not None:
        high = schema["exclusiveMaximum"] - step
    value: int | float = 0
    if low is not None and value < low:
        value = math.ceil(low) if kind == "integer" else low
    if high is not None and value > high:
        value = math.floor(high) if kind == "integer" else high
    return value


def _rating(schema: dict[str, Any], q: float) -> Any:
    enum = schema.get("enum")
    if enum:
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in enum):
            low, high = min(enum), max(enum)
            target = low + q * (high - low)
            return min(enum, key=lambda v: (abs(v - target), -v))
        return enum[math.floor((1 - q) * (len(enum) - 1) + 0.5)]
    low, high = schema.get("minimum"), schema.get("maximum")
    value = q if low is None or high is None else low + q * (high - low)
    return math.floor(value + 0.5) if schema.get("type") == "integer" else value


def _tool_schema(tool_config: dict[str, Any], name: str) -> dict[str, Any]:
    for tool in tool_config.get("tools") or []:
        spec = tool.get("toolSpec") or {}
        if spec.get("name") == name:
            return (spec.get("inputSchema") or {}).get("json") or {}
    return {}


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from ``parts``."""
    return int(_digest(*parts)[:13], 16) / 16**13
