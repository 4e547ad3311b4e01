"""Agent-test targets: what the evaluator talks to. agenteval's key names are accepted beside evalcore's."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class _Target(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AwsTarget(_Target):
    region: str | None = Field(None, validation_alias=AliasChoices("region", "aws_region"))
    profile: str | None = Field(None, validation_alias=AliasChoices("profile", "aws_profile"))
    endpoint_url: str | None = None
    max_retry: int = Field(10, ge=0, le=50)


class BedrockAgentTarget(AwsTarget):
    type: Literal["bedrock-agent"]
    agent_id: str = Field(validation_alias=AliasChoices("agent_id", "bedrock_agent_id"))
    alias_id: str = Field(validation_alias=AliasChoices("alias_id", "bedrock_agent_alias_id"))
    session_attributes: dict[str, str] | None = Field(
        None, validation_alias=AliasChoices("session_attributes", "bedrock_session_attributes")
    )
    prompt_session_attributes: dict[str, str] | None = Field(
        None, validation_alias=AliasChoices("prompt_session_attributes", "bedrock_prompt_session_attributes")
    )


class KnowledgeBaseTarget(AwsTarget):
    type: Literal["bedrock-knowledge-base"]
    knowledge_base_id: str
    model_id: str


class BedrockModelTarget(AwsTarget):
    type: Literal["bedrock-model"]
    model_id: str
    system: str | None = None
    max_tokens: int = Field(1024, ge=1)
    temperature: float = Field(0.0, ge=0, le=1)


class BedrockFlowTarget(AwsTarget):
    type: Literal["bedrock-flow"]
    flow_id: str = Field(validation_alias=AliasChoices("flow_id", "bedrock_flow_id"))
    flow_alias_id: str = Field(validation_alias=AliasChoices("flow_alias_id", "bedrock_flow_alias_id"))


class QBusinessTarget(AwsTarget):
    type: Literal["q-business"]
    application_id: str = Field(validation_alias=AliasChoices("application_id", "q_business_application_id"))
    user_id: str | None = Field(None, validation_alias=AliasChoices("user_id", "q_business_user_id"))


class SageMakerTarget(AwsTarget):
    type: Literal["sagemaker-endpoint"]
    endpoint_name: str
    request_body: dict[str, Any]
    input_path: str
    output_path: str
    custom_attributes: str | None = None
    target_model: str | None = None
    target_variant: str | None = None
    target_container_hostname: str | None = None
    inference_component_name: str | None = None


class LexTarget(AwsTarget):
    type: Literal["lex-v2"]
    bot_id: str
    bot_alias_id: str
    locale_id: str


class LambdaTarget(AwsTarget):
    type: Literal["lambda"]
    function_name: str
    payload: dict[str, Any] = Field(default_factory=lambda: {"prompt": "{{prompt}}"})
    response_path: str = "$.response"


class HttpTarget(_Target):
    type: Literal["http"]
    url: str = Field(pattern=r"^https?://")
    method: Literal["POST", "PUT"] = "POST"
    headers: dict[str, str] = Field(
        default_factory=dict, description="Values may use ${ENV_VAR}; they are never printed."
    )
    body: dict[str, Any] = Field(default_factory=lambda: {"prompt": "{{prompt}}"})
    response_path: str = "$.response"
    timeout_seconds: float = Field(60.0, gt=0)


class CustomTarget(_Target):
    """agenteval's custom target: a class with `invoke(prompt)`, keyword arguments from the other keys."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(pattern=r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+$")


AnyTarget = (
    BedrockAgentTarget
    | KnowledgeBaseTarget
    | BedrockModelTarget
    | BedrockFlowTarget
    | QBusinessTarget
    | SageMakerTarget
    | LexTarget
    | LambdaTarget
    | HttpTarget
)

BUILTIN_TARGETS: dict[str, type[_Target]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls for cls in AnyTarget.__args__
}
