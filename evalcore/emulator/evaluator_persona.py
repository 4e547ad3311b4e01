"""The agent evaluator persona: deterministic answers to agent-evaluator prompts.

An evaluator model drives a conversation with an agent and judges it. When a conversation sent to an emulated
model is an evaluator prompt that one of :data:`PERSONAS` recognises, :func:`respond` answers it by that
persona's documented rule, so that verdicts follow from the world file's agents and knowledge bases.
Otherwise it returns None and the model answers as usual. Personas: ``agenteval_persona`` (agenteval 0.4.1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from evalcore.emulator import agenteval_persona

# (recognise(system, prompt), answer(prompt)) pairs, tried in order.
PERSONAS: list[tuple[Callable[[str, str], bool], Callable[[str], str]]] = [*agenteval_persona.PERSONAS]


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
