"""The emulator refuses what Bedrock refuses: constraints of botocore's input shapes (which boto3's own
ParamValidator does not check: it checks types and required members only) and Bedrock's semantic rules, with
AWS's ValidationException, status 400 and wording."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from evalcore_emulator import Emulator

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
USER = {"role": "user", "content": [{"text": "What is 2 + 2?"}]}
ASSISTANT = {"role": "assistant", "content": [{"text": "4"}]}
TOOLS = {"tools": [{"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object"}}}}]}
TOOL_USE = {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {}}}]}
TOOL_RESULT = {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "found"}]}}]}


def _refusal(emulator: Emulator, **kwargs: Any) -> str:
    # boto3's ParamValidator checks types, required members and minimums only; with it off, boto3 sends what the
    # model forbids, as other SDKs do, and the server must refuse it.
    client = emulator.client("bedrock-runtime", retries={"max_attempts": 1}, parameter_validation=False)
    with pytest.raises(ClientError) as caught:
        client.converse(modelId=HAIKU, **kwargs)
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Error"]["Message"]


def test_max_tokens_zero_is_refused_with_awss_constraint_message(emulator: Emulator) -> None:
    message = _refusal(emulator, messages=[USER], inferenceConfig={"maxTokens": 0})

    assert message == (
        "1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )


def test_temperature_above_the_models_range_is_refused(emulator: Emulator) -> None:
    message = _refusal(emulator, messages=[USER], inferenceConfig={"temperature": 5})

    assert "Value '5' at 'inferenceConfig.temperature'" in message
    assert "Member must have value less than or equal to 1" in message


def test_several_violations_are_counted_in_one_message(emulator: Emulator) -> None:
    message = _refusal(emulator, messages=[USER], inferenceConfig={"maxTokens": 0, "topP": 2})

    assert message.startswith("2 validation errors detected: ")
    assert "'inferenceConfig.topP'" in message and "'inferenceConfig.maxTokens'" in message


def test_an_enum_outside_the_models_set_is_refused(emulator: Emulator) -> None:
    message = _refusal(emulator, messages=[{"role": "bot", "content": [{"text": "hi"}]}])

    assert message == (
        "1 validation error detected: Value 'bot' at 'messages.1.member.role' failed to satisfy constraint: "
        "Member must satisfy enum value set: [user, assistant, system]"
    )


def test_a_model_id_off_the_models_pattern_is_refused_over_raw_http(emulator: Emulator) -> None:
    status, error_type, message = _raw(emulator, "POST", "/model/not%20a%20model/converse", {"messages": [USER]})

    assert (status, error_type) == (400, "ValidationException")
    assert "at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern" in message


def test_a_missing_required_member_is_refused_over_raw_http(emulator: Emulator) -> None:
    body = {"messages": [{"role": "user"}]}
    status, _, message = _raw(emulator, "POST", f"/model/{HAIKU}/converse", body)

    assert status == 400
    assert "Value null at 'messages.1.member.content' failed to satisfy constraint: Member must not be null" in message


def test_a_wrong_json_type_is_refused_over_raw_http(emulator: Emulator) -> None:
    body = {"messages": [USER], "inferenceConfig": {"maxTokens": "many"}}
    status, error_type, message = _raw(emulator, "POST", f"/model/{HAIKU}/converse", body)

    assert (status, error_type) == (400, "ValidationException")
    assert "'inferenceConfig.maxTokens'" in message


def test_two_user_turns_in_a_row_are_refused(emulator: Emulator) -> None:
    message = _refusal(emulator, messages=[USER, USER])

    assert message.startswith("A conversation must alternate between user and assistant roles.")


def test_a_conversation_starting_with_the_assistant_is_refused(emulator: Emulator) -> None:
    message = _refusal(emulator, messages=[ASSISTANT, USER])

    assert message.startswith("A conversation must start with a user message.")


def test_an_empty_content_list_is_refused(emulator: Emulator) -> None:
    message = _refusal(emulator, messages=[USER, {"role": "assistant", "content": []}, USER])

    assert message == (
        "The content field in the Message object at messages.1 is empty. "
        "Add a ContentBlock object to the content field and try again."
    )


def test_a_blank_text_block_is_refused(emulator: Emulator) -> None:
    message = _refusal(emulator, messages=[{"role": "user", "content": [{"text": "hi"}, {"text": "  "}]}])

    assert message == (
        "The text field in the ContentBlock object at messages.0.content.1 is blank. Add text to the text field, "
        "and try again."
    )


def test_tool_choice_naming_an_undefined_tool_is_refused(emulator: Emulator) -> None:
    config = {**TOOLS, "toolChoice": {"tool": {"name": "other"}}}

    message = _refusal(emulator, messages=[USER], toolConfig=config)

    assert "other" in message and "toolConfig.tools" in message


def test_tool_use_without_a_following_tool_result_is_refused(emulator: Emulator) -> None:
    message = _refusal(emulator, messages=[USER, TOOL_USE, USER], toolConfig=TOOLS)

    assert message == "Expected toolResult blocks at messages.2.content for the following Ids: t1"


def test_tool_blocks_without_tool_config_are_refused(emulator: Emulator) -> None:
    message = _refusal(emulator, messages=[USER, TOOL_USE, TOOL_RESULT])

    assert message == "The toolConfig field must be defined when using toolUse and toolResult content blocks."


def test_a_well_formed_tool_round_trip_is_answered(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")

    response = client.converse(modelId=HAIKU, messages=[USER, TOOL_USE, TOOL_RESULT], toolConfig=TOOLS)

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"anthropic_version": "bedrock-2099-01-01"}, "Invalid API version: bedrock-2099-01-01"),
        ({"max_tokens": 0}, "#/max_tokens: 0 is not greater or equal to 1"),
        ({"colour": "blue"}, "#: extraneous key [colour] is not permitted"),
    ],
)
def test_anthropic_invoke_bodies_are_checked_like_bedrock(
    emulator: Emulator, change: dict[str, Any], fragment: str
) -> None:
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "messages": [USER], **change}
    client = emulator.client("bedrock-runtime", retries={"max_attempts": 1})

    with pytest.raises(ClientError) as caught:
        client.invoke_model(modelId=HAIKU, body=json.dumps(body))

    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert fragment in caught.value.response["Error"]["Message"]


def test_a_batch_job_name_is_not_a_job_identifier(emulator: Emulator) -> None:
    client = emulator.client("bedrock", retries={"max_attempts": 1})

    with pytest.raises(ClientError) as caught:
        client.get_model_invocation_job(jobIdentifier="my-nightly-job")

    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "at 'jobIdentifier' failed to satisfy constraint" in caught.value.response["Error"]["Message"]


def _raw(emulator: Emulator, method: str, path: str, body: Any) -> tuple[int, str, str]:
    request = urllib.request.Request(
        emulator.endpoint + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, "", response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("x-amzn-ErrorType", ""), json.loads(error.read())["message"]
