"""A Converse call that must answer with one tool's input: the judge's verdicts and the agent evaluator's answers.

The caller's request asks for it in the model's protocol (answer_protocol.py: a forced tool, `toolChoice.any` with
the one tool, or tagged text); `read` checks the answer. An answer that cannot be read (no tool use, a tag or field
missing or off the scale) is asked for again with a reminder that changes the request,
UNREADABLE_ATTEMPTS times in all; then there is no answer, never a guessed one. Calls go through the scheduler
(limits, retries) and its cache; only readable answers are cached, a readable retry under the first request's key,
so a warm re-run makes no call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from evalcore.bedrock.answer_protocol import UnreadableVerdict, reminder
from evalcore.bedrock.converse_response import tokens_of, trim_response, usage_of
from evalcore.bedrock.pricing import worst_case_tokens
from evalcore.domain.results import Usage
from evalcore.engine.cache import CacheKey
from evalcore.engine.scheduler import Call, CallFailed, Scheduler

UNREADABLE_ATTEMPTS = 3


@dataclass
class ToolAnswer:
    response: dict[str, Any]  # a readable answer
    request: dict[str, Any]  # the request that got it (the first, or one with a reminder)
    cached: bool
    attempts: int  # calls made for it, every try included
    spent: Usage  # tokens of the tries that gave no readable answer


class NoToolAnswer(Exception):
    """No readable answer: the call failed (`unreadable` False) or every answer was unreadable."""

    def __init__(self, reason: str, unreadable: bool, attempts: int, spent: Usage) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unreadable = unreadable
        self.attempts = attempts
        self.spent = spent


@dataclass(frozen=True)
class ToolQuestion:
    """One request for a tool's input (in any protocol) and how to read its answer."""

    model_id: str
    request: dict[str, Any]
    tool: str
    read: Callable[[Mapping[str, Any]], object]  # raises UnreadableVerdict
    cache_key: CacheKey | None
    max_attempts: int | None = None  # per try, for throttling and transient faults; else the scheduler's


def ask(
    scheduler: Scheduler,
    client: Any,
    question: ToolQuestion,
    unreadable: Callable[[dict[str, Any], str], None] | None = None,
) -> ToolAnswer:
    """The first readable answer; `unreadable(request, problem)` hears of each answer that could not be read.
    Raises NoToolAnswer."""
    problem = ""
    attempts = 0
    spent = Usage()
    for attempt in range(UNREADABLE_ATTEMPTS):
        request = question.request if attempt == 0 else with_reminder(question.request, problem, question.tool)
        tries: list[Usage] = []
        call = Call(
            model=question.model_id,
            fn=functools.partial(_converse, client, request, question.read, tries),
            cache_key=question.cache_key if attempt == 0 else None,
            role="judge",
            estimated_tokens=len(request["messages"][0]["content"][0]["text"]) // 4,
            tokens_of=tokens_of,
            max_attempts=question.max_attempts,
            worst_tokens=worst_case_tokens(request),
        )
        try:
            result = scheduler.call(call)
        except CallFailed as exc:
            spent = sum(tries, spent)
            attempts += exc.attempts
            if tries and exc.reason.startswith(UnreadableVerdict.__name__):
                problem = exc.reason.split(": ", 1)[-1]
                if unreadable is not None:
                    unreadable(request, problem)
                continue
            raise NoToolAnswer(exc.reason, False, attempts, spent) from None
        if attempt > 0 and scheduler.cache is not None and question.cache_key is not None:
            scheduler.cache.put(question.cache_key, result.value)
        return ToolAnswer(result.value, request, result.cached, attempts + result.attempts, spent)
    raise NoToolAnswer(problem, True, attempts, spent)


def with_reminder(first: dict[str, Any], problem: str, tool: str) -> dict[str, Any]:
    """`first` asked again after an unreadable answer (a changed request, so neither cache nor model repeat it)."""
    text = first["messages"][0]["content"][0]["text"]
    again = f"Your previous answer could not be read ({problem}). {reminder(first, tool)}"
    return {**first, "messages": [{"role": "user", "content": [{"text": f"{text}\n\n{again}"}]}]}


def _converse(
    client: Any, request: dict[str, Any], read: Callable[[Mapping[str, Any]], object], tries: list[Usage]
) -> dict[str, Any]:
    response = trim_response(client.converse(**request))
    tries.append(usage_of(response))
    read(response)  # raises UnreadableVerdict: not cached, asked again by `ask`
    return response
