"""The answer rule: what an emulated model says to a conversation. Deterministic: same world, same answer.

The *prompt* is the text of the last user message (its text blocks joined by newlines). In order:

1. A tool call the model must make (``toolConfig.toolChoice`` ``tool``, or ``any``: the first tool) of evalcore's
   agent evaluator gets the persona's answer (``evalcore_evaluator.py``); any other follows the judge protocol
   (``judge.py``). Likewise a request without tools that asks for a tagged answer (``answer_format.py``). With
   ``toolChoice.auto`` (or none) the model answers in text by the rules below.
2. ``evaluator_persona.respond(messages, system)``: an agent-evaluator conversation gets the persona's reply.
3. The model's own ``answers`` entry for the prompt, verbatim.
4. The model is *right* when ``u < quality``, where ``u`` in [0, 1) comes from sha256 of (world seed, canonical
   model id, prompt key). Right: the world's ``answers`` entry for the prompt, or, for a prompt the world does not
   know, ``Here is what I know about: <prompt>`` (prompt clipped to 200 characters). Wrong: for a known prompt
   ``I believe the answer is <W>.`` with ``W`` picked by the same hash from :data:`WRONG_WORDS`; for an unknown prompt
   the refusal :data:`REFUSAL`.

Then ``stopSequences`` cut the text at the earliest occurrence (stopReason ``stop_sequence``) and ``maxTokens`` cuts
it to ``floor(maxTokens * chars_per_token)`` characters (stopReason ``max_tokens``).
Tokens: ``ceil(characters / chars_per_token)`` (default 4) of the output text; input tokens of the system prompt and
every text, tool input and tool result in the messages.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from evalcore_emulator import evaluator_persona, judge
from evalcore_emulator.protocol import AwsError, ModelAnswer
from evalcore_emulator.wording import token_count
from evalcore_emulator.world import ModelSpec, World, prompt_key

WRONG_WORDS: tuple[str, ...] = (
    "Lisbon",
    "purple",
    "seventeen",
    "photosynthesis",
    "Neptune",
    "1492",
    "Mozart",
    "copper",
)
REFUSAL = "I'm sorry, but I can't help with that request."
INVALID_MODEL = "The provided model identifier is invalid."
NO_ACCESS = "You don't have access to the model with the specified model ID."


def resolve(world: World, identifier: str) -> tuple[str, ModelSpec]:
    """The canonical id and spec of the model ``identifier`` names; ValidationException like Bedrock if none,
    AccessDeniedException if the world has not granted access to it."""
    found = world.resolve_model(identifier)
    if found is None:
        raise AwsError(400, "ValidationException", INVALID_MODEL)
    if not found[1].access_granted:
        raise AwsError(403, "AccessDeniedException", NO_ACCESS)
    return found


def answer(
    world: World,
    model_id: str,
    spec: ModelSpec,
    messages: list[dict[str, Any]],
    system: str | None = None,
    tool_config: dict[str, Any] | None = None,
    max_tokens: int | None = None,
    stop_sequences: list[str] | None = None,
) -> ModelAnswer:
    """What model ``model_id`` (canonical id, with its ``spec``) answers; see the module docstring."""
    cpt = spec.chars_per_token
    input_tokens = token_count((system or "") + conversation_text(messages), cpt)
    prompt = last_user_text(messages)
    if tool_config:
        forced = evaluator_persona.tool_answer(world, prompt, tool_config, cpt, input_tokens)
        forced = forced or judge.converse_answer(world, prompt, tool_config, cpt, input_tokens)
    else:
        forced = evaluator_persona.text_answer(world, prompt, cpt, input_tokens)
        forced = forced or judge.text_answer(world, prompt, cpt, input_tokens)
    if forced is not None:
        return forced
    text = evaluator_persona.respond(messages, system)
    if text is None:
        text = spec.fixed_answer(prompt) or _by_quality(world, model_id, spec, prompt)
    stop_reason, stop_sequence = "end_turn", None
    cut = min(((text.find(s), s) for s in stop_sequences or [] if s and s in text), default=None, key=lambda c: c[0])
    if cut is not None:
        text, stop_reason, stop_sequence = text[: cut[0]], "stop_sequence", cut[1]
    if max_tokens is not None and token_count(text, cpt) > max_tokens:
        text, stop_reason, stop_sequence = text[: int(max_tokens * cpt)], "max_tokens", None
    return ModelAnswer(text, input_tokens, token_count(text, cpt), stop_reason, stop_sequence=stop_sequence)


def _by_quality(world: World, model_id: str, spec: ModelSpec, prompt: str) -> str:
    digest = hashlib.sha256(f"{world.seed}\x1f{model_id}\x1f{prompt_key(prompt)}".encode()).digest()
    right = int.from_bytes(digest[:8]) / 2**64 < spec.quality
    reference = world.reference_answer(prompt)
    if reference is not None:
        return reference if right else f"I believe the answer is {WRONG_WORDS[digest[8] % len(WRONG_WORDS)]}."
    if right:
        clipped = prompt if len(prompt) <= 200 else prompt[:200] + "..."
        return f"Here is what I know about: {clipped}"
    return REFUSAL


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return "\n".join(_texts(message))
    return ""


def conversation_text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(t for message in messages for t in _texts(message, with_tools=True))


def _texts(message: dict[str, Any], with_tools: bool = False) -> list[str]:
    texts = []
    for block in message.get("content") or []:
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif isinstance((block.get("guardContent") or {}).get("text"), dict):
            texts.append(block["guardContent"]["text"].get("text", ""))
        elif with_tools and ("toolUse" in block or "toolResult" in block):
            texts.append(json.dumps(block.get("toolUse", {}).get("input", block.get("toolResult"))))
    return texts
