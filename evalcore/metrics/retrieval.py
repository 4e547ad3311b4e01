"""Deterministic retrieval metrics of a knowledge-base case, against what its record expects.

What is expected: the record's `expectedSources` (source URIs, e.g. `s3://bucket/doc.txt`) and `expectedPassages`
(texts), each a list or a single text; together, the expected items E. A retrieved passage *matches* an expected
source when its location URI is that source exactly, and an expected passage when its text contains that passage
(case and runs of white space ignored). A passage is *relevant* when it matches some expected item.

With the passages ranked 1..n best first (n at most k, the number of results asked for):
- `hit_rate`: 1 when a relevant passage is among them, else 0;
- `recall_at_k`: the share of E matched by at least one of them;
- `precision_at_k`: relevant passages / k (a knowledge base that returns fewer than k passages is not rewarded);
- `mrr`: 1 / the rank of the first relevant passage, 0 when none is;
- `ndcg`: binary-gain nDCG@k: a passage gains 1 when it matches an expected item no better-ranked passage matched,
  DCG = sum of gain_i / log2(i + 1), divided by the ideal DCG of min(|E|, k) gains at the top ranks.

A record without expected items cannot be scored: the loader refuses it when the section declares these metrics.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from evalcore.domain.results import MetricScore, Passage
from evalcore.suite.expected_sources import PASSAGES_FIELD, SOURCES_FIELD, expected_items

_SPACE = re.compile(r"\s+")


def _folded(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def _matches(passage: Passage, sources: list[str], passages: list[str]) -> set[int]:
    """Indexes (sources first, then passages) of the expected items `passage` matches."""
    found = {i for i, source in enumerate(sources) if passage.location is not None and passage.location == source}
    text = _folded(passage.text)
    found |= {len(sources) + i for i, expected in enumerate(passages) if _folded(expected) in text}
    return found


def retrieval_scores(
    names: list[str], retrieved: list[Passage], record: Mapping[str, Any], k: int
) -> list[MetricScore]:
    """The retrieval metrics `names` of the top `k` of `retrieved` against the record's expected items."""
    sources, passages = expected_items(record)
    total = len(sources) + len(passages)
    if total == 0:
        return [MetricScore(name=n, error=f"the record has no {SOURCES_FIELD} nor {PASSAGES_FIELD}") for n in names]
    ranked = [_matches(p, sources, passages) for p in retrieved[:k]]
    seen: set[int] = set()
    gains = []
    for found in ranked:
        gains.append(1.0 if found - seen else 0.0)
        seen |= found
    relevant = [bool(found) for found in ranked]
    first = next((i for i, r in enumerate(relevant) if r), None)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(total, k)))
    values = {
        "hit_rate": 1.0 if first is not None else 0.0,
        "recall_at_k": len(seen) / total,
        "precision_at_k": sum(relevant) / k,
        "mrr": 0.0 if first is None else 1 / (first + 1),
        "ndcg": sum(g / math.log2(i + 2) for i, g in enumerate(gains)) / ideal,
    }
    explanation = f"{sum(relevant)} of {len(ranked)} passages relevant; {len(seen)} of {total} expected items found"
    return [MetricScore(name=n, value=round(values[n], 6), explanation=explanation) for n in names]
