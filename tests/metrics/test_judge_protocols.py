"""Every model family works as the judge: each is asked in the strongest protocol it supports (a forced tool,
`toolChoice.any` with the one tool, or a tagged text answer read strictly), with the same scores, and an unreadable
answer is asked again, then an error, never a pass, in every protocol."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalcore.metrics.judge import UnreadableVerdict, judge_request, read_verdict
from evalcore.metrics.judge_prompts import BUILTIN
from evalcore_emulator import Emulator
from tests.direct_suite import world
from tests.metrics.test_judge import REFERENCE, exchange, make_judge

# (judge model, the request log's tool_choice, a system prompt sent)
FAMILIES = [
    ("anthropic.claude-3-5-sonnet-20240620-v1:0", "tool", True),
    ("amazon.nova-pro-v1:0", "tool", True),
    ("mistral.mistral-large-2407-v1:0", "any", True),
    ("us.meta.llama3-3-70b-instruct-v1:0", None, True),
    ("cohere.command-r-plus-v1:0", None, True),
    ("ai21.jamba-1-5-large-v1:0", None, True),
    ("us.deepseek.r1-v1:0", None, True),
    ("mistral.mistral-7b-instruct-v0:2", None, False),
    ("amazon.titan-text-express-v1", None, False),
]
ANSWERS = ["The capital of France is Paris.", "Paris is a city.", "I believe the answer is Lisbon.", ""]


@pytest.mark.parametrize(("model_id", "tool_choice", "system"), FAMILIES)
def test_each_family_judges_in_its_strongest_protocol_with_the_same_scores(
    emulator: Emulator, tmp_path: Path, model_id: str, tool_choice: str | None, system: bool
) -> None:
    rubric = BUILTIN["Builtin.Correctness"]
    reference = make_judge(emulator, tmp_path / "ref")
    expected = [reference.score(rubric, exchange(a)).score.value for a in ANSWERS]
    emulator.clear_requests()

    outcomes = [make_judge(emulator, tmp_path, model_id).score(rubric, exchange(a)) for a in ANSWERS]

    assert [o.score.value for o in outcomes] == expected
    assert {(e.tool_choice, e.system_prompt) for e in emulator.requests("Converse")} == {(tool_choice, system)}
    protocol = tool_choice or "text"
    assert all((o.score.explanation or "").endswith(f"[judge protocol: {protocol}]") for o in outcomes)


@pytest.mark.parametrize("model_id", ["mistral.mistral-large-2407-v1:0", "us.meta.llama3-3-70b-instruct-v1:0"])
def test_an_unreadable_answer_is_asked_again_then_an_error_in_every_protocol(
    emulator: Emulator, tmp_path: Path, model_id: str
) -> None:
    emulator.set_world(world(judge={"unreadable_rate": 1.0}))

    outcome = make_judge(emulator, tmp_path, model_id).score(BUILTIN["Builtin.Correctness"], exchange(REFERENCE))

    assert outcome.score.value is None and outcome.score.error is not None
    assert outcome.score.error.startswith("unreadable verdict after 3 attempts")
    assert len(emulator.requests("Converse")) == 3


def _text(answer: str) -> dict[str, Any]:
    return {"output": {"message": {"content": [{"text": answer}]}}, "stopReason": "end_turn"}


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("The response is right. I rate it 2.", "no <reasoning>"),
        ("<reasoning>Right.</reasoning>", "no <rating>"),
        ("<reasoning>Right.</reasoning><rating>2</rating><rating>0</rating>", "appears 2 times"),
        ("<reasoning>Right.</reasoning><rating>7</rating>", "not one of 0, 1, 2"),
        ("<reasoning>Right.</reasoning><rating>high</rating>", "not a number"),
    ],
)
def test_a_text_answer_is_read_strictly(answer: str, problem: str) -> None:
    with pytest.raises(UnreadableVerdict, match=problem):
        read_verdict(BUILTIN["Builtin.Correctness"], _text(answer), "text")


def test_a_text_answer_gives_the_same_level_as_a_tool_answer() -> None:
    rubric = BUILTIN["Builtin.Correctness"]
    level, reasoning = read_verdict(
        rubric, _text("Thinking...\n<reasoning>Right.</reasoning>\n<rating>2</rating>"), "text"
    )
    assert level is not None and level.value == 1.0 and reasoning == "Right."


def test_a_model_without_system_prompts_gets_the_system_text_in_its_user_message() -> None:
    request = judge_request(BUILTIN["Builtin.Correctness"], exchange("Paris."), "mistral.mistral-7b-instruct-v0:2")
    assert "system" not in request and "toolConfig" not in request
    text = request["messages"][0]["content"][0]["text"]
    assert text.startswith("You are an impartial evaluator")
    assert text.endswith("<rating>The rating, from the scale: one of 0 | 1 | 2</rating>")
