"""Content words: what the emulator's keyword rules compare (retrieval, agent evaluator persona).

A word is a run of letters and digits, hyphen-joined runs kept whole (``claim-006``), lower-cased, with a
trailing plural ``s`` dropped from words longer than three letters (``documents`` -> ``document``).
Content words are the words that are not in :data:`STOPWORDS`.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

STOPWORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "than",
        "of",
        "for",
        "to",
        "from",
        "in",
        "on",
        "at",
        "by",
        "with",
        "about",
        "as",
        "into",
        "over",
        "under",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "they",
        "them",
        "their",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "not",
        "no",
        "yes",
        "please",
        "any",
        "all",
        "some",
        "each",
        "every",
        "so",
        "such",
        "very",
        "just",
        "also",
        "only",
        "own",
        "same",
        "other",
        "more",
        "most",
    }
)


def _words(text: str) -> list[str]:
    return [_singular(w) for w in _WORD.findall(text.lower())]


def content_words(text: str, ignore: frozenset[str] = frozenset()) -> list[str]:
    """The words of ``text`` not in STOPWORDS nor ``ignore``; first occurrences, in order."""
    seen: dict[str, None] = {}
    for word in _words(text):
        if word not in STOPWORDS and word not in ignore:
            seen.setdefault(word)
    return list(seen)


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
