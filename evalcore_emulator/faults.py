"""Fault injection: which fault, if any, a call gets. Seeded, so a sequence of calls replays the same faults.

Each world fault matches calls by ``operation`` and ``target`` (globs; the target is the model id, guardrail id or
agent id in the path, as sent). For a matching call, in world order:

- ``first: N`` limits the fault to the first N matching calls;
- ``rpm: N`` (throttle only) fires when N calls were already let through in the last 60 seconds;
- otherwise it fires with probability ``rate``, drawn from a generator seeded with (world seed, fault index).

A fault whose exception the called operation does not declare in botocore's model (ModelErrorException on
Retrieve, ServiceUnavailableException on ListFoundationModels) does not match that operation: AWS cannot answer it
so. A batch job's records (``ModelInvocationJobRecord``) are InvokeModel calls.

Every firing ``latency`` fault adds its ``latency_ms`` (a number, or ``[low, high]`` drawn uniformly); the first firing
fault of any other kind decides the call's fate (its own ``latency_ms`` is added too).
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache

from evalcore_emulator.protocol import AwsError
from evalcore_emulator.shape_validation import service_model
from evalcore_emulator.world import FaultKind, FaultSpec

ERRORS: dict[str, tuple[int, str, str]] = {
    "throttle": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "internal_error": (500, "InternalServerException", "The server encountered an internal error."),
    "service_unavailable": (503, "ServiceUnavailableException", "Bedrock is unable to process your request."),
    "model_not_ready": (
        429,
        "ModelNotReadyException",
        "Model is not ready for inference. Wait and try your request again.",
    ),
    "model_timeout": (
        408,
        "ModelTimeoutException",
        "Model has timed out in processing the request. Try your request again.",
    ),
    "model_error": (424, "ModelErrorException", "The model returned an error."),
    "access_denied": (403, "AccessDeniedException", "You don't have access to the model with the specified model ID."),
}
STREAM_FAULTS = frozenset({"stream_cut", "stream_throttle"})
_WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Decision:
    latency_s: float = 0.0
    kind: FaultKind | None = None  # the fault that decides the call, if any (not "latency")

    @property
    def label(self) -> str | None:
        """What the request log records: the deciding kind, else "latency" when only latency was added."""
        return self.kind or ("latency" if self.latency_s else None)

    def error(self, service: str) -> AwsError | None:
        """The fault's error as ``service`` sends it: the status is the ``httpStatusCode`` botocore's model of that
        service declares for the exception (ModelNotReadyException is 429 on bedrock-runtime, 424 on
        bedrock-agent-runtime); a service whose model lacks the exception gets the table's status."""
        if self.kind not in ERRORS:
            return None
        status, error_type, message = ERRORS[self.kind]
        return AwsError(_declared_status(service, error_type, status), error_type, message)


_SERVICES = ("bedrock-runtime", "bedrock-agent-runtime", "bedrock")
_PSEUDO_OPERATIONS = {"ModelInvocationJobRecord": "InvokeModel"}


@cache
def declares(operation: str, error_type: str) -> bool:
    """Whether botocore's model lets ``operation`` answer ``error_type``."""
    name = _PSEUDO_OPERATIONS.get(operation, operation)
    for service in _SERVICES:
        model = service_model(service)
        if name in model.operation_names:
            return error_type in {shape.name for shape in model.operation_model(name).error_shapes}
    return True


@cache
def _declared_status(service: str, error_type: str, fallback: int) -> int:
    model = service_model(service)
    if error_type not in model.shape_names:
        return fallback
    return int(model.shape_for(error_type).metadata.get("error", {}).get("httpStatusCode", fallback))


class FaultEngine:
    def __init__(self, faults: list[FaultSpec], seed: int) -> None:
        self._faults = faults
        self._rngs = [random.Random(f"{seed}:{index}") for index in range(len(faults))]
        self._seen = [0] * len(faults)
        self._windows: list[deque[float]] = [deque() for _ in faults]
        self._lock = threading.Lock()

    def decide(self, operation: str, target: str | None) -> Decision:
        if not self._faults:
            return Decision()
        latency = 0.0
        kind: FaultKind | None = None
        with self._lock:
            for index, fault in enumerate(self._faults):
                if not (fnmatchcase(operation, fault.operation) and fnmatchcase(target or "", fault.target)):
                    continue
                if fault.kind in ERRORS and not declares(operation, ERRORS[fault.kind][1]):
                    continue
                if not self._fires(index, fault):
                    continue
                if fault.kind == "latency" or kind is None:
                    latency += self._latency(index, fault)
                if fault.kind != "latency" and kind is None:
                    kind = fault.kind
        return Decision(latency, kind)

    def _fires(self, index: int, fault: FaultSpec) -> bool:
        self._seen[index] += 1
        if fault.first is not None and self._seen[index] > fault.first:
            return False
        if fault.rpm is not None:
            window, now = self._windows[index], time.monotonic()
            while window and now - window[0] >= _WINDOW_SECONDS:
                window.popleft()
            if len(window) >= fault.rpm:
                return True
            window.append(now)
            return False
        return self._rngs[index].random() < fault.rate

    def _latency(self, index: int, fault: FaultSpec) -> float:
        if isinstance(fault.latency_ms, tuple):
            return self._rngs[index].uniform(*fault.latency_ms) / 1000
        return fault.latency_ms / 1000
