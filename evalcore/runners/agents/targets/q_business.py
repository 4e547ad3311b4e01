"""q-business: Amazon Q Business ChatSync. The conversation id and the last system message id are kept, so each
turn continues the test's conversation; source attributions are kept as citations (their URLs)."""

from __future__ import annotations

from typing import Any

from evalcore.runners.agents.targets import TargetEnv, TargetReply, call, scheduled_attempts
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import QBusinessTarget

SERVICE = "qbusiness"


class QBusinessApp:
    model_id: str | None = None

    def __init__(self, spec: QBusinessTarget, env: TargetEnv) -> None:
        self.spec = spec
        self.env = env
        self.client = env.client(SERVICE, spec)
        self.attempts = scheduled_attempts(SERVICE, spec.max_retry)

    def session(self, test: AgentTest, repeat: int) -> QBusinessSession:
        return QBusinessSession(self)


class QBusinessSession:
    def __init__(self, app: QBusinessApp) -> None:
        self.app = app
        self.conversation: dict[str, str] = {}

    def send(self, text: str) -> TargetReply:
        spec = self.app.spec
        arguments: dict[str, Any] = {"applicationId": spec.application_id, "userMessage": text, **self.conversation}
        if spec.user_id:
            arguments["userId"] = spec.user_id
        response, attempts = call(self.app.env, lambda: self.app.client.chat_sync(**arguments), self.app.attempts)
        self.conversation = {
            "conversationId": response["conversationId"],
            "parentMessageId": response["systemMessageId"],
        }
        sources = response.get("sourceAttributions") or []
        citations = [str(s.get("url") or s.get("title")) for s in sources if s.get("url") or s.get("title")]
        return TargetReply(
            text=response.get("systemMessage", ""),
            citations=citations,
            data={"q_business_source_attributions": sources},
            attempts=attempts,
        )
