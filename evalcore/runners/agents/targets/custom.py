"""A custom target: the user's class with agenteval's interface, `Class(**keys).invoke(prompt)` returning an object
with `.response` (the text) and optionally `.data` (kept as trace data), or a plain string. The class is imported
relative to the plan's folder; one instance per test run, as agenteval makes one per test."""

from __future__ import annotations

from typing import Any

from evalcore.runners.agents.targets import TargetEnv, TargetReply, call
from evalcore.runners.agents.user_code import import_object
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import CustomTarget


class Custom:
    model_id: str | None = None

    def __init__(self, spec: CustomTarget, env: TargetEnv) -> None:
        self.env = env
        self.cls = import_object(spec.type, env.base_dir)
        self.arguments = dict(spec.model_extra or {})

    def session(self, test: AgentTest, repeat: int) -> CustomSession:
        return CustomSession(self, self.cls(**self.arguments))


class CustomSession:
    def __init__(self, target: Custom, instance: Any) -> None:
        self.target = target
        self.instance = instance

    def send(self, text: str) -> TargetReply:
        response, attempts = call(self.target.env, lambda: self.instance.invoke(text), 1)
        if isinstance(response, str):
            return TargetReply(text=response, attempts=attempts)
        data = getattr(response, "data", None)
        return TargetReply(text=str(response.response), data=data if isinstance(data, dict) else {}, attempts=attempts)
