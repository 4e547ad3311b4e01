"""Text measures shared by the models, the judge and contextual grounding: tokens, words, token F1.

These are the emulator's own, not evalcore's (`evalcore/metrics/text_similarity.py`): the emulator stands in for
Bedrock, whose evaluation jobs score with their own code, so it is a witness that evalcore's metrics are checked
against, and sharing evalcore's function would make a bug in it agree with itself. Its words also differ on purpose
(a regex word list that keeps apostrophes, like a model's tokenizer, where evalcore strips all punctuation as SQuAD
does)."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_ARTICLES = frozenset({"a", "an", "the"})
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "at",
        "by",
        "for",
        "with",
        "about",
        "to",
        "from",
        "in",
        "on",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "do",
        "does",
        "did",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "how",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "me",
        "my",
        "your",
        "our",
        "their",
        "can",
        "could",
        "will",
        "would",
        "should",
        "may",
        "might",
        "must",
        "has",
        "have",
        "had",
        "not",
        "no",
    ]
)
_SUFFIXES = ("ing", "ed", "es", "s")


def token_count(text: str, chars_per_token: float) -> int:
    """The emulator's token rule: ceil(characters / chars_per_token)."""
    return math.ceil(len(text) / chars_per_token)


def words(text: str) -> list[str]:
    """Lower-cased words without punctuation or articles (SQuAD-style normalisation)."""
    return [w for w in _WORD.findall(text.lower()) if w not in _ARTICLES]


def token_f1(candidate: str, reference: str) -> float:
    """Harmonic mean of word precision and recall of ``candidate`` against ``reference`` (multiset overlap)."""
    mine, theirs = words(candidate), words(reference)
    if not mine or not theirs:
        return float(mine == theirs)
    common = sum((Counter(mine) & Counter(theirs)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(mine), common / len(theirs)
    return 2 * precision * recall / (precision + recall)


def content_stems(text: str) -> set[str]:
    """Distinct words without stopwords, each stripped of one -ing/-ed/-es/-s suffix when 4+ letters remain."""
    stems = set()
    for word in words(text):
        if word in STOPWORDS:
            continue
        suffix = next((s for s in _SUFFIXES if word.endswith(s) and len(word) - len(s) >= 4), "")
        stems.add(word.removesuffix(suffix) if suffix else word)
    return stems


def overlap(part: str, whole: str) -> float:
    """The share of ``part``'s content stems that also occur in ``whole`` (1.0 when ``part`` has none)."""
    mine = content_stems(part)
    return len(mine & content_stems(whole)) / len(mine) if mine else 1.0


@lru_cache(maxsize=4096)
def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A case-insensitive pattern matching ``phrase`` as whole words, whatever the spacing."""
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)
