"""bedrock-model: a Bedrock model with a system prompt, tested as an agent (Converse, with the conversation so far).

Each request carries the whole conversation, so the answer depends on the request alone: these calls are cached
like any model call (when the run has a cache).
"""

from __future__ import annotations

from typing import Any

from evalcore.bedrock.converse_response import text_of, tokens_of, trim_response, usage_of
from evalcore.bedrock.pricing import worst_case_tokens
from evalcore.domain.results import Usage
from evalcore.engine.cache import CacheKey, Endpoint
from evalcore.engine.scheduler import Call
from evalcore.runners.agents.targets import TargetEnv, TargetReply, scheduled_attempts
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import BedrockModelTarget

SERVICE = "bedrock-runtime"


class BedrockModel:
    def __init__(self, spec: BedrockModelTarget, env: TargetEnv) -> None:
        self.spec = spec
        self.env = env
        self.client = env.client(SERVICE, spec)
        self.attempts = scheduled_attempts(SERVICE, spec.max_retry)
        self.model_id = spec.model_id

    def session(self, test: AgentTest, repeat: int) -> ModelSession:
        return ModelSession(self, repeat)


class ModelSession:
    def __init__(self, model: BedrockModel, repeat: int) -> None:
        self.model = model
        self.repeat = repeat
        self.messages: list[dict[str, Any]] = []

    def send(self, text: str) -> TargetReply:
        spec = self.model.spec
        messages = [*self.messages, {"role": "user", "content": [{"text": text}]}]
        request: dict[str, Any] = {
            "modelId": spec.model_id,
            "messages": messages,
            "inferenceConfig": {"maxTokens": spec.max_tokens, "temperature": spec.temperature},
        }
        if spec.system:
            request["system"] = [{"text": spec.system}]
        client = self.model.client
        result = self.model.env.scheduler.call(
            Call(
                model=spec.model_id,
                fn=lambda: trim_response(client.converse(**request)),
                cache_key=CacheKey(Endpoint.of(client), "agent-target-turn", None, spec.model_id, request, self.repeat),
                tokens_of=tokens_of,
                max_attempts=self.model.attempts,
                worst_tokens=worst_case_tokens(request),
            )
        )
        response = result.value
        answer = text_of(response)
        self.messages = [*messages, {"role": "assistant", "content": [{"text": answer or "(no answer)"}]}]
        guardrail = "INTERVENED" if response.get("stopReason") == "guardrail_intervened" else None
        return TargetReply(
            text=answer,
            guardrail_action=guardrail,
            usage=usage_of(response) if not result.cached else Usage(),
            data={"stop_reason": response.get("stopReason")},
            attempts=result.attempts,
        )
