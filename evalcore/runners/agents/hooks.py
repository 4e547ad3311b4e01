"""agenteval-compatible hooks: a class named by `hook: module.Class` (imported relative to the plan's folder) whose
`pre_evaluate(test, trace)` runs before the conversation and `post_evaluate(test, test_result, trace)` after it.
They are called on the class, as agenteval calls them. The post hook may change `test_result.passed`, `.result` and
`.reasoning`: what it leaves there is the test's verdict. A test that ended in `error` gets no post hook (there is
no verdict to revise), and a hook that raises makes its test `error`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalcore.domain.results import Turn
from evalcore.runners.agents.trace_log import TraceLog
from evalcore.runners.agents.user_code import import_object
from evalcore.suite.models import AgentTest


@dataclass
class HookTest:
    """agenteval's Test, as hooks see it."""

    name: str
    steps: list[str]
    expected_results: list[str]
    initial_prompt: str | None
    max_turns: int
    hook: str | None


@dataclass
class HookConversation:
    """agenteval's Conversation: (sender, message) pairs and the number of turns."""

    messages: list[tuple[str, str]] = field(default_factory=list)
    turns: int = 0

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.messages)


@dataclass
class HookTestResult:
    """agenteval's TestResult; a post hook may change `passed`, `result` and `reasoning`."""

    test_name: str
    result: str
    reasoning: str
    passed: bool
    conversation: HookConversation


def hook_test(name: str, test: AgentTest) -> HookTest:
    return HookTest(name, list(test.steps), list(test.expected_results), test.initial_prompt, test.max_turns, test.hook)


def conversation(turns: list[Turn]) -> HookConversation:
    messages: list[tuple[str, str]] = []
    for turn in turns:
        messages += [("USER", turn.user), ("AGENT", turn.agent or "")]
    return HookConversation(messages, len(turns))


def load_hook(dotted: str, base_dir: Path) -> Any:
    return import_object(dotted, base_dir)


def pre_evaluate(hook: Any, test: HookTest, trace: TraceLog) -> None:
    method = getattr(hook, "pre_evaluate", None)
    if method is not None:
        method(test, trace)


def post_evaluate(hook: Any, test: HookTest, result: HookTestResult, trace: TraceLog) -> None:
    method = getattr(hook, "post_evaluate", None)
    if method is not None:
        method(test, result, trace)
