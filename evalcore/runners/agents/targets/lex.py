"""lex-v2: Amazon Lex V2 RecognizeText with one session per test run. As agenteval: a dialog the bot closes
answers "Completed", otherwise the bot's first message; the interpretations are kept as trace data."""

from __future__ import annotations

import uuid

from evalcore.runners.agents.targets import TargetEnv, TargetReply, call, scheduled_attempts
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import LexTarget

SERVICE = "lexv2-runtime"


class LexBot:
    model_id: str | None = None

    def __init__(self, spec: LexTarget, env: TargetEnv) -> None:
        self.spec = spec
        self.env = env
        self.client = env.client(SERVICE, spec)
        self.attempts = scheduled_attempts(SERVICE, spec.max_retry)

    def session(self, test: AgentTest, repeat: int) -> LexSession:
        return LexSession(self)


class LexSession:
    def __init__(self, bot: LexBot) -> None:
        self.bot = bot
        self.session_id = str(uuid.uuid4())

    def send(self, text: str) -> TargetReply:
        spec = self.bot.spec
        arguments = {
            "botId": spec.bot_id,
            "botAliasId": spec.bot_alias_id,
            "localeId": spec.locale_id,
            "sessionId": self.session_id,
            "text": text,
        }
        response, attempts = call(self.bot.env, lambda: self.bot.client.recognize_text(**arguments), self.bot.attempts)
        closed = ((response.get("sessionState") or {}).get("dialogAction") or {}).get("type") == "Close"
        messages = response.get("messages") or []
        answer = "Completed" if closed or not messages else str(messages[0].get("content", ""))
        data = {key: value for key, value in response.items() if key != "ResponseMetadata"}
        return TargetReply(text=answer, data={"lexv2_interpretation_data": [data]}, attempts=attempts)
