"""Deterministic checks: values on 0-1, pass/fail, templated arguments, case sensitivity, errors that never pass."""

from __future__ import annotations

from typing import Any

import pytest

from evalcore.domain.results import MetricScore
from evalcore.metrics.checks import Answer, run_check
from evalcore.metrics.text_similarity import exact_match, normalize, rouge_l, token_f1
from evalcore.suite.models import parse_metric

RECORD = {"referenceResponse": "The capital of France is Paris.", "city": "Paris", "sum": "2+2", "words": ["a"]}


def check(metric: Any, text: str, record: dict[str, Any] | None = None, **measures: Any) -> MetricScore:
    return run_check(parse_metric(metric), Answer(text, **measures), RECORD if record is None else record)


def test_squad_normalisation_drops_case_punctuation_and_articles() -> None:
    assert normalize("  The Capital, of  FRANCE is Paris!! ") == "capital of france is paris"
    assert exact_match("paris is the capital", "Paris is a capital.") == 1.0
    assert exact_match("Paris", "Lyon") == 0.0


def test_token_f1_is_the_harmonic_mean_of_word_precision_and_recall() -> None:
    assert token_f1("Paris", "The capital of France is Paris.") == pytest.approx(2 * 1 * 0.2 / 1.2)
    assert token_f1("capital of France is Paris", "The capital of France is Paris.") == 1.0
    assert token_f1("Lyon", "Paris") == 0.0
    assert token_f1("", "") == 1.0 and token_f1("", "Paris") == 0.0


def test_rouge_l_follows_the_longest_common_subsequence() -> None:
    # reference "police killed gunman", candidate "police kill the gunman": LCS "police gunman" (2 of 3 and 3 words)
    assert rouge_l("police kill the gunman", "police killed the gunman") == pytest.approx(2 / 3)
    assert rouge_l("gunman police", "police gunman") == pytest.approx(0.5)
    assert rouge_l("a b c", "a b c") == 1.0


@pytest.mark.parametrize(
    ("metric", "text", "passed"),
    [
        ("exact_match", "the capital of france is paris", True),
        ("exact_match", "Paris", False),
        ("json_valid", '{"a": 1}', True),
        ("json_valid", '```json\n{"a": 1}\n```', True),
        ("json_valid", "{'a': 1}", False),
        ({"equals": "yes"}, "  YES ", True),
        ({"equals": "yes", "case_sensitive": True}, "YES", False),
        ({"contains": "{{city}}"}, "It is paris.", True),
        ({"contains": "{{city}}", "case_sensitive": True}, "It is paris.", False),
        ({"contains_any": ["Lyon", "{{city}}"]}, "Paris", True),
        ({"contains_any": ["Lyon", "Nice"]}, "Paris", False),
        ({"contains_all": ["capital", "{{city}}"]}, "The capital is Paris", True),
        ({"contains_all": ["capital", "{{city}}"]}, "The capital is Lyon", False),
        ({"not_contains": "sorry"}, "Paris.", True),
        ({"not_contains": "sorry"}, "Sorry, no.", False),
        ({"regex": r"^\d+ days$"}, "366 days", True),
        ({"regex": "^{{sum}} = 4$"}, "2+2 = 4", True),  # the inserted value is matched literally
        ({"regex": "^{{sum}} = 4$"}, "22 = 4", False),
        ({"starts_with": "{{city}}"}, "  paris is", True),
        ({"starts_with": "{{city}}"}, "It is Paris", False),
        ({"json_schema": {"type": "object", "required": ["a"]}}, '{"a": 1}', True),
        ({"json_schema": {"type": "object", "required": ["a"]}}, '{"b": 1}', False),
        ({"json_schema": {"type": "object"}}, "not json", False),
        ({"length": {"min": 2, "max": 5}}, "abc", True),
        ({"length": {"max": 2}}, "abc", False),
        ({"length": {"min": 4}}, "abc", False),
    ],
)
def test_pass_fail_checks(metric: Any, text: str, passed: bool) -> None:
    score = check(metric, text)

    assert score.error is None
    assert score.passed is passed
    assert score.value == (1.0 if passed else 0.0)
    assert (score.explanation is None) is passed  # a failure says why


def test_graded_reference_metrics_do_not_decide_pass_or_fail() -> None:
    for name in ("token_f1", "rouge_l"):
        score = check(name, "Paris is in France")
        assert score.passed is None and score.value is not None and 0 < score.value < 1


def test_latency_and_cost_bounds_use_the_measured_values() -> None:
    assert check({"latency_ms": {"max": 500}}, "x", latency_ms=120.0).passed is True
    assert check({"latency_ms": {"max": 100}}, "x", latency_ms=120.0).passed is False
    assert check({"cost_usd": {"max": 0.01}}, "x", cost_usd=0.002).passed is True
    slow = check({"cost_usd": {"min": 0.01}}, "x", cost_usd=0.002)
    assert slow.passed is False and "below" in (slow.explanation or "")


@pytest.mark.parametrize(
    ("metric", "record", "measures"),
    [
        ("exact_match", {"prompt": "no reference"}, {}),
        ("token_f1", {"referenceResponse": "  "}, {}),
        ({"cost_usd": {"max": 1}}, RECORD, {}),
        ({"latency_ms": {"max": 1}}, RECORD, {}),
        ({"json_schema": {"type": "no-such-type"}}, RECORD, {}),
    ],
)
def test_a_check_that_cannot_be_computed_is_an_error_not_a_pass(
    metric: Any, record: dict[str, Any], measures: dict[str, Any]
) -> None:
    score = check(metric, '{"a": 1}', record, **measures)

    assert score.error and score.passed is None and score.value is None
