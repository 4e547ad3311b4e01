"""InvokeModel through boto3 over HTTP: each model family's body, token headers, embeddings, guardrail headers."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from botocore.exceptions import EventStreamError

from evalcore_emulator import Emulator, World

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TITAN = "amazon.titan-text-express-v1"
LLAMA = "meta.llama3-8b-instruct-v1:0"
EMBED = "amazon.titan-embed-text-v2:0"
QUESTION = "What is 2 + 2?"
ANSWER = "2 + 2 equals 4."
ORACLE = World.model_validate(
    {"answers": {QUESTION: ANSWER}, "models": {m: {"quality": 1} for m in (HAIKU, TITAN, LLAMA, EMBED)}}
)


def _invoke(emulator: Emulator, model: str, body: dict[str, Any], mode: str = "standard", **kwargs: Any) -> Any:
    client = emulator.client("bedrock-runtime", retries={"mode": mode})
    response = client.invoke_model(modelId=model, body=json.dumps(body), **kwargs)
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_anthropic_messages_body_and_token_headers(emulator: Emulator, mode: str) -> None:
    emulator.set_world(ORACLE)
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": QUESTION}],
    }

    payload, headers = _invoke(emulator, HAIKU, body, mode)

    assert payload["type"] == "message"
    assert payload["role"] == "assistant"
    assert payload["model"] == "claude-3-haiku-20240307"
    assert payload["content"] == [{"type": "text", "text": ANSWER}]
    assert payload["stop_reason"] == "end_turn"
    assert payload["usage"] == {"input_tokens": 4, "output_tokens": 4}
    assert headers["x-amzn-bedrock-input-token-count"] == "4"
    assert headers["x-amzn-bedrock-output-token-count"] == "4"
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 1


def test_anthropic_legacy_completion_prompt(emulator: Emulator) -> None:
    emulator.set_world(ORACLE)

    payload, _ = _invoke(
        emulator, HAIKU, {"prompt": f"\n\nHuman: {QUESTION}\n\nAssistant:", "max_tokens_to_sample": 50}
    )

    assert payload["completion"] == ANSWER
    assert payload["stop_reason"] == "stop_sequence"


def test_anthropic_body_without_max_tokens_is_rejected_like_bedrock(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")
    body = {"anthropic_version": "bedrock-2023-05-31", "messages": [{"role": "user", "content": "hi"}]}

    with pytest.raises(client.exceptions.ValidationException, match=r"required key \[max_tokens\] not found"):
        client.invoke_model(modelId=HAIKU, body=json.dumps(body))


def test_titan_text_body(emulator: Emulator) -> None:
    emulator.set_world(ORACLE)

    payload, _ = _invoke(
        emulator, TITAN, {"inputText": f"User: {QUESTION}\nBot:", "textGenerationConfig": {"maxTokenCount": 2}}
    )

    assert payload["inputTextTokenCount"] == 4
    assert payload["results"] == [{"tokenCount": 2, "outputText": ANSWER[:8], "completionReason": "LENGTH"}]


def test_llama3_prompt_template(emulator: Emulator) -> None:
    emulator.set_world(ORACLE)
    prompt = (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        f"<|start_header_id|>user<|end_header_id|>\n\n{QUESTION}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    )

    payload, _ = _invoke(emulator, LLAMA, {"prompt": prompt, "max_gen_len": 100})

    assert payload == {
        "generation": ANSWER,
        "prompt_token_count": 6,
        "generation_token_count": 4,
        "stop_reason": "stop",
    }


def test_titan_embeddings_are_deterministic_unit_vectors_that_track_word_overlap(emulator: Emulator) -> None:
    def vector(text: str) -> list[float]:
        payload, headers = _invoke(emulator, EMBED, {"inputText": text, "dimensions": 256})
        assert payload["inputTextTokenCount"] == math.ceil(len(text) / 4)
        assert headers["x-amzn-bedrock-input-token-count"] == str(payload["inputTextTokenCount"])
        return payload["embedding"]

    a, a_again = vector("refund policy for damaged items"), vector("refund policy for damaged items")
    near, far = vector("policy for refund of damaged goods"), vector("weather in Lisbon tomorrow")

    assert a == a_again
    assert len(a) == 256
    assert math.isclose(sum(v * v for v in a), 1.0)
    cosine = lambda u, v: sum(x * y for x, y in zip(u, v, strict=True))  # noqa: E731
    assert cosine(a, near) > 0.5 > cosine(a, far)


def test_unknown_model_on_invoke_is_a_validation_error(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")

    with pytest.raises(client.exceptions.ValidationException, match=r"The provided model identifier is invalid\."):
        client.invoke_model(modelId="meta.llama99", body=b"{}")


def test_forced_tool_in_anthropic_messages_follows_the_judge_protocol(emulator: Emulator) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "messages": [{"role": "user", "content": "<response>Paris</response><reference>Paris</reference>"}],
        "tools": [
            {
                "name": "verdict",
                "input_schema": {
                    "type": "object",
                    "properties": {
                        "reasoning": {"type": "string"},
                        "rating": {"type": "number", "enum": [1, 2, 3, 4, 5]},
                    },
                },
            }
        ],
        "tool_choice": {"type": "tool", "name": "verdict"},
    }

    payload, _ = _invoke(emulator, HAIKU, body)

    assert payload["stop_reason"] == "tool_use"
    assert payload["content"][0]["type"] == "tool_use"
    assert payload["content"][0]["input"]["rating"] == 5


def _stream(emulator: Emulator, model: str, body: dict[str, Any], mode: str = "standard") -> list[dict[str, Any]]:
    client = emulator.client("bedrock-runtime", retries={"mode": mode})
    response = client.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_anthropic_response_stream_events(emulator: Emulator, mode: str) -> None:
    emulator.set_world(ORACLE)
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": QUESTION}],
    }

    events = _stream(emulator, HAIKU, body, mode)

    assert [e["type"] for e in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert events[2]["delta"] == {"type": "text_delta", "text": ANSWER}
    assert events[4]["delta"]["stop_reason"] == "end_turn"
    assert events[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 4


def test_titan_response_stream_chunks_join_to_the_answer(emulator: Emulator) -> None:
    emulator.set_world(World.model_validate({"answers": {"Spell it": "a" * 40}, "models": {TITAN: {"quality": 1}}}))

    chunks = _stream(emulator, TITAN, {"inputText": "Spell it"})

    assert "".join(c["outputText"] for c in chunks) == "a" * 40
    assert len(chunks) == 3
    assert chunks[-1]["completionReason"] == "FINISH"
    assert chunks[0]["inputTextTokenCount"] == 2


def test_response_stream_throttled_mid_stream(emulator: Emulator) -> None:
    emulator.set_world(
        World.model_validate(
            {
                "models": {HAIKU: {}},
                "faults": [{"kind": "stream_throttle", "operation": "InvokeModelWithResponseStream"}],
            }
        )
    )
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
    }

    with pytest.raises(EventStreamError) as caught:
        _stream(emulator, HAIKU, body)

    assert caught.value.response["Error"]["Code"] == "throttlingException"


def test_embedding_model_cannot_stream(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")

    with pytest.raises(client.exceptions.ValidationException):
        client.invoke_model_with_response_stream(modelId=EMBED, body=json.dumps({"inputText": "hi"}))
