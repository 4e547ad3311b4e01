"""The model catalogue (ListFoundationModels, GetFoundationModel), CountTokens and additionalModelResponseFields,
through boto3."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from evalcore_emulator import Emulator

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
USER = {"role": "user", "content": [{"text": "What is 2 + 2?"}]}


def test_list_foundation_models_lists_the_worlds_models_with_table_capabilities(emulator: Emulator) -> None:
    summaries = emulator.client("bedrock").list_foundation_models()["modelSummaries"]

    by_id = {s["modelId"]: s for s in summaries}
    assert set(by_id) == set(emulator.world.models)
    haiku = by_id[HAIKU]
    assert haiku["providerName"] == "Anthropic" and haiku["inferenceTypesSupported"] == ["ON_DEMAND"]
    assert haiku["modelArn"].endswith(f":foundation-model/{HAIKU}")


def test_list_foundation_models_filters_by_provider_and_output_modality(emulator: Emulator) -> None:
    client = emulator.client("bedrock")

    anthropic = client.list_foundation_models(byProvider="anthropic")["modelSummaries"]
    embeddings = client.list_foundation_models(byOutputModality="EMBEDDING")["modelSummaries"]

    assert anthropic and all(s["providerName"] == "Anthropic" for s in anthropic)
    assert all(s["outputModalities"] == ["EMBEDDING"] for s in embeddings)


def test_get_foundation_model_by_id_and_by_arn(emulator: Emulator) -> None:
    client = emulator.client("bedrock")
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"

    by_id, by_arn = client.get_foundation_model(modelIdentifier=HAIKU), client.get_foundation_model(modelIdentifier=arn)

    assert by_id["modelDetails"] == by_arn["modelDetails"]
    assert by_id["modelDetails"]["responseStreamingSupported"] is True


def test_get_foundation_model_of_an_unknown_model_is_not_found(emulator: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        emulator.client("bedrock").get_foundation_model(modelIdentifier="acme.unknown-model-v1:0")

    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_count_tokens_counts_a_converse_input_as_converse_bills_it(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")

    counted = client.count_tokens(modelId=HAIKU, input={"converse": {"messages": [USER]}})["inputTokens"]
    billed = client.converse(modelId=HAIKU, messages=[USER])["usage"]["inputTokens"]

    assert counted == billed > 0


def test_count_tokens_counts_an_invoke_model_body(emulator: Emulator) -> None:
    message = {"role": "user", "content": [{"type": "text", "text": "What is 2 + 2?"}]}
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "messages": [message]}
    client = emulator.client("bedrock-runtime")

    counted = client.count_tokens(modelId=HAIKU, input={"invokeModel": {"body": json.dumps(body).encode()}})
    invoked = client.invoke_model(modelId=HAIKU, body=json.dumps(body))["ResponseMetadata"]["HTTPHeaders"]

    assert counted["inputTokens"] == int(invoked["x-amzn-bedrock-input-token-count"]) > 0


def test_additional_model_response_field_paths_return_the_models_own_fields(emulator: Emulator) -> None:
    response = emulator.client("bedrock-runtime").converse(
        modelId=HAIKU, messages=[USER], additionalModelResponseFieldPaths=["/stop_sequence", "/no_such_field"]
    )

    assert response["additionalModelResponseFields"] == {"stop_sequence": None}


def test_converse_stream_sends_additional_fields_in_message_stop(emulator: Emulator) -> None:
    response = emulator.client("bedrock-runtime").converse_stream(
        modelId=HAIKU, messages=[USER], additionalModelResponseFieldPaths=["/stop_sequence"]
    )

    stops = [event["messageStop"] for event in response["stream"] if "messageStop" in event]
    assert stops[0]["additionalModelResponseFields"] == {"stop_sequence": None}
