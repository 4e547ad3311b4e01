"""bedrock-flow: InvokeFlow with the prompt as the input node's document (as agenteval sends it); the answer is the
output nodes' documents. The whole invoke and stream read is the retried unit, as for agents."""

from __future__ import annotations

from typing import Any

from evalcore.runners.agents.targets import TargetEnv, TargetReply, call, scheduled_attempts
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import BedrockFlowTarget

SERVICE = "bedrock-agent-runtime"


class BedrockFlow:
    model_id: str | None = None

    def __init__(self, spec: BedrockFlowTarget, env: TargetEnv) -> None:
        self.spec = spec
        self.env = env
        self.client = env.client(SERVICE, spec)
        self.attempts = scheduled_attempts(SERVICE, spec.max_retry)

    def session(self, test: AgentTest, repeat: int) -> FlowSession:
        return FlowSession(self)


class FlowSession:
    def __init__(self, flow: BedrockFlow) -> None:
        self.flow = flow

    def send(self, text: str) -> TargetReply:
        spec = self.flow.spec
        arguments = {
            "flowIdentifier": spec.flow_id,
            "flowAliasIdentifier": spec.flow_alias_id,
            "enableTrace": True,
            "inputs": [{"content": {"document": text}, "nodeName": "FlowInputNode", "nodeOutputName": "document"}],
        }

        def invoke_and_read() -> tuple[str, list[Any]]:
            response = self.flow.client.invoke_flow(**arguments)
            parts: list[str] = []
            traces: list[Any] = []
            for event in response["responseStream"]:
                errors = {k: v for k, v in event.items() if k.endswith("Exception")}
                if errors:
                    raise ValueError(f"the flow failed: {errors}")
                if "flowTraceEvent" in event:
                    traces.append(event["flowTraceEvent"].get("trace"))
                output = event.get("flowOutputEvent")
                if output and output.get("nodeType", "FlowOutputNode") == "FlowOutputNode":
                    document = (output.get("content") or {}).get("document", "")
                    parts.append(document if isinstance(document, str) else str(document))
            return "".join(parts), traces

        (answer, traces), attempts = call(self.flow.env, invoke_and_read, self.flow.attempts)
        return TargetReply(text=answer, data={"bedrock_flow_trace": traces}, attempts=attempts)
