"""ConverseStream through boto3: a real event stream, and the stream faults (cut, throttled mid-stream)."""

from __future__ import annotations

import pytest
from botocore.exceptions import EventStreamError
from urllib3.exceptions import ProtocolError

from evalcore_emulator import Emulator, World

SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
QUESTION = "What is the largest planet in the solar system?"
ANSWER = "Jupiter is the largest planet in the solar system."
MESSAGES = [{"role": "user", "content": [{"text": QUESTION}]}]


def _world(*faults: dict) -> World:
    return World.model_validate(
        {"answers": {QUESTION: ANSWER}, "models": {SONNET: {"quality": 1}}, "faults": list(faults)}
    )


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_stream_carries_the_answer_in_deltas_then_stop_and_usage(emulator: Emulator, mode: str) -> None:
    emulator.set_world(_world())
    client = emulator.client("bedrock-runtime", retries={"mode": mode})

    events = list(client.converse_stream(modelId=SONNET, messages=MESSAGES)["stream"])

    kinds = [next(iter(e)) for e in events]
    assert kinds[0] == "messageStart"
    assert kinds[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == ANSWER
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"
    assert events[-1]["metadata"]["usage"] == {"inputTokens": 12, "outputTokens": 13, "totalTokens": 25}


def test_stream_throttle_raises_event_stream_error_while_iterating(emulator: Emulator) -> None:
    emulator.set_world(_world({"kind": "stream_throttle", "operation": "ConverseStream"}))
    client = emulator.client("bedrock-runtime")
    stream = client.converse_stream(modelId=SONNET, messages=MESSAGES)["stream"]

    with pytest.raises(EventStreamError) as caught:
        list(stream)

    assert caught.value.response["Error"]["Code"] == "throttlingException"
    assert emulator.requests("ConverseStream")[0].fault == "stream_throttle"


def test_stream_cut_breaks_the_connection_mid_stream(emulator: Emulator) -> None:
    emulator.set_world(_world({"kind": "stream_cut", "operation": "ConverseStream"}))
    client = emulator.client("bedrock-runtime")
    stream = client.converse_stream(modelId=SONNET, messages=MESSAGES)["stream"]

    with pytest.raises(ProtocolError, match="Connection broken"):
        list(stream)
