"""The scheduler against the emulator over HTTP: one retry layer, adaptive concurrency under throttling, final
errors not retried, per-model limits, the cache, cancellation."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from evalcore.bedrock.clients import Aws
from evalcore.engine.cache import CacheKey, Endpoint, ResponseCache
from evalcore.engine.scheduler import AdaptiveLimiter, Call, CallFailed, Cancelled, ModelLimits, Scheduler
from evalcore_emulator import Emulator
from tests.direct_suite import HAIKU, SONNET, use_emulator, world


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Aws:
    use_emulator(monkeypatch, emulator)
    return Aws(pool_size=32)


def converse_call(aws: Aws, prompt: str, model: str = HAIKU, key: bool = False) -> Call:
    client = aws.client("bedrock-runtime")
    request = {"modelId": model, "messages": [{"role": "user", "content": [{"text": prompt}]}]}

    def fn() -> dict[str, Any]:
        response = client.converse(**request)
        return {"output": response["output"], "usage": response["usage"]}

    asked = CacheKey(Endpoint.of(client), "answer", None, model, request, 0)
    return Call(model=model, fn=fn, cache_key=asked if key else None)


def overlap(emulator: Emulator) -> int:
    """The most calls the emulator served at once, from its request log."""
    events = []
    for r in emulator.requests("Converse"):
        events += [(r.time, 1), (r.time + r.duration_ms / 1000, -1)]
    level = peak = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        level += step
        peak = max(peak, level)
    return peak


def test_model_clients_do_not_retry_on_their_own(emulator: Emulator, aws: Aws) -> None:
    emulator.set_world(world(faults=[{"kind": "throttle", "operation": "Converse", "first": 1}]))

    with pytest.raises(ClientError, match="ThrottlingException"):
        converse_call(aws, "hello").fn()

    assert len(emulator.requests("Converse")) == 1  # botocore did not retry: the scheduler is the one layer


def test_a_throttling_storm_loses_no_call(emulator: Emulator, aws: Aws) -> None:
    emulator.set_world(world(faults=[{"kind": "throttle", "operation": "Converse", "rate": 0.6}]))
    scheduler = Scheduler(concurrency=16, base_delay=0.005, max_delay=0.05, max_attempts=60, seed=1)
    results: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def work(i: int) -> tuple[int, Any]:
        return i, scheduler.call(converse_call(aws, f"question {i}"))

    def emit(result: tuple[int, Any]) -> None:
        with lock:
            results.append(result)

    scheduler.map(range(100), work, emit)

    assert sorted(i for i, _ in results) == list(range(100))  # every call, exactly once
    throttled = [r for r in emulator.requests("Converse") if r.fault == "throttle"]
    meter = scheduler.meter.snapshot()
    assert len(throttled) == meter.throttles >= 60
    assert meter.requests == len(emulator.requests("Converse")) == 100 + meter.retries
    assert sum(r.attempts for _, r in results) == meter.requests


def test_retries_stop_after_max_attempts_with_the_reason(emulator: Emulator, aws: Aws) -> None:
    emulator.set_world(world(faults=[{"kind": "service_unavailable", "operation": "Converse"}]))
    scheduler = Scheduler(concurrency=2, base_delay=0.001, max_attempts=3)

    with pytest.raises(CallFailed) as failed:
        scheduler.call(converse_call(aws, "hello"))

    assert failed.value.attempts == 3 and "(after 3 attempts)" in failed.value.reason
    assert failed.value.reason.startswith("ServiceUnavailableException")
    assert len(emulator.requests("Converse")) == 3


@pytest.mark.parametrize("kind", ["access_denied", "model_error"])
def test_a_final_error_is_not_retried(emulator: Emulator, aws: Aws, kind: str) -> None:
    emulator.set_world(world(faults=[{"kind": kind, "operation": "Converse"}]))

    with pytest.raises(CallFailed) as failed:
        Scheduler(concurrency=2, base_delay=0.001).call(converse_call(aws, "hello"))

    assert failed.value.attempts == 1 and len(emulator.requests("Converse")) == 1


def test_the_limit_halves_on_throttling_and_regrows_on_success() -> None:
    limiter = AdaptiveLimiter(16, cooldown=0.0)
    cancel = threading.Event()

    limiter.acquire(cancel)
    limiter.release(throttled=True)
    assert limiter.limit == 8
    limiter.acquire(cancel)
    limiter.release(throttled=True)
    assert limiter.limit == 4
    for _ in range(200):
        limiter.acquire(cancel)
        limiter.release(throttled=False)
    assert limiter.limit == 16


def test_a_per_model_concurrency_limit_holds_at_the_server(emulator: Emulator, aws: Aws) -> None:
    emulator.set_world(world(models={HAIKU: {"latency_ms": 30}, SONNET: {"latency_ms": 30}}))
    scheduler = Scheduler(concurrency=8, model_limits={HAIKU: ModelLimits(concurrency=1)})

    scheduler.map(range(8), lambda i: scheduler.call(converse_call(aws, f"q{i}")), lambda r: None)

    assert len(emulator.requests("Converse")) == 8 and overlap(emulator) == 1


def test_a_requests_per_minute_limit_paces_the_calls(emulator: Emulator, aws: Aws) -> None:
    scheduler = Scheduler(concurrency=8, model_limits={HAIKU: ModelLimits(requests_per_minute=1200)})  # 20 a second

    started = time.monotonic()
    scheduler.map(range(30), lambda i: scheduler.call(converse_call(aws, f"q{i}")), lambda r: None)

    assert time.monotonic() - started >= 0.45  # a burst of 20, then 10 more at 20 a second


def test_successes_are_cached_and_errors_never(emulator: Emulator, aws: Aws, tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache")
    scheduler = Scheduler(concurrency=2, cache=cache)
    ghost = converse_call(aws, "hello", model="anthropic.claude-ghost-v1:0", key=True)

    with pytest.raises(CallFailed):
        scheduler.call(ghost)
    first = scheduler.call(converse_call(aws, "hello", key=True))
    again = scheduler.call(converse_call(aws, "hello", key=True))

    cache.flush()

    assert not first.cached and again.cached and again.value == first.value and again.attempts == 0
    assert ghost.cache_key is not None and cache.get(ghost.cache_key) is None
    assert len(list((tmp_path / "cache").glob("*/*.json"))) == 1
    assert len(emulator.requests("Converse")) == 2
    assert scheduler.meter.snapshot().cache_hits == 1


def test_cancel_stops_taking_work_and_wakes_waiting_calls(emulator: Emulator, aws: Aws) -> None:
    emulator.set_world(world(faults=[{"kind": "throttle", "operation": "Converse"}]))
    scheduler = Scheduler(concurrency=2, base_delay=5.0, max_delay=5.0)
    outcomes: list[str] = []

    def work(i: int) -> str:
        try:
            scheduler.call(converse_call(aws, f"q{i}"))
        except Cancelled:
            return "cancelled"
        return "done"

    threading.Timer(0.3, scheduler.cancel.set).start()
    started = time.monotonic()
    scheduler.map(range(100), work, outcomes.append)

    assert time.monotonic() - started < 3
    assert outcomes and set(outcomes) == {"cancelled"} and len(outcomes) < 100
