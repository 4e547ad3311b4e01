"""sagemaker-endpoint: InvokeEndpoint with agenteval's keys. The prompt is placed at `input_path` in a fresh copy
of `request_body` for every call (the plan's body is never changed, so parallel tests cannot see each other's
prompts); the answer is read at `output_path`."""

from __future__ import annotations

import copy
import json
from typing import Any

from evalcore.runners.agents.targets import TargetEnv, TargetReply, call, json_path, scheduled_attempts
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import SageMakerTarget

SERVICE = "sagemaker-runtime"
_OPTIONAL = {
    "custom_attributes": "CustomAttributes",
    "target_model": "TargetModel",
    "target_variant": "TargetVariant",
    "target_container_hostname": "TargetContainerHostname",
    "inference_component_name": "InferenceComponentName",
}


class SageMakerEndpoint:
    model_id: str | None = None

    def __init__(self, spec: SageMakerTarget, env: TargetEnv) -> None:
        self.spec = spec
        self.env = env
        self.client = env.client(SERVICE, spec)
        self.attempts = scheduled_attempts(SERVICE, spec.max_retry)
        json_path.parse(spec.input_path)
        json_path.parse(spec.output_path)
        self.arguments = {
            "EndpointName": spec.endpoint_name,
            "ContentType": "application/json",
            "Accept": "application/json",
            **{api: getattr(spec, key) for key, api in _OPTIONAL.items() if getattr(spec, key) is not None},
        }

    def session(self, test: AgentTest, repeat: int) -> SageMakerSession:
        return SageMakerSession(self)


class SageMakerSession:
    def __init__(self, endpoint: SageMakerEndpoint) -> None:
        self.endpoint = endpoint

    def send(self, text: str) -> TargetReply:
        spec = self.endpoint.spec
        body = copy.deepcopy(spec.request_body)
        json_path.put(body, spec.input_path, text)
        arguments = {**self.endpoint.arguments, "Body": json.dumps(body).encode()}

        def invoke() -> Any:
            response = self.endpoint.client.invoke_endpoint(**arguments)
            return json.loads(response["Body"].read())

        document, attempts = call(self.endpoint.env, invoke, self.endpoint.attempts)
        answer = json_path.find(document, spec.output_path)
        return TargetReply(text=answer if isinstance(answer, str) else json.dumps(answer), attempts=attempts)
