"""Agent-test targets: what the evaluator talks to. agenteval's key names are accepted beside evalcore's."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator


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


class AgentCoreRuntimeAddress(AwsTarget):
    """Where an AgentCore Runtime is, as InvokeAgentRuntime takes it (botocore's bedrock-agentcore model:
    `agentRuntimeArn` is the runtime's ARN, or its id with `accountId`; `qualifier` names the endpoint)."""

    agent_runtime_arn: str = Field(min_length=1, description="The runtime's ARN, or its id with `account_id`.")
    account_id: str | None = Field(None, pattern=r"^[0-9]{12}$")
    qualifier: str | None = Field(None, description="The endpoint (default: the runtime's DEFAULT endpoint).")

    @model_validator(mode="after")
    def _arn_or_id_with_account(self) -> AgentCoreRuntimeAddress:
        if not self.agent_runtime_arn.startswith("arn:") and self.account_id is None:
            raise ValueError("`agent_runtime_arn` is a runtime id, not an ARN: give `account_id` too")
        return self


class AgentCoreRuntimeTarget(AgentCoreRuntimeAddress):
    """An agent hosted on Bedrock AgentCore Runtime, called with InvokeAgentRuntime."""

    type: Literal["agentcore-runtime"]
    payload: dict[str, Any] = Field(default_factory=lambda: {"prompt": "{{prompt}}"})
    response_path: str = Field("$.response", description="Where a JSON response holds the answer.")
    stream: bool = Field(False, description="Ask for text/event-stream (Accept); either answer type is read.")


class AgentCoreMcpTarget(AgentCoreRuntimeAddress):
    """An MCP server hosted on Bedrock AgentCore Runtime, its tools called with InvokeAgentRuntime: the payload is a
    JSON-RPC 2.0 message, `mcpSessionId`/`mcpProtocolVersion`/`mcpMethod`/`mcpName` go as headers (botocore's
    bedrock-agentcore model, InvokeAgentRuntimeRequest). Its tests are `tool:` tests."""

    type: Literal["agentcore-mcp"]
    protocol_version: str = Field(
        "2025-06-18", min_length=1, description="The MCP protocol revision asked for at `initialize`."
    )


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
    | AgentCoreRuntimeTarget
    | AgentCoreMcpTarget
)

BUILTIN_TARGETS: dict[str, type[_Target]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls for cls in AnyTarget.__args__
}
