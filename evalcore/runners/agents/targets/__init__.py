"""Targets: what the evaluator talks to. One module per kind; each turns a user message into a `TargetReply`.

A target makes one `TargetSession` per test run (a new agent session, knowledge-base session, conversation...), so
runs never share state. Every call goes through the scheduler (the one retry layer). Target calls are not cached:
agents, knowledge-base sessions and HTTP services are stateful, and a cached turn would leave the real session
behind the conversation. The exception is `bedrock-model`, whose request carries the whole conversation: it is
cached like any model call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from evalcore.bedrock.clients import SCHEDULED_SERVICES
from evalcore.domain.results import ToolCall, Usage
from evalcore.engine.scheduler import Call, Scheduler
from evalcore.suite.models import AgentTest


@dataclass
class TargetReply:
    """The target's answer to one user message, with what its trace showed."""

    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)  # URIs of the documents cited
    guardrail_action: str | None = None  # e.g. INTERVENED
    usage: Usage = field(default_factory=Usage)
    data: dict[str, Any] = field(default_factory=dict)  # raw trace data, as agenteval keeps it
    attempts: int = 0
    blocked: str | None = None  # why the conversation cannot go on (e.g. a returnControl with no value)
    model_id: str | None = None  # the model that answered, when the reply says (an agent's trace)


class SessionBroken(Exception):
    """The target's answer stopped mid-turn after the target had taken the turn in: its session now holds a turn
    the test never saw, so the conversation can neither go on in it nor resend the turn there. The runner starts
    the test again in a new session."""


class TargetSession(Protocol):
    def send(self, text: str) -> TargetReply: ...


class Target(Protocol):
    model_id: str | None  # the model behind the target, when known (for its cost)

    def session(self, test: AgentTest, repeat: int) -> TargetSession:
        """A new session for run `repeat` of `test` (a cached target keys its answers by it: each run is a sample)."""
        ...


@dataclass(frozen=True)
class TargetEnv:
    """What a target is built with: the scheduler, a client factory and the folder custom code is imported from."""

    scheduler: Scheduler
    client: Callable[[str, Any], Any]  # (service, target spec) -> the shared boto3 client for it
    base_dir: Path


def call(env: TargetEnv, fn: Callable[[], Any], attempts: int, model: str | None = None) -> tuple[Any, int]:
    """Run one target call through the scheduler (limits, retries; never cached): (its value, attempts made).

    `attempts` is the call's limit: a target's `max_retry` + 1 where the scheduler retries its service, 1 where
    botocore retries it already (two layers would multiply). Raises CallFailed."""
    result = env.scheduler.call(Call(model=model, fn=fn, max_attempts=max(1, attempts)))
    return result.value, result.attempts


def scheduled_attempts(service: str, max_retry: int) -> int:
    """How many attempts the scheduler makes for a call to `service` given a target's `max_retry`."""
    return max_retry + 1 if service in SCHEDULED_SERVICES else 1
