"""bedrock-agent: InvokeAgent with a new session per test run, session attributes and the trace on.

The retried unit is the whole call, invoke and stream read: a throttlingException inside the event stream
(botocore raises EventStreamError while iterating and does not retry it) makes the scheduler send the turn again. A
connection cut mid-stream does not: the agent took the turn in (its session moved on), so resending it would talk
to a session the test no longer knows; the turn raises SessionBroken and the runner starts the test over. A `returnControl` event is answered from the test's `return_control` values, looked
up by function name, `actionGroup.function`, or API path; without a value the turn stops and the test says why.
"""

from __future__ import annotations

import uuid
from typing import Any

from urllib3.exceptions import ProtocolError

from evalcore.domain.results import ToolCall
from evalcore.runners.agents.targets import SessionBroken, TargetEnv, TargetReply, call, scheduled_attempts
from evalcore.runners.agents.targets import agent_trace as tr
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import BedrockAgentTarget

SERVICE = "bedrock-agent-runtime"
MAX_RETURN_CONTROL_ROUNDS = 10


class BedrockAgent:
    model_id: str | None = None

    def __init__(self, spec: BedrockAgentTarget, env: TargetEnv) -> None:
        self.spec = spec
        self.env = env
        self.client = env.client(SERVICE, spec)
        self.attempts = scheduled_attempts(SERVICE, spec.max_retry)

    def session(self, test: AgentTest, repeat: int) -> AgentSession:
        return AgentSession(self, test)


class AgentSession:
    def __init__(self, agent: BedrockAgent, test: AgentTest) -> None:
        self.agent = agent
        self.test = test
        self.session_id = str(uuid.uuid4())

    def send(self, text: str) -> TargetReply:
        reply = TargetReply(text="")
        read = self._invoke({"inputText": text}, reply)
        for _ in range(MAX_RETURN_CONTROL_ROUNDS):
            if read.return_control is None:
                return reply
            requested = tr.return_control_calls(read.return_control)
            _add_calls(reply.tool_calls, requested)
            results, missing = self._answers(read.return_control)
            if missing:
                reply.blocked = (
                    f"the agent returned control to run {', '.join(missing)} and the test has no `return_control` "
                    "value for it"
                )
                return reply
            state = {"invocationId": read.return_control.get("invocationId"), "returnControlInvocationResults": results}
            read = self._invoke({}, reply, state)
        reply.blocked = f"the agent returned control more than {MAX_RETURN_CONTROL_ROUNDS} times in one turn"
        return reply

    def _invoke(self, body: dict[str, Any], reply: TargetReply, state: dict[str, Any] | None = None) -> tr.StreamRead:
        spec = self.agent.spec
        session_state: dict[str, Any] = dict(state or {})
        if spec.session_attributes:
            session_state["sessionAttributes"] = dict(spec.session_attributes)
        if spec.prompt_session_attributes:
            session_state["promptSessionAttributes"] = dict(spec.prompt_session_attributes)
        request = {
            "agentId": spec.agent_id,
            "agentAliasId": spec.alias_id,
            "sessionId": self.session_id,
            "enableTrace": True,
            **body,
        }
        if session_state:
            request["sessionState"] = session_state

        def invoke_and_read() -> tr.StreamRead | ProtocolError:
            response = self.agent.client.invoke_agent(**request)
            try:
                return tr.read_stream(response["completion"])
            except ProtocolError as exc:  # urllib3's, unwrapped by botocore: the stream was cut mid-turn
                return exc

        read, attempts = call(self.agent.env, invoke_and_read, self.agent.attempts)
        reply.attempts += attempts
        if isinstance(read, ProtocolError):
            raise SessionBroken(f"the agent's answer stream was cut mid-turn ({read})")
        reply.text += read.text
        _add_calls(reply.tool_calls, tr.tool_calls(read.traces))
        for uri in [*tr.knowledge_base_citations(read.traces), *read.citations]:
            if uri not in reply.citations:
                reply.citations.append(uri)
        action = tr.guardrail_action(read.traces)
        if action and reply.guardrail_action != "INTERVENED":
            reply.guardrail_action = action
        reply.usage += tr.usage(read.traces)
        reply.model_id = reply.model_id or tr.foundation_model(read.traces)
        reply.data.setdefault("bedrock_agent_trace", []).extend(read.traces)
        return read

    def _answers(self, payload: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
        values = self.test.return_control
        results, missing = [], []
        for member in payload.get("invocationInputs") or []:
            function = member.get("functionInvocationInput")
            if function is not None:
                name = function.get("function", "")
                group = function.get("actionGroup", "")
                value = values.get(name, values.get(f"{group}.{name}"))
                if value is None:
                    missing.append(f"{group}.{name}")
                    continue
                results.append(
                    {
                        "functionResult": {
                            "actionGroup": group,
                            "function": name,
                            "responseBody": {"TEXT": {"body": value}},
                        }
                    }
                )
                continue
            api = member.get("apiInvocationInput") or {}
            path, group = api.get("apiPath", ""), api.get("actionGroup", "")
            value = values.get(path, values.get(f"{group}.{path}"))
            if value is None:
                missing.append(f"{group} {api.get('httpMethod', '')} {path}".strip())
                continue
            results.append(
                {
                    "apiResult": {
                        "actionGroup": group,
                        "apiPath": path,
                        "httpMethod": api.get("httpMethod", "GET"),
                        "httpStatusCode": 200,
                        "responseBody": {"application/json": {"body": value}},
                    }
                }
            )
        return results, missing


def _add_calls(into: list[ToolCall], calls: list[ToolCall]) -> None:
    for c in calls:
        if c not in into:
            into.append(c)
