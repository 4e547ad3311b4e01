"""Converse through boto3 over HTTP: answers, usage, inference config, tools and errors."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from evalcore_emulator import Emulator, World

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
ORACLE = World.model_validate(
    {
        "answers": {"What is the capital of France?": "The capital of France is Paris."},
        "models": {SONNET: {"quality": 1}},
    }
)


def _user(text: str) -> list[dict]:
    return [{"role": "user", "content": [{"text": text}]}]


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_converse_answers_a_known_prompt_with_usage_and_latency(emulator: Emulator, mode: str) -> None:
    emulator.set_world(ORACLE)
    client = emulator.client("bedrock-runtime", retries={"mode": mode})

    response = client.converse(modelId=SONNET, messages=_user("What is the capital of France?"))

    assert response["output"]["message"] == {
        "role": "assistant",
        "content": [{"text": "The capital of France is Paris."}],
    }
    assert response["stopReason"] == "end_turn"
    assert response["usage"] == {"inputTokens": 8, "outputTokens": 8, "totalTokens": 16}
    assert response["metrics"]["latencyMs"] >= 1
    assert [r.operation for r in emulator.requests()] == ["Converse"]


def test_answers_are_deterministic_and_quality_separates_models(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")
    prompts = list(emulator.world.answers)

    def right(model: str) -> int:
        texts = [
            client.converse(modelId=model, messages=_user(p))["output"]["message"]["content"][0]["text"]
            for p in prompts
        ]
        again = [
            client.converse(modelId=model, messages=_user(p))["output"]["message"]["content"][0]["text"]
            for p in prompts
        ]
        assert texts == again
        return sum(text == emulator.world.answers[p] for p, text in zip(prompts, texts, strict=True))

    assert right(SONNET) > right("amazon.titan-text-express-v1")


def test_model_specific_canned_answer_wins(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")

    response = client.converse(modelId=HAIKU, messages=_user("say   HELLO."))

    assert response["output"]["message"]["content"][0]["text"] == "Hello! How can I help you today?"


@pytest.mark.parametrize(
    "identifier",
    [
        f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}",
        f"us.{HAIKU}",
        f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{HAIKU}",
        "claude-haiku",
    ],
)
def test_arns_profiles_and_aliases_name_the_same_model(emulator: Emulator, identifier: str) -> None:
    client = emulator.client("bedrock-runtime")
    direct = client.converse(modelId=HAIKU, messages=_user("What is the capital of Japan?"))

    aliased = client.converse(modelId=identifier, messages=_user("What is the capital of Japan?"))

    assert aliased["output"] == direct["output"]


def test_unknown_prompt_gets_the_documented_derived_answer_or_refusal(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")

    text = client.converse(modelId=SONNET, messages=_user("Tell me about otters"))["output"]["message"]["content"][0][
        "text"
    ]

    assert text in ("Here is what I know about: Tell me about otters", "I'm sorry, but I can't help with that request.")


def test_max_tokens_truncates_and_stop_sequences_cut(emulator: Emulator) -> None:
    emulator.set_world(ORACLE)
    client = emulator.client("bedrock-runtime")
    prompt = _user("What is the capital of France?")

    short = client.converse(modelId=SONNET, messages=prompt, inferenceConfig={"maxTokens": 2})
    stopped = client.converse(modelId=SONNET, messages=prompt, inferenceConfig={"stopSequences": ["France"]})

    assert short["stopReason"] == "max_tokens"
    assert short["output"]["message"]["content"][0]["text"] == "The capi"
    assert short["usage"]["outputTokens"] == 2
    assert stopped["stopReason"] == "stop_sequence"
    assert stopped["output"]["message"]["content"][0]["text"] == "The capital of "


def test_unknown_model_is_a_validation_error_like_bedrock(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")

    with pytest.raises(ClientError) as caught:
        client.converse(modelId="anthropic.claude-9", messages=_user("hi"))

    error = caught.value.response
    assert error["Error"] == {"Code": "ValidationException", "Message": "The provided model identifier is invalid."}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ValidationException"
    assert isinstance(caught.value, client.exceptions.ValidationException)


def test_conversation_must_start_with_user(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")

    with pytest.raises(client.exceptions.ValidationException):
        client.converse(modelId=HAIKU, messages=[{"role": "assistant", "content": [{"text": "hi"}]}])


def test_embedding_model_refuses_converse(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")

    with pytest.raises(client.exceptions.ValidationException):
        client.converse(modelId="amazon.titan-embed-text-v2:0", messages=_user("hi"))


def test_world_swap_changes_answers(emulator: Emulator) -> None:
    emulator.set_world(World.model_validate({"models": {HAIKU: {"answers": {"hi": "custom"}}}}))
    client = emulator.client("bedrock-runtime")

    response = client.converse(modelId=HAIKU, messages=_user("hi"))

    assert response["output"]["message"]["content"][0]["text"] == "custom"


def test_model_without_access_is_access_denied(emulator: Emulator) -> None:
    emulator.set_world(World.model_validate({"models": {HAIKU: {"access_granted": False}}}))
    client = emulator.client("bedrock-runtime", retries={"mode": "standard"})

    with pytest.raises(client.exceptions.AccessDeniedException) as caught:
        client.converse(modelId=HAIKU, messages=_user("hi"))

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert len(emulator.requests("Converse")) == 1
