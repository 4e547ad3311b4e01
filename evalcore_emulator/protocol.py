"""The contract between the emulator's HTTP server and its operation handlers.

The server (``server.py``) parses each HTTP request into a :class:`Request`, finds the :class:`Route` whose method
and path pattern match, applies the world's faults, calls the handler and writes the :class:`Response` back.
Handlers live in modules named for the service area they emulate (``runtime.py``, ``guardrails.py``,
``agents.py``, ``knowledge_bases.py``, ``evaluation_jobs.py``, ``batch_jobs.py``); each exposes a ``ROUTES`` list.
A handler signals an AWS error by raising :class:`AwsError`; the server renders it in the real wire shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from evalcore_emulator.world import World


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # URL-decoded path, without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    path_params: dict[str, str] = field(default_factory=dict)
    # Set by the server when the world's faults chose a fault that only a streaming handler can apply
    # ("stream_cut" or "stream_throttle"); handlers that write event streams must honour it.
    stream_fault: str | None = None

    def json(self) -> Any:
        """The body as JSON; raises :class:`AwsError` (ValidationException) when it is not JSON."""
        import json

        try:
            return json.loads(self.body or b"{}")
        except ValueError as exc:
            raise AwsError(400, "ValidationException", f"Malformed request body: {exc}") from None


@dataclass
class Response:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    # A streamed body (an AWS event stream): chunks written as they are produced, chunked transfer encoding.
    stream: Iterator[bytes] | None = None

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        import json

        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        return cls(status=status, headers=hdrs, body=json.dumps(payload).encode())


class StreamCut(Exception):
    """Raised by a streamed body's iterator to drop the connection mid-stream (no terminating chunk).

    The server treats any exception from a stream iterator this way; this one says it is intended.
    """


class AwsError(Exception):
    """An error answered in AWS's shape: status, ``x-amzn-ErrorType`` header, ``{"message": ...}`` body."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.status = status
        self.error_type = error_type
        self.message = message


class FaultDecision(Protocol):
    def error(self, service: str) -> AwsError | None:
        """The error this call answers with, in `service`'s shape, or None."""


class FaultDecisions(Protocol):
    """What a handler asks of the world's faults (faults.FaultEngine, which imports this module)."""

    def decide(self, operation: str, target: str | None) -> FaultDecision:
        """The fault, if any, for the next call of `operation` on `target`."""


class EmulatorContext(Protocol):
    """What a handler may use. The server owns one instance for its lifetime."""

    world: World
    region: str
    account_id: str

    @property
    def faults(self) -> FaultDecisions:
        """The world's fault sequences (faults.FaultEngine), restarted when the world changes."""

    def s3(self) -> Any:
        """A boto3 S3 client bound to the emulator's S3 (moto) endpoint; shared, thread-safe."""

    def logs(self) -> Any:
        """A boto3 CloudWatch Logs client bound to moto's endpoint; shared, thread-safe."""

    def answer(
        self,
        model_id: str,
        messages: list[dict[str, Any]],
        system: str | None = None,
        tool_config: dict[str, Any] | None = None,
    ) -> ModelAnswer:
        """What the world's model says to a Converse-shaped conversation (the one rule every operation uses).

        ``model_id`` may be an id, alias, ARN or inference-profile id; an unknown one raises :class:`AwsError`
        (ValidationException). ``tool_config`` is Converse's ``toolConfig`` (a forced tool follows ``judge.py``).
        """

    def judge(self, prompt_text: str, tool_schema: dict[str, Any] | None) -> dict[str, Any]:
        """The world's judge: a verdict for an evaluator/judge prompt (see ``judge.py`` for the documented rule)."""

    def state(self, name: str) -> dict[str, Any]:
        """A named, lock-protected dict that lives as long as the server (sessions, jobs); use ``lock``."""

    @property
    def lock(self) -> Any: ...


@dataclass(frozen=True)
class ModelAnswer:
    text: str
    input_tokens: int
    output_tokens: int
    stop_reason: str = "end_turn"
    tool_use: dict[str, Any] | None = None  # {"toolUseId", "name", "input"} when the model calls a tool
    stop_sequence: str | None = None  # the stop sequence that ended the text, when stop_reason is "stop_sequence"


Handler = Callable[[EmulatorContext, Request], Response]


@dataclass(frozen=True)
class Route:
    operation: str  # the AWS operation name, e.g. "Converse"; used by the request log and by faults
    service: str  # "bedrock-runtime" | "bedrock-agent-runtime" | "bedrock"
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    # The path parameter naming the model/agent/guardrail a fault may target (e.g. "modelId"), if any.
    target_param: str | None = None


def route(
    operation: str, service: str, method: str, path: str, handler: Handler, target_param: str | None = None
) -> Route:
    """Build a route from a path template such as ``/model/{modelId}/converse``."""
    regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"
    return Route(operation, service, method, re.compile(regex), handler, target_param)
