"""The rules Bedrock enforces on a Converse/ConverseStream conversation beyond botocore's model (which the request
has already passed, see ``request_validation.py``). Each is a ValidationException (HTTP 400) with the words AWS
answers with, quoted from the source named beside it; indices in these messages are 0-based, as AWS writes them.
"""

from __future__ import annotations

from typing import Any

from evalcore_emulator.protocol import AwsError

# The emulator's earlier wording (see docs/emulator.md for its source status).
NO_USER_FIRST = (
    "A conversation must start with a user message. Try again with a conversation that starts with a user message."
)
# langchain-ai/langchain-aws#130, langchain-ai/langchainjs#6724, langgenius/dify#9294.
ALTERNATE = (
    "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between "
    "user and assistant roles and try again."
)
# theopenco/llmgateway#3127, archestra-ai/archestra#4220.
EMPTY_CONTENT = "The content field in the Message object at messages.{index} is empty. Add a ContentBlock object to the content field and try again."
# aws-amplify/amplify-backend#2977.
BLANK_TEXT = (
    "The text field in the ContentBlock object at messages.{index}.content.{block} is blank. Add text to the text "
    "field, and try again."
)
# patriceckhart/zot#18 quotes it; experientiallabs/experiential#399 describes the same refusal.
NO_TOOL_CONFIG = "The toolConfig field must be defined when using toolUse and toolResult content blocks."
# camel-ai/camel#3954.
MISSING_TOOL_RESULTS = "Expected toolResult blocks at messages.{index}.content for the following Ids: {ids}"
# No source gives AWS's wording for a toolChoice naming a tool that toolConfig.tools does not define; the emulator
# refuses it (Bedrock cannot force a tool it was not given) in words of its own, flagged as such in docs/emulator.md.
UNDEFINED_TOOL = "The tool {name} in toolConfig.toolChoice.tool is not defined in toolConfig.tools."


def check(body: dict[str, Any]) -> None:
    messages = body.get("messages") or []
    if messages and messages[0].get("role") != "user":
        raise AwsError(400, "ValidationException", NO_USER_FIRST)
    previous = None
    for index, message in enumerate(messages):
        if message.get("role") == previous:
            raise AwsError(400, "ValidationException", ALTERNATE)
        previous = message.get("role")
        content = message.get("content") or []
        if not content:
            raise AwsError(400, "ValidationException", EMPTY_CONTENT.format(index=index))
        for block_index, block in enumerate(content):
            text = block.get("text")
            if isinstance(text, str) and not text.strip():
                raise AwsError(400, "ValidationException", BLANK_TEXT.format(index=index, block=block_index))
    tool_config = body.get("toolConfig")
    if tool_config is None and any(
        "toolUse" in block or "toolResult" in block for message in messages for block in message.get("content") or []
    ):
        raise AwsError(400, "ValidationException", NO_TOOL_CONFIG)
    for index, message in enumerate(messages):
        uses = [block["toolUse"]["toolUseId"] for block in message.get("content") or [] if "toolUse" in block]
        if not uses:
            continue
        following = messages[index + 1]["content"] if index + 1 < len(messages) else []
        answered = {block["toolResult"]["toolUseId"] for block in following if "toolResult" in block}
        missing = [use for use in uses if use not in answered]
        if missing:
            raise AwsError(
                400, "ValidationException", MISSING_TOOL_RESULTS.format(index=index + 1, ids=", ".join(missing))
            )
    if tool_config is not None:
        forced = (tool_config.get("toolChoice") or {}).get("tool")
        defined = {(tool.get("toolSpec") or {}).get("name") for tool in tool_config.get("tools") or []}
        if forced is not None and forced.get("name") not in defined:
            raise AwsError(400, "ValidationException", UNDEFINED_TOOL.format(name=forced.get("name")))
