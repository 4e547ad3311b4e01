"""The agent-test loop (seed 004): an evaluator model plays the user and judges, the target answers.

1. The first user message is the test's `initial_prompt`, or the evaluator writes it from the first step.
2. The target answers; the turn is recorded with its tool calls, citations and guardrail action.
3. The evaluator decides whether every step was attempted, and if not writes the next user message from the steps
   and the conversation (one structured answer: agenteval asks twice). If every step was attempted, it decides
   whether every expected result was observed: `pass` or `fail`, with its reasoning. Stop.
4. Otherwise, when `max_turns` turns were made: `fail`, "Maximum turns reached". Else back to 2 with the next
   user message.

Every evaluator answer is a structured verdict (evaluator_prompts.py), asked for as tool_answer.py does, in the
strongest protocol the evaluator model supports (each trace step records it as `protocol`): an answer that cannot be
read is asked again with a reminder; when none can be read the test is `error`, never `pass`.
Evaluator calls go through the scheduler and its cache, keyed by the full request. The per-test deadline is
checked before every call.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evalcore.bedrock import tool_answer
from evalcore.bedrock.answer_protocol import protocol_of
from evalcore.bedrock.converse_response import usage_of
from evalcore.bedrock.tool_answer import UNREADABLE_ATTEMPTS, NoToolAnswer, ToolQuestion
from evalcore.domain.results import Turn, Usage
from evalcore.engine.cache import CacheKey, Endpoint
from evalcore.engine.scheduler import Scheduler
from evalcore.runners.agents import evaluator_prompts as prompts
from evalcore.runners.agents.targets import TargetSession
from evalcore.runners.agents.trace_log import TraceLog
from evalcore.suite.models import AgentTest

MAX_TURNS_REACHED = "Maximum turns reached"
NOT_OBSERVED = "Not all of the expected results can be observed in the conversation."
ALL_OBSERVED = "All of the expected results can be observed in the conversation."


class TestError(Exception):
    """The test cannot be evaluated (a call failed, an unreadable verdict, a timeout...): its result is `error`."""

    __test__ = False  # not a pytest class


@dataclass
class AgentRun:
    """What one run of a test did so far; kept even when it ends in an error."""

    repeat: int  # which run of the test this is (the case's repeat): each is its own sample
    turns: list[Turn] = field(default_factory=list)
    status: str = "error"
    reason: str | None = None
    reasoning: str | None = None
    steps_attempted: bool | None = None
    results_observed: bool | None = None
    evaluator_usage: Usage = field(default_factory=Usage)
    target_usage: Usage = field(default_factory=Usage)
    target_model: str | None = None  # the model behind the target, when its replies name it
    attempts: int = 0


class EvaluatorModel:
    """Asks one evaluator model the loop's questions through the scheduler and the cache."""

    def __init__(self, scheduler: Scheduler, client: Any, model_id: str, max_retry: int) -> None:
        self.scheduler = scheduler
        self.client = client
        self.model_id = model_id
        self.attempts = max_retry + 1  # per call, throttling and transient faults; unreadable answers apart

    def ask(
        self,
        question: prompts.Question,
        run: AgentRun,
        trace: TraceLog,
        steps: Sequence[str] = (),
        expected_results: Sequence[str] = (),
    ) -> prompts.Answer:
        """The evaluator's answer. Raises TestError when no readable answer comes."""
        request = prompts.request(question, self.model_id, run.turns, steps, expected_results)
        endpoint = Endpoint.of(self.client)
        key = CacheKey(endpoint, "evaluator-turn", prompts.EVALUATOR_PROMPT_VERSION, self.model_id, request, run.repeat)
        protocol = protocol_of(request)
        read = functools.partial(prompts.read_answer, question, protocol=protocol)
        asked = ToolQuestion(self.model_id, request, question.tool, read, key, self.attempts)

        def unreadable(request: dict[str, Any], problem: str) -> None:
            trace.add_step(question.tool, prompt=_text(request), protocol=protocol, unreadable=problem)

        try:
            got = tool_answer.ask(self.scheduler, self.client, asked, unreadable)
        except NoToolAnswer as exc:
            run.evaluator_usage += exc.spent
            run.attempts += exc.attempts
            if exc.unreadable:
                raise TestError(f"unreadable evaluator verdict after {UNREADABLE_ATTEMPTS} attempts: {exc}") from None
            raise TestError(f"evaluator call failed: {exc}") from None
        run.attempts += got.attempts
        run.evaluator_usage += got.spent if got.cached else got.spent + usage_of(got.response)
        answer = read(got.response)
        step = {"protocol": protocol, question.field: answer.value, "reasoning": answer.reasoning}
        if answer.follow_up is not None and question.follow_up:
            step[question.follow_up] = answer.follow_up
        trace.add_step(question.tool, prompt=_text(got.request), **step)
        return answer


def converse(
    test: AgentTest,
    session: TargetSession,
    evaluator: EvaluatorModel,
    run: AgentRun,
    trace: TraceLog,
    timeout_seconds: float,
) -> None:
    """Run the loop; sets run.status/reason/reasoning to pass or fail. Raises TestError (and lets other
    exceptions through) for the caller to record as `error`."""
    deadline = time.monotonic() + timeout_seconds
    check = functools.partial(_check, deadline, timeout_seconds)
    check()
    user = test.initial_prompt or evaluator.ask(prompts.USER_MESSAGE, run, trace, steps=test.steps).value
    for _ in range(test.max_turns):
        check()
        started = time.perf_counter()
        run.turns.append(Turn(user=user))
        reply = session.send(user)
        run.turns[-1] = Turn(
            user=user,
            agent=reply.text,
            tool_calls=reply.tool_calls,
            citations=reply.citations,
            guardrail_action=reply.guardrail_action,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        run.target_usage += reply.usage
        run.target_model = run.target_model or reply.model_id
        run.attempts += reply.attempts
        trace.add_step("invoke_target", prompt=user, response=reply.text, data=reply.data)
        if reply.blocked:
            raise TestError(reply.blocked)
        check()
        steps = evaluator.ask(prompts.STEPS_ATTEMPTED, run, trace, steps=test.steps)
        run.steps_attempted = steps.value
        if steps.value:
            check()
            results = evaluator.ask(prompts.RESULTS_OBSERVED, run, trace, expected_results=test.expected_results)
            run.results_observed = results.value
            run.status = "pass" if results.value else "fail"
            run.reason = None if results.value else NOT_OBSERVED
            run.reasoning = results.reasoning
            return
        user = steps.follow_up or ""
    run.status = "fail"
    run.reason = f"{MAX_TURNS_REACHED} ({test.max_turns}) before every step was attempted"


def _check(deadline: float, timeout_seconds: float) -> None:
    if time.monotonic() > deadline:
        raise TestError(f"the test's time ran out (timeout_seconds: {timeout_seconds:g})")


def _text(request: dict[str, Any]) -> str:
    return request["messages"][0]["content"][0]["text"]
