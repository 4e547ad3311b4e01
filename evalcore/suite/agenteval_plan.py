"""agenteval's plan file (`agenteval.yml`, agent-evaluation 0.4.1), read as it is."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

# agenteval's evaluator aliases and the Bedrock models they stand for.
EVALUATOR_ALIASES = {
    "claude-3": "anthropic.claude-3-sonnet-20240229-v1:0",
    "claude-3_5": "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "claude-3_7-us": "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    "claude-haiku-3_5-us": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "llama-3_3-us": "us.meta.llama3-3-70b-instruct-v1:0",
}


class PlanEvaluator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str | None = None
    custom_config: dict[str, Any] | None = None
    provisioned_throughput_arn: str | None = None
    aws_profile: str | None = None
    aws_region: str | None = None
    endpoint_url: str | None = None
    max_retry: int = Field(10, ge=0)

    @field_validator("model")
    @classmethod
    def _known(cls, model: str | None) -> str | None:
        if model is not None and model not in EVALUATOR_ALIASES and "." not in model:
            raise PydanticCustomError(
                "evaluator",
                "unknown evaluator model '{m}' (one of {aliases}, or a Bedrock model id)",
                {"m": model, "aliases": ", ".join(EVALUATOR_ALIASES)},
            )
        return model

    @model_validator(mode="after")
    def _model(self) -> PlanEvaluator:
        if self.model is None and self.custom_config is None:
            raise PydanticCustomError("evaluator", "set `model` (e.g. claude-3) or `custom_config`")
        if (
            self.model is None
            and self.provisioned_throughput_arn is None
            and "model_id" not in (self.custom_config or {})
        ):
            raise PydanticCustomError(
                "evaluator",
                "`custom_config` names no `model_id`: set `model` (e.g. claude-3) or `custom_config.model_id`",
            )
        return self

    def model_id(self) -> str:
        """The Bedrock model the evaluator runs on (provisioned throughput first, as agenteval does)."""
        if self.provisioned_throughput_arn:
            return self.provisioned_throughput_arn
        if self.custom_config and "model_id" in self.custom_config:
            return str(self.custom_config["model_id"])
        if self.model is None:  # the model's own rule refuses a plan evaluator without one
            raise ValueError("the evaluator names no model")
        return EVALUATOR_ALIASES.get(self.model, self.model)


class PlanTest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: list[str] = Field(min_length=1)
    expected_results: list[str] = Field(min_length=1)
    initial_prompt: str | None = None
    max_turns: int = Field(2, ge=1)
    hook: str | None = None


class AgentevalPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    evaluator: PlanEvaluator
    target: dict[str, Any]
    tests: dict[str, PlanTest] = Field(min_length=1)
