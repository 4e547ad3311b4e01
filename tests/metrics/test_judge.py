"""The LLM judge through the emulator over HTTP: structured verdicts, Bedrock's scales, custom metrics, unreadable
verdicts (retried, then an error, never a pass), the cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalcore.bedrock.pricing import Pricing
from evalcore.engine.cache import ResponseCache
from evalcore.engine.scheduler import Scheduler
from evalcore.metrics.judge import (
    Exchange,
    Judge,
    UnreadableVerdict,
    judge_request,
    read_verdict,
    rubric_for,
)
from evalcore.metrics.judge_prompts import BUILTIN
from evalcore.metrics.judge_protocol import TOOL_NAME
from evalcore.suite.models import BuiltinMetric, CustomJudgeMetric
from evalcore_emulator import Emulator
from tests.direct_suite import JUDGE, QUESTIONS, world

PROMPT, REFERENCE = QUESTIONS[0]  # What is the capital of France? / The capital of France is Paris.
REFUSAL = "I'm sorry, but I can't help with that request."


def make_judge(emulator: Emulator, tmp_path: Path, model_id: str = JUDGE) -> Judge:
    client = emulator.client("bedrock-runtime", retries={"total_max_attempts": 1})
    scheduler = Scheduler(concurrency=4, cache=ResponseCache(tmp_path / "cache"), base_delay=0.01)
    return Judge(scheduler, client, model_id, Pricing())


def exchange(response: str, reference: str | None = REFERENCE, **record: Any) -> Exchange:
    return Exchange(PROMPT, response, reference, {"prompt": PROMPT, "referenceResponse": reference, **record}, 0)


def custom(instructions: str, scale: list[tuple[str, float | str]]) -> CustomJudgeMetric:
    return CustomJudgeMetric(
        name="custom", instructions=instructions, rating_scale=[{"definition": d, "value": v} for d, v in scale]
    )


def test_the_request_forces_one_tool_and_tags_the_material() -> None:
    request = judge_request(BUILTIN["Builtin.Correctness"], exchange("Paris."), JUDGE)

    assert request["toolConfig"]["toolChoice"] == {"tool": {"name": TOOL_NAME}}
    (tool,) = request["toolConfig"]["tools"]
    schema = tool["toolSpec"]["inputSchema"]["json"]
    assert schema["properties"]["reasoning"]["type"] == "string"
    assert schema["properties"]["rating"]["enum"] == [0, 1, 2]
    assert set(schema["required"]) == {"reasoning", "rating"}
    text = request["messages"][0]["content"][0]["text"]
    for tag, body in (("prompt", PROMPT), ("response", "Paris."), ("reference", REFERENCE)):
        assert text.count(f"<{tag}>\n{body}\n</{tag}>") == 1


def test_a_metric_without_a_reference_does_not_show_one() -> None:
    request = judge_request(BUILTIN["Builtin.Helpfulness"], exchange("Paris."), JUDGE)

    assert "<reference>" not in request["messages"][0]["content"][0]["text"]


@pytest.mark.parametrize(
    ("response", "expected"),
    [(REFERENCE, 1.0), ("Paris, the capital.", 0.5), ("I believe the answer is Lisbon.", 0.0)],
)
def test_correctness_is_bedrocks_three_point_scale_on_0_to_1(
    emulator: Emulator, tmp_path: Path, response: str, expected: float
) -> None:
    outcome = make_judge(emulator, tmp_path).score(BUILTIN["Builtin.Correctness"], exchange(response))

    assert outcome.score.value == expected and outcome.score.error is None
    assert outcome.score.explanation  # the judge's reasoning is kept
    assert outcome.usage.input_tokens > 0 and outcome.cost_usd is not None and outcome.cost_usd > 0


def test_refusal_harmfulness_and_stereotyping_report_1_when_present(emulator: Emulator, tmp_path: Path) -> None:
    judge = make_judge(emulator, tmp_path)

    def value(metric: str, response: str) -> float | None:
        return judge.score(BUILTIN[metric], exchange(response, reference=None)).score.value

    assert value("Builtin.Refusal", REFUSAL) == 1.0
    assert value("Builtin.Refusal", "Paris.") == 0.0
    assert value("Builtin.Harmfulness", "Paris.") == 0.0
    assert value("Builtin.Stereotyping", "Paris.") == 0.0
    assert value("Builtin.Helpfulness", "Paris.") == 1.0
    assert value("Builtin.Helpfulness", REFUSAL) == 0.0


def test_every_builtin_judge_metric_has_a_rubric_on_0_to_1() -> None:
    from evalcore.aws_facts.bedrock_metrics import JUDGE as NAMES

    assert set(BUILTIN) == set(NAMES)
    for name in NAMES:
        values = [level.value for level in rubric_for(BuiltinMetric(name=name)).levels]
        assert sorted(values) == [i / (len(values) - 1) for i in range(len(values))]


def test_a_custom_metric_fills_bedrocks_placeholders_with_the_sections(emulator: Emulator, tmp_path: Path) -> None:
    metric = custom(
        "Is this answer to {{prompt}} polite? Answer: {{prediction}}. Topic: {{category}}.",
        [("polite", 1), ("rude", 0)],
    )
    rubric = rubric_for(metric)
    request = judge_request(rubric, exchange("Paris.", category="geography"), JUDGE)
    text = request["messages"][0]["content"][0]["text"]

    assert text.count("<prompt>") == 1 and text.count("<response>") == 1 and "<reference>" not in text
    assert "Topic: geography." in text
    judge = make_judge(emulator, tmp_path)
    assert judge.score(rubric, exchange("Paris.")).score.value == 1.0
    assert judge.score(rubric, exchange(REFUSAL)).score.value == 0.0


def test_a_custom_metric_with_ground_truth_is_judged_against_the_reference(emulator: Emulator, tmp_path: Path) -> None:
    metric = custom("Compare {{prediction}} with {{ground_truth}}.", [("same", 10), ("half", 5), ("different", 0)])

    judge = make_judge(emulator, tmp_path)

    assert judge.score(rubric_for(metric), exchange(REFERENCE)).score.value == 1.0
    assert judge.score(rubric_for(metric), exchange("Lisbon.")).score.value == 0.0


def test_text_rating_values_are_ordinal_best_first(emulator: Emulator, tmp_path: Path) -> None:
    metric = custom("Rate the answer.", [("great", "excellent"), ("fine", "acceptable"), ("bad", "poor")])
    rubric = rubric_for(metric)

    judge = make_judge(emulator, tmp_path)

    assert [level.value for level in rubric.levels] == [1.0, 0.5, 0.0]
    assert judge.score(rubric, exchange("Paris.", reference=None)).score.value == 1.0
    assert judge.score(rubric, exchange(REFUSAL, reference=None)).score.value == 0.0


def test_an_unreadable_verdict_is_retried_then_an_error_never_a_pass(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_world(world(judge={"unreadable_rate": 1.0}))

    outcome = make_judge(emulator, tmp_path).score(BUILTIN["Builtin.Correctness"], exchange(REFERENCE))

    assert outcome.score.value is None and outcome.score.passed is None
    assert outcome.score.error is not None and outcome.score.error.startswith("unreadable verdict after 3 attempts")
    calls = emulator.requests("Converse")
    assert len(calls) == 3  # each retry is a new call, not a cached answer
    assert outcome.usage.output_tokens > 0  # the tokens the judge spent are still counted


def test_a_readable_retry_is_cached_so_a_warm_rerun_makes_no_call(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_world(world(judge={"unreadable_rate": 0.5}))
    rubric = BUILTIN["Builtin.Completeness"]
    exchanges = [exchange(f"Answer number {i}.") for i in range(16)]
    judge = make_judge(emulator, tmp_path)

    first = [judge.score(rubric, e).score for e in exchanges]
    calls = len(emulator.requests("Converse"))
    emulator.clear_requests()
    second = [judge.score(rubric, e).score for e in exchanges]

    assert calls > len(exchanges)  # some verdicts needed a retry
    assert all((s.value is None) != (s.error is None) for s in first)
    errors = sum(s.error is not None for s in first)
    assert len(emulator.requests("Converse")) == 3 * errors  # only the errors are asked again
    assert [s.value for s in second] == [s.value for s in first]


def test_a_warm_cache_answers_the_same_verdict_without_a_call(emulator: Emulator, tmp_path: Path) -> None:
    judge = make_judge(emulator, tmp_path)
    first = judge.score(BUILTIN["Builtin.Correctness"], exchange(REFERENCE))
    emulator.clear_requests()

    again = judge.score(BUILTIN["Builtin.Correctness"], exchange(REFERENCE))

    assert emulator.requests() == []
    assert again.cached and again.score == first.score
    assert again.usage == first.usage and again.cost_usd == first.cost_usd  # the case costs what it cost


def test_a_failing_judge_call_is_an_error_without_retry(emulator: Emulator, tmp_path: Path) -> None:
    judge = make_judge(emulator, tmp_path, model_id="anthropic.claude-no-such-judge-v1:0")

    outcome = judge.score(BUILTIN["Builtin.Correctness"], exchange(REFERENCE))

    assert outcome.score.error is not None and "ValidationException" in outcome.score.error
    assert len(emulator.requests("Converse")) == 1


def _tool_answer(tool_input: dict[str, Any]) -> dict[str, Any]:
    block = {"toolUse": {"toolUseId": "t1", "name": TOOL_NAME, "input": tool_input}}
    return {"output": {"message": {"role": "assistant", "content": [block]}}, "stopReason": "tool_use"}


def test_a_rating_off_the_scale_or_plain_text_is_unreadable() -> None:
    rubric = BUILTIN["Builtin.Correctness"]

    with pytest.raises(UnreadableVerdict, match="not on the scale"):
        read_verdict(rubric, _tool_answer({"reasoning": "x", "rating": 7}))
    with pytest.raises(UnreadableVerdict, match="did not call"):
        read_verdict(rubric, {"output": {"message": {"content": [{"text": "Fine."}]}}, "stopReason": "end_turn"})
    level, _ = read_verdict(rubric, _tool_answer({"reasoning": "x", "rating": "2"}))
    assert level is not None and level.value == 1.0


def test_following_instructions_may_not_apply_and_then_has_no_value() -> None:
    rubric = BUILTIN["Builtin.FollowingInstructions"]
    schema = judge_request(rubric, exchange("Paris."), JUDGE)["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]

    level, reasoning = read_verdict(
        rubric, _tool_answer({"reasoning": "no instruction", "rating": 1, "not_applicable": True})
    )

    assert "not_applicable" in schema["json"]["properties"]
    assert level is None and reasoning == "no instruction"
