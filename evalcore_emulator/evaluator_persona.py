"""The agent evaluator persona: deterministic answers to agent-evaluator prompts.

An evaluator model drives a conversation with an agent and judges it. When a conversation sent to an emulated
model is an evaluator prompt that one of :data:`PERSONAS` recognises, :func:`respond` answers it by that
persona's documented rule, so that verdicts follow from the world file's agents and knowledge bases.
Otherwise it returns None and the model answers as usual. Personas: ``agenteval_persona`` (agenteval 0.4.1);
evalcore's own evaluator asks through tool calls or tagged text, answered by :func:`tool_answer` and
:func:`text_answer` (``evalcore_evaluator``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from evalcore_emulator import agenteval_persona, evalcore_evaluator
from evalcore_emulator.protocol import ModelAnswer
from evalcore_emulator.world import World

# (recognise(system, prompt), answer(prompt)) pairs, tried in order.
PERSONAS: list[tuple[Callable[[str, str], bool], Callable[[str], str]]] = [*agenteval_persona.PERSONAS]


def tool_answer(
    world: World, prompt: str, tool_config: dict[str, Any], chars_per_token: float, input_tokens: int
) -> ModelAnswer | None:
    """The answer to a tool call of evalcore's evaluator protocol (``evalcore_evaluator``), else None."""
    return evalcore_evaluator.converse_answer(world, prompt, tool_config, chars_per_token, input_tokens)


def text_answer(world: World, prompt: str, chars_per_token: float, input_tokens: int) -> ModelAnswer | None:
    """The answer to a plain-text-protocol request of evalcore's evaluator (``evalcore_evaluator``), else None."""
    return evalcore_evaluator.text_answer(world, prompt, chars_per_token, input_tokens)


def respond(messages: list[dict[str, Any]], system: str | None) -> str | None:
    """The evaluator's reply when the conversation is an evaluator prompt a persona recognises, else None."""
    prompt = "\n".join(_texts(messages))
    for recognise, answer in PERSONAS:
        if recognise(system or "", prompt):
            return answer(prompt)
    return None


def _texts(messages: list[dict[str, Any]]) -> list[str]:
    texts = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
            continue
        texts.extend(block["text"] for block in content or [] if isinstance(block, dict) and "text" in block)
    return texts
