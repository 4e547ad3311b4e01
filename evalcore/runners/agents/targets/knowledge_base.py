"""bedrock-knowledge-base: RetrieveAndGenerate; the session id the first answer gives is sent from turn 2 on.

The model is given as an id (made into a foundation-model ARN in the client's region, as agenteval does) or as an
ARN (an inference profile or provisioned throughput), used as it is. Citations are kept as document URIs.
"""

from __future__ import annotations

from typing import Any

from evalcore.runners.agents.targets import TargetEnv, TargetReply, call, scheduled_attempts
from evalcore.runners.agents.targets.agent_trace import reference_uri
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import KnowledgeBaseTarget

SERVICE = "bedrock-agent-runtime"


class KnowledgeBase:
    def __init__(self, spec: KnowledgeBaseTarget, env: TargetEnv) -> None:
        self.spec = spec
        self.env = env
        self.client = env.client(SERVICE, spec)
        self.attempts = scheduled_attempts(SERVICE, spec.max_retry)
        self.model_id = spec.model_id
        region = self.client.meta.region_name
        self.model_arn = (
            spec.model_id
            if spec.model_id.startswith("arn:")
            else f"arn:aws:bedrock:{region}::foundation-model/{spec.model_id}"
        )

    def session(self, test: AgentTest, repeat: int) -> KnowledgeBaseSession:
        return KnowledgeBaseSession(self)


class KnowledgeBaseSession:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.session_id: str | None = None

    def send(self, text: str) -> TargetReply:
        request: dict[str, Any] = {
            "input": {"text": text},
            "retrieveAndGenerateConfiguration": {
                "type": "KNOWLEDGE_BASE",
                "knowledgeBaseConfiguration": {
                    "knowledgeBaseId": self.kb.spec.knowledge_base_id,
                    "modelArn": self.kb.model_arn,
                },
            },
        }
        if self.session_id:
            request["sessionId"] = self.session_id
        response, attempts = call(
            self.kb.env, lambda: self.kb.client.retrieve_and_generate(**request), self.kb.attempts, self.kb.model_id
        )
        self.session_id = response.get("sessionId") or self.session_id
        citations = response.get("citations") or []
        uris: list[str] = []
        for citation in citations:
            for reference in citation.get("retrievedReferences") or []:
                uri = reference_uri(reference)
                if uri and uri not in uris:
                    uris.append(uri)
        return TargetReply(
            text=(response.get("output") or {}).get("text", ""),
            citations=uris,
            guardrail_action=response.get("guardrailAction"),
            data={"bedrock_knowledgebase_citations": citations},
            attempts=attempts,
        )
