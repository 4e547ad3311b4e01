"""langchain-aws's ChatBedrockConverse, unmodified, against the emulator through the AWS_ENDPOINT_URL_* variables
(boto3 underneath): invoke, stream, bind_tools and with_structured_output. langchain-aws is in the test extra."""

from __future__ import annotations

import pytest
from langchain_aws import ChatBedrockConverse
from pydantic import BaseModel, Field

from evalcore_emulator import Emulator

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


class Capital(BaseModel):
    """The capital of a country."""

    country: str = Field(description="the country")
    capital: str = Field(description="its capital city")
    population_millions: float = Field(description="the capital's population in millions")


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@pytest.fixture
def chat(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> ChatBedrockConverse:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    return ChatBedrockConverse(model=HAIKU, region_name="us-east-1")


def test_invoke_answers_through_converse(chat: ChatBedrockConverse, emulator: Emulator) -> None:
    message = chat.invoke("What is the capital of France?")

    assert message.content == "The capital of France is Paris."
    assert message.usage_metadata is not None and message.usage_metadata["total_tokens"] > 0
    assert [r.operation for r in emulator.requests()] == ["Converse"]


def test_stream_yields_the_answer_in_pieces_through_converse_stream(
    chat: ChatBedrockConverse, emulator: Emulator
) -> None:
    pieces = list(chat.stream("What is the capital of France?"))

    texts = [block["text"] for piece in pieces for block in piece.content if block.get("type") == "text"]
    assert "".join(texts) == "The capital of France is Paris."
    assert len(texts) > 1
    assert [r.operation for r in emulator.requests()] == ["ConverseStream"]


def test_bind_tools_with_a_forced_tool_returns_a_tool_call(chat: ChatBedrockConverse, emulator: Emulator) -> None:
    message = chat.bind_tools([get_weather], tool_choice="get_weather").invoke("What is the weather in Paris?")

    assert len(message.tool_calls) == 1
    call = message.tool_calls[0]
    assert call["name"] == "get_weather" and isinstance(call["args"]["city"], str)
    assert emulator.requests()[0].tool_choice == "tool"


def test_with_structured_output_returns_the_schemas_type(chat: ChatBedrockConverse) -> None:
    answer = chat.with_structured_output(Capital).invoke("What is the capital of France?")

    assert isinstance(answer, Capital)
