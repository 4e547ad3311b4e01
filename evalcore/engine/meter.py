"""Counters of a run, shared by every thread: requests, throttles, retries, cache hits, tokens, cases done."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class MeterSnapshot:
    elapsed: float
    cases_done: int
    cases_total: int
    requests: int
    throttles: int
    retries: int
    cache_hits: int
    model_tokens: int
    judge_tokens: int
    errors: int


@dataclass
class Meter:
    cases_total: int = 0
    _started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("done", "requests", "throttles", "retries", "cache_hits", "model_tokens", "judge_tokens", "errors"), 0
        )
    )

    def _add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._counts[key] += n

    def request(self) -> None:
        self._add("requests")

    def throttle(self) -> None:
        self._add("throttles")

    def retry(self) -> None:
        self._add("retries")

    def cache_hit(self) -> None:
        self._add("cache_hits")

    def tokens(self, role: str, input_tokens: int, output_tokens: int, cached: bool = False) -> None:
        if not cached:
            self._add("judge_tokens" if role == "judge" else "model_tokens", input_tokens + output_tokens)

    def case_done(self, errored: bool) -> None:
        with self._lock:
            self._counts["done"] += 1
            self._counts["errors"] += errored

    def snapshot(self) -> MeterSnapshot:
        with self._lock:
            c = dict(self._counts)
        return MeterSnapshot(
            elapsed=time.monotonic() - self._started,
            cases_done=c["done"],
            cases_total=self.cases_total,
            requests=c["requests"],
            throttles=c["throttles"],
            retries=c["retries"],
            cache_hits=c["cache_hits"],
            model_tokens=c["model_tokens"],
            judge_tokens=c["judge_tokens"],
            errors=c["errors"],
        )
