"""agentcore-runtime: an agent on Bedrock AgentCore Runtime, called with InvokeAgentRuntime.

Request members (botocore's bedrock-agentcore model, `InvokeAgentRuntimeRequest`): `agentRuntimeArn` (the ARN, or
the runtime id with `accountId`), `qualifier` (the endpoint), `runtimeSessionId` (shape `SessionType`: 33 to 256
characters; a UUID4 per test run, 36), `payload` (a blob: the target's JSON `payload` template, filled as the `http`
target's body is), `contentType`/`accept`, and `traceParent`: a W3C trace context per turn
(https://www.w3.org/TR/trace-context/#traceparent-header), so the agent's spans of that turn share its trace id.
The answer is read by agentcore_response (JSON or `text/event-stream`), tool calls from its spans by otel_spans.

Like InvokeAgent, the retried unit is the call and the read; a connection cut mid-answer means the runtime took the
turn in, so the turn raises SessionBroken and the runner starts the test over in a new session.
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from botocore.exceptions import ResponseStreamingError
from urllib3.exceptions import ProtocolError

from evalcore.runners.agents.targets import (
    SessionBroken,
    TargetEnv,
    TargetReply,
    agentcore_response,
    call,
    json_path,
    otel_spans,
    scheduled_attempts,
)
from evalcore.runners.agents.targets.body_template import render
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import AgentCoreRuntimeAddress, AgentCoreRuntimeTarget

SERVICE = "bedrock-agentcore"


def invocation(spec: AgentCoreRuntimeAddress, accept: str) -> dict[str, Any]:
    """InvokeAgentRuntime's members that stay the same for every call to the runtime `spec` names: a JSON payload,
    answered as `accept` asks."""
    arguments: dict[str, Any] = {"agentRuntimeArn": spec.agent_runtime_arn, "contentType": "application/json"}
    arguments["accept"] = accept
    if spec.qualifier is not None:
        arguments["qualifier"] = spec.qualifier
    if spec.account_id is not None:
        arguments["accountId"] = spec.account_id
    return arguments


class AgentCoreRuntime:
    model_id: str | None = None

    def __init__(self, spec: AgentCoreRuntimeTarget, env: TargetEnv) -> None:
        self.spec = spec
        self.env = env
        self.client = env.client(SERVICE, spec)
        self.attempts = scheduled_attempts(SERVICE, spec.max_retry)
        json_path.parse(spec.response_path)  # a bad path fails the section at once, not every test
        self.arguments = invocation(spec, agentcore_response.EVENT_STREAM if spec.stream else "application/json")

    def session(self, test: AgentTest, repeat: int) -> RuntimeSession:
        return RuntimeSession(self)


class RuntimeSession:
    """One runtime session: its id, and the spans and trace ids of its turns (what AgentCore Evaluations scores)."""

    def __init__(self, runtime: AgentCoreRuntime) -> None:
        self.runtime = runtime
        self.session_id = str(uuid.uuid4())
        self.spans: list[dict[str, Any]] = []
        self.trace_ids: list[str] = []

    def send(self, text: str) -> TargetReply:
        spec = self.runtime.spec
        body = render(spec.payload, {"prompt": text, "session_id": self.session_id})
        trace_id = secrets.token_hex(16)
        arguments = {
            **self.runtime.arguments,
            "runtimeSessionId": self.session_id,
            "payload": json.dumps(body).encode(),
            "traceParent": f"00-{trace_id}-{secrets.token_hex(8)}-01",
        }

        def invoke_and_read() -> agentcore_response.RuntimeAnswer | Exception:
            response = self.runtime.client.invoke_agent_runtime(**arguments)
            try:
                return agentcore_response.read(response, spec.response_path)
            except (ResponseStreamingError, ProtocolError) as exc:  # botocore's StreamingBody wraps urllib3's
                return exc

        answer, attempts = call(self.runtime.env, invoke_and_read, self.runtime.attempts)
        if isinstance(answer, Exception):
            raise SessionBroken(f"the runtime's answer was cut mid-turn ({answer})")
        self.spans.extend(answer.spans)
        self.trace_ids.append(trace_id)
        return TargetReply(
            text=answer.text,
            tool_calls=otel_spans.tool_calls(answer.spans),
            attempts=attempts,
            data={"runtime_session_id": self.session_id, "trace_id": trace_id, "spans": answer.spans},
        )
