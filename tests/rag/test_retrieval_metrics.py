"""The retrieval metrics' definitions (metrics/retrieval.py, README) on hand-worked rankings."""

from __future__ import annotations

import math

import pytest

from evalcore.domain.results import Passage
from evalcore.metrics.retrieval import retrieval_scores

NAMES = ["hit_rate", "recall_at_k", "precision_at_k", "mrr", "ndcg"]


def _scores(passages: list[Passage], record: dict, k: int) -> dict[str, float | None]:
    return {s.name: s.value for s in retrieval_scores(NAMES, passages, record, k)}


def test_a_relevant_passage_at_rank_two_of_three() -> None:
    ranked = [
        Passage(text="Office hours are 9 to 5.", location="s3://b/hours.txt"),
        Passage(text="Claims must be filed within  30 DAYS of the incident.", location="s3://b/claims.txt"),
        Passage(text="Unrelated.", location="s3://b/other.txt"),
    ]
    record = {"expectedPassages": ["claims must be filed within 30 days"], "expectedSources": ["s3://b/payout.txt"]}

    scores = _scores(ranked, record, k=3)

    assert scores["hit_rate"] == 1.0
    assert scores["recall_at_k"] == 0.5  # one of two expected items
    assert scores["precision_at_k"] == pytest.approx(1 / 3, abs=1e-6)
    assert scores["mrr"] == 0.5
    ideal = 1 + 1 / math.log2(3)
    assert scores["ndcg"] == pytest.approx((1 / math.log2(3)) / ideal, abs=1e-6)


def test_fewer_passages_than_asked_for_lower_precision_and_duplicates_gain_once() -> None:
    same = Passage(text="x", location="s3://b/a.txt")
    scores = _scores([same, same], {"expectedSources": "s3://b/a.txt"}, k=4)

    assert scores["precision_at_k"] == 0.5
    assert scores["recall_at_k"] == scores["ndcg"] == scores["mrr"] == 1.0


def test_no_relevant_passage_scores_zero_and_a_record_without_expectations_is_an_error() -> None:
    assert set(_scores([Passage(text="x")], {"expectedPassages": ["y"]}, k=1).values()) == {0.0}
    assert all(s.error for s in retrieval_scores(NAMES, [], {"prompt": "q"}, 5))
