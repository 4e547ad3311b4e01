"""lambda: an AWS Lambda function. `payload` is a JSON template (`{{prompt}}`, `{{session_id}}`); the answer is
picked from the function's JSON result by `response_path`. A function error (FunctionError) fails the turn."""

from __future__ import annotations

import json
import uuid
from typing import Any

from evalcore.runners.agents.targets import TargetEnv, TargetReply, call, json_path, scheduled_attempts
from evalcore.runners.agents.targets.body_template import render
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import LambdaTarget

SERVICE = "lambda"


class LambdaFunction:
    model_id: str | None = None

    def __init__(self, spec: LambdaTarget, env: TargetEnv) -> None:
        self.spec = spec
        self.env = env
        self.client = env.client(SERVICE, spec)
        self.attempts = scheduled_attempts(SERVICE, spec.max_retry)
        json_path.parse(spec.response_path)

    def session(self, test: AgentTest, repeat: int) -> LambdaSession:
        return LambdaSession(self)


class LambdaSession:
    def __init__(self, function: LambdaFunction) -> None:
        self.function = function
        self.session_id = str(uuid.uuid4())

    def send(self, text: str) -> TargetReply:
        spec = self.function.spec
        payload = json.dumps(render(spec.payload, {"prompt": text, "session_id": self.session_id}))

        def invoke() -> Any:
            response = self.function.client.invoke(FunctionName=spec.function_name, Payload=payload.encode())
            body = response["Payload"].read()
            if response.get("FunctionError"):
                raise ValueError(f"the function failed ({response['FunctionError']}): {body[:200]!r}")
            return json.loads(body)

        document, attempts = call(self.function.env, invoke, self.function.attempts)
        answer = json_path.find(document, spec.response_path)
        return TargetReply(text=answer if isinstance(answer, str) else json.dumps(answer), attempts=attempts)
