"""The request log: every call the emulator answered, in memory and optionally appended to a JSONL file."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class LoggedRequest:
    time: float  # seconds since the epoch when the call arrived
    operation: str  # the AWS operation, "Unknown" for an unknown path (admin calls are not logged)
    service: str
    method: str
    path: str
    target: str | None  # the model, guardrail or agent the call named
    status: int  # 0 when the connection was reset without a response
    fault: str | None  # the injected fault kind, if any
    duration_ms: float
    injected_latency_ms: float = 0.0  # the latency the world's faults added (seeded: the same on every run)
    # Converse and ConverseStream: how the request asked for tools ("tool", "any", "auto"; None without toolConfig)
    # and whether it had a system prompt; None for other operations.
    tool_choice: str | None = None
    system_prompt: bool | None = None
    # InvokeAgentRuntime: the MCP headers it carried (mcp-method, mcp-name, mcp-session-id, mcp-protocol-version)
    mcp: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


MAX_IN_MEMORY = 1_000_000  # the in-memory log keeps the latest calls; the JSONL file keeps them all


class RequestLog:
    def __init__(self, path: Path | None = None) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=MAX_IN_MEMORY)
        self._lock = threading.Lock()
        self._file = path.open("a", encoding="utf-8") if path is not None else None

    def record(self, entry: LoggedRequest) -> None:
        line = json.dumps(entry.to_json()) + "\n" if self._file is not None else None
        with self._lock:
            self._entries.append(entry)
            if self._file is not None and line is not None:
                self._file.write(line)
                self._file.flush()

    def entries(self, operation: str | None = None) -> list[LoggedRequest]:
        with self._lock:
            return [e for e in self._entries if operation is None or e.operation == operation]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
