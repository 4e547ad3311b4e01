"""boto3 against the emulator: what a model family does not support is refused as Bedrock refuses it (the capability
table, evalcore/aws_facts/model_capabilities.yml), `toolChoice: any` gets a tool call, and a tool's answer follows its schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from evalcore_emulator import Emulator

LLAMA_33 = "us.meta.llama3-3-70b-instruct-v1:0"
MISTRAL_LARGE = "mistral.mistral-large-2407-v1:0"
MISTRAL_7B = "mistral.mistral-7b-instruct-v0:2"
NOVA = "amazon.nova-pro-v1:0"
SONNET_37 = "anthropic.claude-3-7-sonnet-20250219-v1:0"
TITAN = "amazon.titan-text-express-v1"
USER = [{"role": "user", "content": [{"text": "What is the capital of France?"}]}]


def _tools(choice: dict[str, Any] | None, schema: dict[str, Any] | None = None, name: str = "answer") -> dict:
    schema = schema or {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    config: dict[str, Any] = {"tools": [{"toolSpec": {"name": name, "inputSchema": {"json": schema}}}]}
    if choice is not None:
        config["toolChoice"] = choice
    return config


def _refused(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Message"]


@pytest.mark.parametrize("model_id", [LLAMA_33, MISTRAL_LARGE, "cohere.command-r-plus-v1:0"])
def test_a_forced_tool_on_a_family_without_it_gets_awss_validation_exception(emulator: Emulator, model_id: str) -> None:
    client = emulator.client("bedrock-runtime")
    message = _refused(
        client.converse, modelId=model_id, messages=USER, toolConfig=_tools({"tool": {"name": "answer"}})
    )
    assert message == (
        "This model doesn't support the toolConfig.toolChoice.tool field. Remove toolConfig.toolChoice.tool and try again."
    )


@pytest.mark.parametrize("model_id", [NOVA, LLAMA_33])
def test_tool_choice_any_on_a_family_without_it_gets_awss_validation_exception(
    emulator: Emulator, model_id: str
) -> None:
    client = emulator.client("bedrock-runtime")
    message = _refused(client.converse, modelId=model_id, messages=USER, toolConfig=_tools({"any": {}}))
    assert message == (
        "This model doesn't support the toolConfig.toolChoice.any field. Remove toolConfig.toolChoice.any and try again."
    )


@pytest.mark.parametrize("model_id", [MISTRAL_7B, TITAN])
def test_a_system_prompt_to_a_family_without_system_prompts_is_refused(emulator: Emulator, model_id: str) -> None:
    client = emulator.client("bedrock-runtime")
    message = _refused(client.converse, modelId=model_id, messages=USER, system=[{"text": "Be brief."}])
    assert message.startswith("This model doesn't support system messages.")
    assert client.converse(modelId=model_id, messages=USER)["stopReason"] == "end_turn"


def test_tools_to_a_family_without_tool_use_are_refused(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")
    message = _refused(client.converse, modelId=TITAN, messages=USER, toolConfig=_tools(None))
    assert message == "This model doesn't support tool use."


def test_tools_in_converse_stream_to_a_family_without_streaming_tool_use_are_refused(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")
    message = _refused(client.converse_stream, modelId=LLAMA_33, messages=USER, toolConfig=_tools({"auto": {}}))
    assert message == "This model doesn't support tool use in streaming mode."


@pytest.mark.parametrize(
    ("identifier", "operation"),
    [
        (SONNET_37, "converse"),
        (SONNET_37, "invoke_model"),
        ("meta.llama3-3-70b-instruct-v1:0", "converse"),
        ("arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-3-70b-instruct-v1:0", "converse"),
    ],
)
def test_an_on_demand_call_to_a_profile_only_model_gets_awss_validation_exception(
    emulator: Emulator, identifier: str, operation: str
) -> None:
    client = emulator.client("bedrock-runtime")
    if operation == "converse":
        message = _refused(client.converse, modelId=identifier, messages=USER)
    else:
        body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "messages": USER}
        message = _refused(client.invoke_model, modelId=identifier, body=json.dumps(body))
    assert message == (
        f"Invocation of model ID {identifier} with on-demand throughput isn\u2019t supported. Retry your request with "
        "the ID or ARN of an inference profile that contains this model."
    )


def test_the_inference_profile_of_a_profile_only_model_is_served(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")
    profile_arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{SONNET_37}"
    for identifier in (f"us.{SONNET_37}", profile_arn):
        assert client.converse(modelId=identifier, messages=USER)["stopReason"] == "end_turn"
    assert _refused(client.converse, modelId=f"eu.{LLAMA_33[3:]}", messages=USER) == (
        "The provided model identifier is invalid."
    )


def test_tool_choice_any_answers_with_a_tool_call(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")
    response = client.converse(modelId=MISTRAL_LARGE, messages=USER, toolConfig=_tools({"any": {}}))
    assert response["stopReason"] == "tool_use"
    (block,) = response["output"]["message"]["content"]
    assert block["toolUse"]["name"] == "answer" and block["toolUse"]["input"] == {"answer": ""}
    assert [e.tool_choice for e in emulator.requests("Converse")] == ["any"]


def test_tool_choice_auto_may_answer_in_text(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")
    response = client.converse(modelId=NOVA, messages=USER, toolConfig=_tools({"auto": {}}))
    assert response["stopReason"] == "end_turn"
    assert "text" in response["output"]["message"]["content"][0]


def test_a_tool_answer_follows_the_tools_schema_with_no_added_fields(emulator: Emulator) -> None:
    """langchain-aws `with_structured_output` validates the tool input against its schema: bounds, enums, required
    fields, and no field the schema does not have (the emulator used to add `reasoning` and `rating`)."""
    schema = {
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": 1, "maximum": 5},
            "share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "label": {"type": "string", "enum": ["good", "bad"]},
            "name": {"type": "string", "minLength": 2},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
        "required": ["score", "share", "label", "name", "tags"],
    }
    client = emulator.client("bedrock-runtime")
    text = "Rate this.\n<response>Paris.</response>"
    response = client.converse(
        modelId=NOVA,
        messages=[{"role": "user", "content": [{"text": text}]}],
        toolConfig=_tools({"tool": {"name": "Rating"}}, schema, name="Rating"),
    )
    tool_input = response["output"]["message"]["content"][0]["toolUse"]["input"]
    assert set(tool_input) == set(schema["properties"])
    assert 1 <= tool_input["score"] <= 5 and isinstance(tool_input["score"], int)
    assert 0 < tool_input["share"] <= 1
    assert tool_input["label"] in ("good", "bad")
    assert len(tool_input["name"]) >= 2 and len(tool_input["tags"]) >= 1


def test_a_judge_asked_in_the_plain_text_protocol_answers_in_tags(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")
    text = (
        "Judge the response.\n\n<response>The capital of France is Paris.</response>\n\n"
        "<reference>The capital of France is Paris.</reference>\n\n"
        "Answer in exactly this format: each tag once, only the value inside it, nothing else:\n"
        "<reasoning>A short explanation of the rating</reasoning>\n"
        "<rating>The rating, from the scale: one of 0 | 1 | 2</rating>"
    )
    response = client.converse(modelId=LLAMA_33, messages=[{"role": "user", "content": [{"text": text}]}])
    answer = response["output"]["message"]["content"][0]["text"]
    assert response["stopReason"] == "end_turn"
    assert answer.splitlines()[1] == "<rating>2</rating>"
    assert answer.startswith("<reasoning>Token F1 of the response against the reference is 1.00.</reasoning>")
