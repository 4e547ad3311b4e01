"""The names of agenteval that hooks and custom targets written for it import (`from agenteval import Hook`,
`from agenteval.targets import BaseTarget, TargetResponse`), provided when agenteval itself is not installed, so
that such code imports unchanged. When agenteval is installed, its own modules are used."""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from dataclasses import dataclass
from typing import Any

_LOCK = threading.Lock()


class Hook:
    """agenteval's hook: both methods are called on the class, as agenteval calls them."""

    def pre_evaluate(test: Any, trace: Any) -> None:
        pass

    def post_evaluate(test: Any, test_result: Any, trace: Any) -> None:
        pass


@dataclass
class TargetResponse:
    response: str
    data: dict[str, Any] | None = None


class BaseTarget:
    def invoke(self, prompt: str) -> TargetResponse:
        raise NotImplementedError


def provide() -> None:
    """Register `agenteval`, `agenteval.hook` and `agenteval.targets` unless agenteval is importable."""
    with _LOCK:
        if "agenteval" in sys.modules or importlib.util.find_spec("agenteval") is not None:
            return
        package = types.ModuleType("agenteval", "evalcore's stand-in for agenteval's importable names")
        package.__path__ = []  # a package, so that submodule imports resolve from sys.modules
        hook = types.ModuleType("agenteval.hook")
        targets = types.ModuleType("agenteval.targets")
        package.Hook = hook.Hook = Hook  # type: ignore[attr-defined]
        targets.BaseTarget = BaseTarget  # type: ignore[attr-defined]
        targets.TargetResponse = TargetResponse  # type: ignore[attr-defined]
        package.hook, package.targets = hook, targets  # type: ignore[attr-defined]
        sys.modules.update({"agenteval": package, "agenteval.hook": hook, "agenteval.targets": targets})
