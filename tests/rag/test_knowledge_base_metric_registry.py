"""Every metric name a knowledge-base section may declare (suite/metric_names.py) is implemented in metrics/: each
judge metric has a rubric (a RAG rubric or a model-evaluation one) and each retrieval metric is computed, so a
declared name can never reach the run as a missing entry."""

from __future__ import annotations

from evalcore.aws_facts import bedrock_metrics
from evalcore.domain.results import Passage
from evalcore.metrics.judge_prompts import BUILTIN, RAG
from evalcore.metrics.retrieval import retrieval_scores
from evalcore.suite import metric_names


def test_every_rag_judge_metric_has_a_rag_rubric_and_every_rag_rubric_is_a_knowledge_base_metric() -> None:
    """Faithfulness has a RAG rubric too (judged against the retrieved passages), declared among the judge metrics."""
    assert [name for name in bedrock_metrics.RAG if name not in RAG] == []
    assert [name for name in RAG if name not in bedrock_metrics.KNOWLEDGE_BASE_JUDGE] == []


def test_every_knowledge_base_judge_metric_has_a_rubric() -> None:
    assert [name for name in bedrock_metrics.KNOWLEDGE_BASE_JUDGE if name not in RAG and name not in BUILTIN] == []


def test_every_declared_retrieval_metric_is_computed() -> None:
    names = list(metric_names.RETRIEVAL)
    passages = [Passage(text="Claims are filed within 30 days.", location="s3://b/claims.txt")]

    scores = retrieval_scores(names, passages, {"expectedSources": ["s3://b/claims.txt"]}, 3)

    assert [(s.name, s.error) for s in scores] == [(name, None) for name in names]
    assert all(s.value is not None for s in scores)
