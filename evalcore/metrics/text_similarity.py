"""Reference metrics on text: exact match, token F1 and ROUGE-L, over SQuAD-style normalised words
(lower case, punctuation and the articles a/an/the dropped, whitespace collapsed)."""

from __future__ import annotations

import re
import string
from collections import Counter

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize(text: str) -> str:
    """SQuAD's answer normalisation."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION)).split())


def exact_match(candidate: str, reference: str) -> float:
    return float(normalize(candidate) == normalize(reference))


def token_f1(candidate: str, reference: str) -> float:
    """Harmonic mean of word precision and recall (multiset overlap): what Bedrock reports as QA accuracy."""
    return overlap_f1(normalize(candidate).split(), normalize(reference).split())


def overlap_f1(cand: list[str], ref: list[str]) -> float:
    """F1 of the multiset overlap of two word lists (1.0 when both are empty)."""
    if not cand or not ref:
        return float(cand == ref)
    common = sum((Counter(cand) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(cand), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1: the longest common subsequence of words, as precision and recall against the reference."""
    cand, ref = normalize(candidate).split(), normalize(reference).split()
    if not cand or not ref:
        return float(cand == ref)
    lcs = _lcs_length(cand, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def _lcs_length(a: list[str], b: list[str]) -> int:
    previous = [0] * (len(b) + 1)
    for word in a:
        current = [0]
        for j, other in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if word == other else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]
