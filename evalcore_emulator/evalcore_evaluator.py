"""The evaluator persona for evalcore's own agent evaluator (evalcore/runners/agents/evaluator_prompts.py). The
protocol (the tools, the answer's fields, the material's tags) is evalcore's, defined once in
evalcore/runners/agents/evaluator_protocol.py; this module reads it and answers by it.

evalcore asks its evaluator model three things, each a Converse request with one tool the model must call
(``toolChoice`` ``tool`` or ``any``; the tool's name says which question it is) or, for models without them, in the
plain-text protocol (``answer_format.py``; the field asked for says which question it is: ``message``,
``all_steps_attempted`` or ``all_expected_results_observed``, and the answer is the same fields as tags). The last
user message holds the material in tags:
``<steps>`` (``<step>`` items), ``<expected_results>`` (``<expected_result>`` items) and ``<conversation>``
(``<user>`` and ``<agent>`` messages in order; a tag inside a message has a backslash after its bracket,
``<\\/tag>``, ``<\\tag>``: evalcore/text/tagged_text.py).

* ``write_user_message`` -> ``{"reasoning", "message"}``: the first user message;
* ``record_steps_verdict`` -> ``{"reasoning", "all_steps_attempted": bool, "next_user_message"}`` (the next
  message is written when not every step was attempted, else ``""``);
* ``record_results_verdict`` -> ``{"reasoning", "all_expected_results_observed": bool}``.

The answers follow the same rules as the agenteval persona (``agenteval_persona.py``), so that an agenteval plan
gets the same verdicts from both evaluators:

* first and next user message: with no turn yet, the first step with a leading "Ask (the) agent (to|for|about)" removed.
  When the agent's last message asks a question (ends with "?"): the details (words that contain a digit, e.g.
  ``claim-006``) of the first step, from the one being worked on (step number = user messages so far), that has
  any; else that step (rewritten as above). Otherwise the next step not yet sent (rewritten), or
  "Thank you, that is all." when every step was sent.
* all steps attempted: the user has spoken at least once per step and the agent's last message is not a question.
* all expected results observed: each expected result has at least two thirds (rounded up) of its content words
  (lower-cased, plural ``s`` dropped, stopwords and ``agenteval_persona.GENERIC_WORDS`` removed) in the agent's
  messages. The reasoning lists the words found and missing per result.

Unreadable verdicts, as for the judge: a request whose hash (sha256 of ``world.seed``, ``"unreadable"``, the user
text) maps below ``world.judge.unreadable_rate`` is answered with plain text and no tool use.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from typing import Any

from evalcore.runners.agents import evaluator_protocol
from evalcore_emulator import answer_format
from evalcore_emulator.agenteval_persona import GENERIC_WORDS, next_user_message
from evalcore_emulator.judge import called_tool
from evalcore_emulator.keywords import content_words
from evalcore_emulator.protocol import ModelAnswer
from evalcore_emulator.wording import token_count
from evalcore_emulator.world import World

_ITEM = {
    tag: re.compile(rf"<{tag}>(.*?)</{tag}>", re.DOTALL)
    for tag in (evaluator_protocol.STEP, evaluator_protocol.EXPECTED_RESULT)
}
_MESSAGE = re.compile(rf"<({evaluator_protocol.USER}|{evaluator_protocol.AGENT})>(.*?)</\1>", re.DOTALL)
_OPEN, _CLOSE = f"<{evaluator_protocol.CONVERSATION}>", f"</{evaluator_protocol.CONVERSATION}>"
_UNREADABLE = "I think the agent did reasonably well overall."


def converse_answer(
    world: World, text: str, tool_config: dict[str, Any], chars_per_token: float, input_tokens: int
) -> ModelAnswer | None:
    """The answer to one of evalcore's evaluator requests; None when the tool to call is not one of its tools."""
    name = (called_tool(tool_config) or ("", {}))[0]
    rule = _RULES.get(name)
    if rule is None or _OPEN not in text:
        return None
    if _unit(world.seed, "unreadable", text) < world.judge.unreadable_rate:
        return ModelAnswer(_UNREADABLE, input_tokens, token_count(_UNREADABLE, chars_per_token))
    tool_input = rule(text)
    tool_use = {"toolUseId": "tooluse_" + _digest(world.seed, name, text)[:22], "name": name, "input": tool_input}
    return ModelAnswer("", input_tokens, token_count(json.dumps(tool_input), chars_per_token), "tool_use", tool_use)


