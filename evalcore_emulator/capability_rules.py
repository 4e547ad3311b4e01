"""What Bedrock refuses of a model family, by evalcore/aws_facts/model_capabilities.yml (the table evalcore itself reads).

Each refusal is a ValidationException (HTTP 400) with the message users get from AWS (sources in the table's
`sources`):

- an on-demand call (a bare model id or a foundation-model ARN) to a model served only through inference profiles,
  on every bedrock-runtime model operation: :data:`ON_DEMAND` (cline/cline#2482, FlowiseAI/Flowise#4253);
- a system-defined profile of a geography the model has none in: the invalid-identifier message;
- Converse to a model that is not a chat model: :data:`NOT_CHAT`;
- `system` to a family without system prompts: :data:`NO_SYSTEM` (567-labs/instructor#1753);
- `toolConfig` to a family without tool use: :data:`NO_TOOLS` (wording not confirmed by a source);
- `toolChoice.tool` / `toolChoice.any` to a family without it: :func:`no_tool_choice` (vercel/ai#4396,
  strands-agents/harness-sdk#1241);
- `toolConfig` in ConverseStream to a family without streaming tool use: :data:`NO_STREAMING_TOOLS`
  (n8n-io/n8n#14206).

A model the table does not know is refused nothing. Guardrails, documents and images are not checked here.
"""

from __future__ import annotations

from typing import Any

from evalcore.aws_facts.model_capabilities import lookup
from evalcore_emulator.models import INVALID_MODEL
from evalcore_emulator.protocol import AwsError

# AWS writes "isn\u2019t" with a typographic apostrophe (the issue threads above quote it so).
ON_DEMAND = (
    "Invocation of model ID {model} with on-demand throughput isn\u2019t supported. Retry your request with the ID or "
    "ARN of an inference profile that contains this model."
)
NO_SYSTEM = (
    "This model doesn't support system messages. Try again without a system message or use a model that supports "
    "system messages."
)
NO_TOOLS = "This model doesn't support tool use."
NO_STREAMING_TOOLS = "This model doesn't support tool use in streaming mode."
NOT_CHAT = "This action doesn't support the model that you provided. Try again with a supported text or chat model."


def no_tool_choice(kind: str) -> str:
    return f"This model doesn't support the toolConfig.toolChoice.{kind} field. Remove toolConfig.toolChoice.{kind} and try again."


def check_model(identifier: str) -> None:
    """The refusals of any bedrock-runtime model operation: on-demand use of a profile-only model, a profile of a
    geography the model does not have."""
    ref = lookup(identifier)
    if ref.on_demand_refused():
        raise AwsError(400, "ValidationException", ON_DEMAND.format(model=identifier))
    if ref.unknown_geography():
        raise AwsError(400, "ValidationException", INVALID_MODEL)


def check_converse(identifier: str, body: dict[str, Any], streaming: bool) -> None:
    """The refusals of a Converse or ConverseStream request."""
    check_model(identifier)
    caps = lookup(identifier).capabilities
    if caps is None:
        return
    if not caps.converse:
        raise AwsError(400, "ValidationException", NOT_CHAT)
    if body.get("system") and not caps.system_prompts:
        raise AwsError(400, "ValidationException", NO_SYSTEM)
    tool_config = body.get("toolConfig")
    if not tool_config:
        return
    if not caps.tool_use:
        raise AwsError(400, "ValidationException", NO_TOOLS)
    choice = tool_config.get("toolChoice") or {}
    if "tool" in choice and not caps.tool_choice_tool:
        raise AwsError(400, "ValidationException", no_tool_choice("tool"))
    if "any" in choice and not caps.tool_choice_any:
        raise AwsError(400, "ValidationException", no_tool_choice("any"))
    if streaming and not caps.streaming_tool_use:
        raise AwsError(400, "ValidationException", NO_STREAMING_TOOLS)


def tool_choice(body: Any) -> str | None:
    """How a Converse body asks for tools, for the request log: "tool", "any", "auto" (a toolConfig without a
    choice is auto), or None without toolConfig."""
    tool_config = body.get("toolConfig") if isinstance(body, dict) else None
    if not isinstance(tool_config, dict):
        return None
    choice = tool_config.get("toolChoice") or {}
    return next((kind for kind in ("tool", "any", "auto") if kind in choice), "auto")
