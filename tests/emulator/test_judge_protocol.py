"""The judge protocol through Converse over HTTP: forced tool, enum ratings, refusals, noise and unreadable answers."""

from __future__ import annotations

from typing import Any

import pytest

from evalcore_emulator import Emulator, World, load_world

JUDGE = "anthropic.claude-3-5-sonnet-20240620-v1:0"


def _tool(rating: dict[str, Any], name: str = "record_verdict") -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {"reasoning": {"type": "string"}, "rating": rating},
        "required": ["reasoning", "rating"],
    }
    return {
        "tools": [{"toolSpec": {"name": name, "inputSchema": {"json": schema}}}],
        "toolChoice": {"tool": {"name": name}},
    }


def _judge(emulator: Emulator, text: str, rating: dict[str, Any], mode: str = "standard") -> dict[str, Any]:
    client = emulator.client("bedrock-runtime", retries={"mode": mode})
    return client.converse(
        modelId=JUDGE, messages=[{"role": "user", "content": [{"text": text}]}], toolConfig=_tool(rating)
    )


def _verdict(response: dict[str, Any]) -> dict[str, Any]:
    assert response["stopReason"] == "tool_use"
    (block,) = response["output"]["message"]["content"]
    assert block["toolUse"]["name"] == "record_verdict"
    assert block["toolUse"]["toolUseId"].startswith("tooluse_")
    return block["toolUse"]["input"]


def _with_judge(**judge: float) -> World:
    data = load_world(None).model_dump(mode="json", exclude_none=True)
    data["judge"] = judge
    return World.model_validate(data)


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_numeric_enum_gets_the_value_nearest_token_f1(emulator: Emulator, mode: str) -> None:
    text = (
        "Rate the answer.\n<prompt>What is the capital of France?</prompt>\n"
        "<response>Paris is the capital</response>\n<reference>The capital of France is Paris</reference>"
    )

    verdict = _verdict(_judge(emulator, text, {"type": "number", "enum": [1, 2, 3, 4, 5]}, mode))

    assert verdict["rating"] == 4  # F1 = 0.75 -> 1 + 0.75 * 4 = 4
    assert verdict["reasoning"] == "Token F1 of the response against the reference is 0.75."


def test_fractional_scale_and_exact_match(emulator: Emulator) -> None:
    text = "<response>The capital of France is Paris.</response><reference>the capital of france is paris</reference>"

    verdict = _verdict(_judge(emulator, text, {"type": "number", "enum": [0, 0.5, 1.0]}))

    assert verdict["rating"] == 1.0


def test_string_enum_is_listed_best_first(emulator: Emulator) -> None:
    scale = {"type": "string", "enum": ["excellent", "acceptable", "poor"]}

    good = _verdict(_judge(emulator, "<response>Paris</response><reference>Paris</reference>", scale))
    bad = _verdict(_judge(emulator, "<response>Lisbon</response><reference>Paris</reference>", scale))

    assert (good["rating"], bad["rating"]) == ("excellent", "poor")


@pytest.mark.parametrize(
    ("response", "rating"),
    [("Jupiter is the largest planet.", 5), ("I'm sorry, but I can't help with that request.", 1), ("", 1)],
)
def test_without_reference_answers_score_high_and_refusals_or_empty_low(
    emulator: Emulator, response: str, rating: int
) -> None:
    text = f"<prompt>Which planet is largest?</prompt><response>{response}</response>"

    assert _verdict(_judge(emulator, text, {"type": "integer", "enum": [1, 2, 3, 4, 5]}))["rating"] == rating


def test_unbounded_and_bounded_ratings_without_enum(emulator: Emulator) -> None:
    text = "<response>Paris is the capital</response><reference>The capital of France is Paris</reference>"

    assert _verdict(_judge(emulator, text, {"type": "number"}))["rating"] == pytest.approx(0.75)
    assert _verdict(_judge(emulator, text, {"type": "integer", "minimum": 0, "maximum": 10}))["rating"] == 8


def test_noise_is_reproducible_and_seeded(emulator: Emulator) -> None:
    scale = {"type": "number"}
    texts = [f"<response>answer {i}</response><reference>answer {i} exactly</reference>" for i in range(6)]

    emulator.set_world(_with_judge(noise=0.3))
    first = [_verdict(_judge(emulator, t, scale))["rating"] for t in texts]
    again = [_verdict(_judge(emulator, t, scale))["rating"] for t in texts]

    assert first == again
    assert len(set(first)) > 1
    assert all(0.0 <= r <= 1.0 for r in first)
    assert first != [0.8] * 6


def test_unreadable_rate_answers_in_plain_text_deterministically(emulator: Emulator) -> None:
    scale = {"type": "number", "enum": [1, 2, 3]}
    texts = [f"<response>r{i}</response><reference>r{i}</reference>" for i in range(20)]

    emulator.set_world(_with_judge(unreadable_rate=1.0))
    response = _judge(emulator, texts[0], scale)
    assert response["stopReason"] == "end_turn"
    assert "text" in response["output"]["message"]["content"][0]

    emulator.set_world(_with_judge(unreadable_rate=0.5))
    kinds = [_judge(emulator, t, scale)["stopReason"] for t in texts]
    assert kinds == [_judge(emulator, t, scale)["stopReason"] for t in texts]
    assert {"end_turn", "tool_use"} == set(kinds)


def test_forced_tool_without_judge_tags_gets_type_correct_defaults(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "count": {"type": "integer"},
            "ok": {"type": "boolean"},
            "tags": {"type": "array"},
            "unit": {"type": "string", "enum": ["c", "f"]},
            "where": {"type": "object", "properties": {"lat": {"type": "number"}}},
        },
    }
    config = {
        "tools": [{"toolSpec": {"name": "lookup", "inputSchema": {"json": schema}}}],
        "toolChoice": {"tool": {"name": "lookup"}},
    }

    response = client.converse(
        modelId=JUDGE, messages=[{"role": "user", "content": [{"text": "Weather in Paris?"}]}], toolConfig=config
    )

    assert response["stopReason"] == "tool_use"
    assert response["output"]["message"]["content"][0]["toolUse"]["input"] == {
        "city": "",
        "count": 0,
        "ok": False,
        "tags": [],
        "unit": "c",
        "where": {"lat": 0},
    }


def test_tools_without_forced_choice_get_a_text_answer(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")
    config = _tool({"type": "number"})
    del config["toolChoice"]

    response = client.converse(
        modelId=JUDGE, messages=[{"role": "user", "content": [{"text": "<response>x</response>"}]}], toolConfig=config
    )

    assert response["stopReason"] == "end_turn"
