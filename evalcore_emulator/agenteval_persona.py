"""The evaluator persona for agenteval 0.4.1's ``CanonicalEvaluator``.

Its four prompts are recognised by their system prompts (or, for Llama, the same text inside the prompt) and
answered in the XML tags agenteval parses:

* initial prompt (``<initial_prompt>``): the step, with a leading "Ask (the) agent (to|for|about)" removed.
* user response (``<user_response>``): when the agent's last message asks a question (ends with "?"), the
  details (words that contain a digit, e.g. ``claim-006``) of the first step, from the one being worked on
  (step number = user messages so far), that has any; the step being worked on (rewritten as above) when none
  has. Otherwise the next step not yet sent (rewritten as above), or "Thank you, that is all."
* test status (``<category>``): A (all steps attempted) when the user has spoken at least once per step
  and the agent's last message is not a question; otherwise B.
* evaluation (``<category>``): an expected result is observed when at least two thirds (rounded up) of its
  content words occur in the agent's messages. Content words are lower-cased, plural ``s`` dropped,
  stopwords and the generic words in :data:`GENERIC_WORDS` removed (see ``keywords.py``). A when every
  expected result is observed; otherwise B. ``<thinking>`` lists the words found and missing per result.

The answer tag comes before ``<thinking>`` so that a ``max_tokens`` cut can only shorten the reasoning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from evalcore_emulator.keywords import content_words

GENERIC_WORDS = frozenset(
    [
        "agent",
        "user",
        "return",
        "respond",
        "response",
        "provide",
        "give",
        "tell",
        "say",
        "list",
        "ask",
        "answer",
        "conversation",
        "information",
        "inform",
        "share",
        "confirm",
        "mention",
        "state",
        "reply",
        "able",
    ]
)
_ASK_AGENT = re.compile(r"^\s*ask\s+(?:the\s+)?agent\s+(?:to|for|about|whether|if)?\s*", re.IGNORECASE)
_NUMBERED = re.compile(r"^\s*\d+\.\s+(.*)$")
_TURN = re.compile(r"^(USER|AGENT):\s?(.*)$")
_DETAIL = re.compile(r"(?<![\w-])[A-Za-z0-9-]*\d[A-Za-z0-9-]*")
_MAX_THINKING = 600


def _is_agenteval(marker: str) -> Callable[[str, str], bool]:
    # Llama prompts carry the system prompt inside the user text, so look in both.
    return lambda system, prompt: marker in system or marker in prompt


def _initial_prompt(prompt: str) -> str:
    step = _between(prompt, "<step>", "<step>") or ""
    message = _as_user_message(step)
    return _reply(f"The user starts the step: {step}", "initial_prompt", message)


def _user_response(prompt: str) -> str:
    turns = [(sender == "USER", text) for sender, text in _turns(prompt)]
    message, thinking = next_user_message(_steps(prompt), turns)
    return _reply(thinking, "user_response", message)


def next_user_message(steps: list[str], turns: list[tuple[bool, str]]) -> tuple[str, str]:
    """(the next user message, why): the rule both evaluator personas follow, over (is the user, text) turns.

    The agent's last message asks something: answer with the words holding a digit (e.g. `claim-007`) of the first
    step from the current one that has any, else that step itself. Otherwise the next unsent step, then thanks."""
    user_turns = sum(1 for is_user, _ in turns if is_user)
    last_agent = next((text for is_user, text in reversed(turns) if not is_user), "")
    if last_agent.rstrip().endswith("?") and steps:
        current = min(max(user_turns - 1, 0), len(steps) - 1)
        with_details = [(step, found) for step in steps[current:] if (found := _DETAIL.findall(step))]
        step, details = with_details[0] if with_details else (steps[current], [])
        message = ", ".join(details) if details else _as_user_message(step)
        return message, f"The agent asked a question; answering it from step: {step}"
    if user_turns < len(steps):
        return _as_user_message(steps[user_turns]), f"Moving on to step {user_turns + 1}."
    return "Thank you, that is all.", "Every step has been sent."


def _test_status(prompt: str) -> str:
    steps, turns = _steps(prompt), _turns(prompt)
    user_turns = sum(1 for sender, _ in turns if sender == "USER")
    last_agent = next((text for sender, text in reversed(turns) if sender == "AGENT"), "")
    asked = last_agent.rstrip().endswith("?")
    done = user_turns >= len(steps) and not asked
    thinking = f"{user_turns} user message(s) for {len(steps)} step(s); the agent's last message " + (
        "asks a question." if asked else "is not a question."
    )
    return _reply(thinking, "category", "A" if done else "B")


def _evaluation(prompt: str) -> str:
    expected = [m.group(1) for line in _block(prompt, "expected_results") if (m := _NUMBERED.match(line))]
    agent_words = set(content_words(" ".join(text for sender, text in _turns(prompt) if sender == "AGENT")))
    notes, all_seen = [], True
    for result in expected:
        wanted = content_words(result, GENERIC_WORDS)
        found = [w for w in wanted if w in agent_words]
        seen = len(found) >= math.ceil(2 * len(wanted) / 3)
        all_seen &= seen
        missing = [w for w in wanted if w not in agent_words]
        notes.append(f"'{result}': {'observed' if seen else 'not observed'} (found {found}, missing {missing})")
    return _reply("; ".join(notes) or "No expected results.", "category", "A" if all_seen else "B")


PERSONAS: list[tuple[Callable[[str, str], bool], Callable[[str], str]]] = [
    (_is_agenteval("within <initial_prompt> tags"), _initial_prompt),
    (_is_agenteval("within <user_response> tags"), _user_response),
    (_is_agenteval("The USER has attempted all the steps."), _test_status),
    (_is_agenteval("in <expected_results> tags"), _evaluation),
]


def _as_user_message(step: str) -> str:
    message = _ASK_AGENT.sub("", step.strip())
    return message[:1].upper() + message[1:]


def _steps(prompt: str) -> list[str]:
    return [m.group(1) for line in _block(prompt, "steps", "<steps>") if (m := _NUMBERED.match(line))]


def _turns(prompt: str) -> list[tuple[str, str]]:
    turns: list[tuple[str, str]] = []
    for line in _block(prompt, "conversation"):
        match = _TURN.match(line)
        if match:
            turns.append((match.group(1), match.group(2)))
        elif turns:  # a message spanning several lines
            sender, text = turns[-1]
            turns[-1] = (sender, f"{text}\n{line}")
    return turns


def _block(prompt: str, tag: str, closing: str | None = None) -> list[str]:
    return (_between(prompt, f"<{tag}>", closing or f"</{tag}>") or "").splitlines()


def _between(text: str, start: str, end: str) -> str | None:
    # An opening tag ends its line; a mention in a system prompt ("in <steps> tags") does not.
    at = text.find(start + "\n")
    if at < 0:
        return None
    at += len(start)
    stop = text.find(end, at)
    return text[at : stop if stop >= 0 else len(text)].strip()


def _reply(thinking: str, tag: str, value: str) -> str:
    return f"<{tag}>{value}</{tag}>\n<thinking>{thinking[:_MAX_THINKING]}</thinking>"
