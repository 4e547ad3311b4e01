"""Text measures shared by the models, the judge and contextual grounding: tokens, words, token F1."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from evalcore.metrics.text_similarity import overlap_f1

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
    return overlap_f1(words(candidate), words(reference))


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