def text_answer(world: World, text: str, chars_per_token: float, input_tokens: int) -> ModelAnswer | None:
    """The answer to one of evalcore's evaluator requests in the plain-text protocol, else None."""
    schema = answer_format.requested_schema(text)
    fields = set((schema or {}).get("properties") or {})
    rule = next((_RULES[tool] for field, tool in _FIELDS.items() if field in fields), None)
    if rule is None or _OPEN not in text:
        return None
    if _unit(world.seed, "unreadable", text) < world.judge.unreadable_rate:
        return ModelAnswer(_UNREADABLE, input_tokens, token_count(_UNREADABLE, chars_per_token))
    answer = answer_format.render({k: v for k, v in rule(text).items() if k in fields})
    return ModelAnswer(answer, input_tokens, token_count(answer, chars_per_token))


def _user_message(text: str) -> dict[str, Any]:
    turns = [(role == evaluator_protocol.USER, message) for role, message in _turns(text)]
    message, reasoning = next_user_message(_items(text, evaluator_protocol.STEP), turns)
    return {evaluator_protocol.REASONING: reasoning, evaluator_protocol.MESSAGE: message}


def _steps_verdict(text: str) -> dict[str, Any]:
    steps, turns = _items(text, evaluator_protocol.STEP), _turns(text)
    user_turns = sum(1 for role, _ in turns if role == evaluator_protocol.USER)
    last_agent = next((message for role, message in reversed(turns) if role == evaluator_protocol.AGENT), "")
    asked = last_agent.rstrip().endswith("?")
    reasoning = f"{user_turns} user message(s) for {len(steps)} step(s); the agent's last message " + (
        "asks a question." if asked else "is not a question."
    )
    attempted = user_turns >= len(steps) and not asked
    following = "" if attempted else _user_message(text)[evaluator_protocol.MESSAGE]
    return {
        evaluator_protocol.REASONING: reasoning,
        evaluator_protocol.ALL_STEPS_ATTEMPTED: attempted,
        evaluator_protocol.NEXT_USER_MESSAGE: following,
    }


def _results_verdict(text: str) -> dict[str, Any]:
    agent_words = set(
        content_words(" ".join(message for role, message in _turns(text) if role == evaluator_protocol.AGENT))
    )
    notes, all_seen = [], True
    for result in _items(text, evaluator_protocol.EXPECTED_RESULT):
        wanted = content_words(result, GENERIC_WORDS)
        found = [w for w in wanted if w in agent_words]
        missing = [w for w in wanted if w not in agent_words]
        seen = len(found) >= math.ceil(2 * len(wanted) / 3)
        all_seen &= seen
        notes.append(f"'{result}': {'observed' if seen else 'not observed'} (found {found}, missing {missing})")
    return {
        evaluator_protocol.REASONING: "; ".join(notes) or "No expected results.",
        evaluator_protocol.ALL_EXPECTED_RESULTS_OBSERVED: all_seen,
    }


_RULES: dict[str, Callable[[str], dict[str, Any]]] = {
    evaluator_protocol.USER_MESSAGE_TOOL: _user_message,
    evaluator_protocol.STEPS_TOOL: _steps_verdict,
    evaluator_protocol.RESULTS_TOOL: _results_verdict,
}
# The field that says which question a text-protocol request asks (most specific first).
_FIELDS = {
    evaluator_protocol.ALL_STEPS_ATTEMPTED: evaluator_protocol.STEPS_TOOL,
    evaluator_protocol.ALL_EXPECTED_RESULTS_OBSERVED: evaluator_protocol.RESULTS_TOOL,
    evaluator_protocol.MESSAGE: evaluator_protocol.USER_MESSAGE_TOOL,
}


def _items(text: str, tag: str) -> list[str]:
    return [_unescape(m.group(1).strip()) for m in _ITEM[tag].finditer(text)]


def _turns(text: str) -> list[tuple[str, str]]:
    start = text.find(_OPEN)
    end = text.rfind(_CLOSE)
    block = text[start : end if end > start else len(text)]
    return [(m.group(1), _unescape(m.group(2).strip())) for m in _MESSAGE.finditer(block)]


def _unescape(text: str) -> str:
    """The message as written: the backslash evalcore put after a tag's bracket taken out."""
    return re.sub(r"([<\uff1c\ufe64])\\(?=\s*/?\s*\w)", r"\1", text)


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _unit(*parts: object) -> float:
    return int(_digest(*parts)[:13], 16) / 16**13
