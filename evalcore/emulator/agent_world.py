"""World-file sections for agents, knowledge bases and jobs (to be filled in)."""

from pydantic import BaseModel, ConfigDict


class AgentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KnowledgeBaseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duration_seconds: float = 0.5
