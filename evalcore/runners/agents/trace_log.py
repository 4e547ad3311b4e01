"""A test run's trace in agenteval's shape: named steps with timestamps (every evaluator question and target turn).

It is the `trace` agenteval hooks receive (`add_step(step_name=None, **data)`, `steps`, `test_name`) and what
`agenteval_traces/<test>.json` holds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any


class TraceLog:
    def __init__(self, test_name: str) -> None:
        self.test_name = test_name
        self.start_time = datetime.now(UTC)
        self.end_time: datetime | None = None
        self.steps: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add_step(self, step_name: str | None = None, **data: Any) -> None:
        step = {"timestamp": datetime.now(UTC), "step_name": step_name or "hook", **data}
        with self._lock:
            self.steps.append(step)

    def close(self) -> None:
        self.end_time = datetime.now(UTC)

    def as_json(self) -> dict[str, Any]:
        return {
            "test_name": self.test_name,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "steps": list(self.steps),
        }
