"""Deterministic text embeddings: feature hashing of words, so texts sharing words point the same way.

Each word adds +1 or -1 to 4 coordinates chosen by sha256 of the word; the vector is then scaled to unit length
(Titan's ``normalize``, on by default). Cosine similarity therefore tracks word overlap. A text without words gets
the hashed coordinates of its whole text.
"""

from __future__ import annotations

import hashlib
import math

from evalcore_emulator.wording import words

_SLOTS_PER_WORD = 4


def embed(text: str, dimensions: int, normalize: bool = True) -> list[float]:
    vector = [0.0] * dimensions
    for word in words(text) or [text]:
        digest = hashlib.sha256(word.encode()).digest()
        for slot in range(_SLOTS_PER_WORD):
            chunk = int.from_bytes(digest[slot * 4 : slot * 4 + 4])
            vector[chunk % dimensions] += 1.0 if chunk & 0x80000000 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if normalize and norm:
        vector = [v / norm for v in vector]
    return vector
