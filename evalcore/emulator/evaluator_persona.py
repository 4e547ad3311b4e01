"""Answers for agent-evaluator prompts (agenteval's and evalcore's), to be filled in."""

from typing import Any


def respond(messages: list[dict[str, Any]], system: str | None) -> str | None:
    """The evaluator's reply when the conversation is an evaluator prompt this module recognises, else None."""
    return None
