"""Run many cases at once without losing any: bounded and adaptive concurrency, retries with jittered backoff,
optional per-model request/token rates, the response cache, and the meter that progress reads.

The scheduler is the single retry layer for model calls (their boto3 clients have botocore's retries off):
- throttling (ThrottlingException, ModelNotReadyException, a throttlingException inside an event stream) lowers
  the allowed concurrency multiplicatively and retries after a jittered exponential backoff;
- transient faults (5xx, timeouts, connection resets, cut streams) retry the same way without lowering it;
- anything else (validation, access denied, not found) is final at once: retrying cannot help.
Each success grows the allowed concurrency additively (by one per round of calls at the current level) from where
the run starts (`concurrency`) toward its ceiling (`max_concurrency`), as long as nothing is throttled and the
calls' latency does not rise: a smoothed latency more than 1.5 times (plus 10 ms) the lowest seen holds the level
where it is (a saturated client or service answers slower before it refuses). The highest level reached is
recorded in the run's metadata.

Retries are bounded by time, not by a count: a call is retried until `retry_budget_seconds` (the suite's
`defaults.retry_budget_seconds` or `--retry-budget`, 300 s by default) have passed since its first failure. A
per-minute quota (Bedrock's requests and tokens per minute) can keep a call throttled for most of a minute, longer
than a handful of backoffs (8 attempts were about 16 s); 300 s outlasts several quota windows. A call given its
own `max_attempts` (an agent target's `max_retry`) stops at that count as well. The last sleep is cut to what is
left of the budget, so a call ends at most one attempt after its budget. An endpoint that refuses the connection
(botocore's EndpointConnectionError: nothing listens there, a wrong --endpoint-url or region) is no quota to wait
out: it is retried for UNREACHABLE_BUDGET_SECONDS at most, so a misconfigured run fails in seconds, not minutes.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from evalcore.engine.budget import CostBudget, budget_reason
from evalcore.engine.cache import CacheKey, ResponseCache
from evalcore.engine.meter import Meter
from evalcore.text.surrogates import replace_lone_surrogates

T = TypeVar("T")
R = TypeVar("R")

THROTTLE_CODES = frozenset(
    {"ThrottlingException", "TooManyRequestsException", "ModelNotReadyException", "throttlingException", "Throttling"}
)
TRANSIENT_CODES = frozenset(
    {
        "ServiceUnavailableException",
        "InternalServerException",
        "InternalFailure",
        "ModelTimeoutException",
        "RequestTimeout",
        "RequestTimeoutException",
        "serviceUnavailableException",
        "internalServerException",
        "dependencyFailedException",
        "badGatewayException",
        "ModelStreamErrorException",
    }
)


class CallFailed(Exception):
    """A call that cannot succeed (final error, or retries exhausted): its case becomes `error` with this reason."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


class Cancelled(Exception):
    """The run was cancelled (SIGTERM/SIGINT) while this call waited."""


class BudgetReached(Cancelled):
    """The run's cost budget refused this call before it started: no new call starts."""


UNREACHABLE_BUDGET_SECONDS = 30.0  # the retry budget of a call whose endpoint refuses the connection


def classify(exc: BaseException) -> tuple[str, str]:
    """('throttle' | 'transient' | 'unreachable' | 'final', a one-line reason) for an exception raised by a boto3
    call."""
    from botocore import exceptions as bx

    if isinstance(exc, bx.ClientError):  # EventStreamError is a ClientError too
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "")).strip()
        reason = f"{code}: {message}" if message else code
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in THROTTLE_CODES or status == 429:
            return "throttle", reason
        if code in TRANSIENT_CODES or (isinstance(status, int) and status >= 500):
            return "transient", reason
        return "final", reason
    if isinstance(exc, bx.EndpointConnectionError):  # no connection at all: "Could not connect to the endpoint URL"
        return "unreachable", f"{type(exc).__name__}: {exc}"
    transient_types = (
        bx.ConnectionError,
        bx.HTTPClientError,
        bx.ReadTimeoutError,
        bx.ResponseStreamingError,
        bx.IncompleteReadError,
    )
    if isinstance(exc, transient_types):
        return "transient", f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ValueError) and "malformed" in str(exc).lower():
        return "transient", f"malformed response: {exc}"
    return "final", f"{type(exc).__name__}: {exc}"


class AdaptiveLimiter:
    """At most `limit` calls in flight; the limit starts at `start` (default `maximum`), halves (at most once per
    cool-down) on throttling and grows by 1/limit per success while latency holds (additive increase,
    multiplicative decrease), never above `maximum`."""

    LATENCY_RISE = 1.5  # a smoothed latency above this many times the lowest seen (plus LATENCY_SLACK) holds growth
    LATENCY_SLACK = 0.010
    SMOOTHING = 0.1  # the weight of one call's latency in the smoothed latency

    def __init__(self, maximum: int, cooldown: float = 0.5, start: int | None = None) -> None:
        self.maximum = maximum
        self.limit = float(min(start or maximum, maximum))
        self.reached = int(self.limit)  # the highest whole limit allowed so far
        self.lowest = int(self.limit)  # the lowest whole limit a throttle cut it to
        self.cuts = 0  # how many times throttling halved it
        self.in_flight = 0
        self.cooldown = cooldown
        self._last_cut = 0.0
        self._waiting = 0
        self._latency: float | None = None  # smoothed seconds of a successful call
        self._lowest: float | None = None
        self._cond = threading.Condition()

    def acquire(self, cancel: threading.Event) -> None:
        with self._cond:
            while self.in_flight >= max(1, int(self.limit)):
                if cancel.is_set():
                    raise Cancelled()
                self._waiting += 1
                try:
                    self._cond.wait(0.2)
                finally:
                    self._waiting -= 1
            self.in_flight += 1

    def release(self, throttled: bool, seconds: float | None = None) -> None:
        """A call is done: `throttled`, or else it took `seconds` (None: unmeasured, e.g. a transient failure)."""
        with self._cond:
            self.in_flight -= 1
            if throttled:
                now = time.monotonic()
                if now - self._last_cut >= self.cooldown:
                    self.limit = max(1.0, self.limit / 2)
                    self._last_cut = now
                    self.lowest = min(self.lowest, int(self.limit))
                    self.cuts += 1
            elif (seconds is None or self._steady(seconds)) and self.limit < self.maximum:
                self.limit = min(float(self.maximum), self.limit + 1.0 / max(self.limit, 1.0))
                self.reached = max(self.reached, int(self.limit))
            if self._waiting:
                # Wake only who can go: the slot just freed, and one more if the limit grew past a whole number
                # (waking every waiter on every release made them all contend for the lock at once).
                self._cond.notify(2)

    def _steady(self, seconds: float) -> bool:
        """Whether latency holds, with this call's latency taken in."""
        smoothed = seconds if self._latency is None else self._latency + self.SMOOTHING * (seconds - self._latency)
        self._latency = smoothed
        self._lowest = smoothed if self._lowest is None else min(self._lowest, smoothed)
        return smoothed <= self._lowest * self.LATENCY_RISE + self.LATENCY_SLACK


class RateLimiter:
    """A token bucket: `per_minute` units a minute, bursts up to one second's worth (at least one unit)."""

    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self._lock = threading.Lock()

    def take(self, amount: float, cancel: threading.Event) -> None:
        amount = min(amount, self.capacity)
        while True:
            with self._lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= amount:
                    self.tokens -= amount
                    return
                wait = (amount - self.tokens) / self.rate
            if cancel.wait(min(wait, 1.0)):
                raise Cancelled()


@dataclass
class ModelLimits:
    concurrency: int | None = None
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None


@dataclass
class Call:
    """One model call: where it goes (for limits and metering), its cache key, and how to make it."""

    model: str | None  # limits and the meter are per model id; None for calls without one
    fn: Callable[[], Any]
    cache_key: CacheKey | None = None
    role: str = "model"  # "model" | "judge": which meter bucket tokens go to
    estimated_tokens: int = 0  # for the tokens-per-minute limit before the answer is known
    tokens_of: Callable[[Any], tuple[int, int]] | None = None  # (input, output) tokens of a response
    max_attempts: int | None = None  # this call's own limit (e.g. a target's max_retry + 1); else the scheduler's
    worst_tokens: tuple[int, int] | None = None  # (input estimate, output upper bound) for the cost budget

    def __post_init__(self) -> None:
        # A call that answers with its token usage is one the cost budget counts: it must say its worst case, so
        # the budget reserves it before the call starts (engine/budget.py), whatever runner makes it.
        if self.model is not None and self.tokens_of is not None and self.worst_tokens is None:
            raise ValueError(f"a call to {self.model} that reports its tokens needs its worst case (worst_tokens)")


@dataclass
class CallResult:
    value: Any
    attempts: int
    cached: bool


@dataclass
class Scheduler:
    concurrency: int = 16  # the ceiling of calls in flight (and the threads a section runs by default)
    start_concurrency: int | None = None  # where the adaptive level starts (None: at the ceiling)
    cache: ResponseCache | None = None
    meter: Meter = field(default_factory=Meter)
    cancel: threading.Event = field(default_factory=threading.Event)
    retry_budget_seconds: float = 300.0  # how long after its first failure a call is still retried (the suite's)
    max_attempts: int | None = None  # a cap on every call's attempts besides the budget; None: the budget alone
    base_delay: float = 0.25
    max_delay: float = 20.0
    model_limits: dict[str, ModelLimits] = field(default_factory=dict)
    seed: int | None = None
    budget: CostBudget | None = None  # the run's cost budget (--max-cost-usd): no new call starts past it

    def __post_init__(self) -> None:
        self.limiter = AdaptiveLimiter(self.concurrency, start=self.start_concurrency)
        self._per_model: dict[str, tuple[threading.Semaphore | None, RateLimiter | None, RateLimiter | None]] = {}
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)

    # ---- running cases ----

    def map(
        self, items: Iterable[T], fn: Callable[[T], R], emit: Callable[[R], None], workers: int | None = None
    ) -> None:
        """Call `fn` on every item with up to `workers` threads (default: the concurrency) and `emit` each result
        as it finishes. `fn` must not raise: a case's failure is its result. Stops taking items on cancel and
        once the cost budget is reached; an item one of whose calls the budget refused is not emitted (it did
        not run: engine/budget.py)."""
        iterator = iter(items)
        lock = threading.Lock()
        budget = self.budget

        def worker() -> None:
            while not self.cancel.is_set() and not (budget is not None and budget.reached):
                with lock:
                    item = next(iterator, _END)
                if item is _END:
                    return
                if budget is not None:
                    budget.begin_item()
                result = fn(item)  # type: ignore[arg-type]
                if budget is None or not budget.refused():
                    emit(result)

        count = max(1, workers or self.concurrency)
        threads = [threading.Thread(target=worker, name=f"evalcore-worker-{i}", daemon=True) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    # ---- one call ----

    def call(self, call: Call) -> CallResult:
        """Make one model call: from the cache if there, else with limits and retries. Raises CallFailed."""
        if self.cache is not None and call.cache_key is not None:
            hit = self.cache.get(call.cache_key)
            if hit is not None:
                self.meter.cache_hit()
                if call.tokens_of is not None:
                    self.meter.tokens(call.role, *call.tokens_of(hit), cached=True)
                return CallResult(hit, 0, True)
        if self.budget is None:
            return self._call(call)
        reserved = self.budget.reserve(call.model, call.worst_tokens or (0, 0))  # none: no usage, not counted
        if reserved is None:
            raise BudgetReached(budget_reason(self.budget.max_usd))
        used = (0, 0)
        try:
            result = self._call(call)
            if call.tokens_of is not None:
                used = call.tokens_of(result.value)
            return result
        finally:
            self.budget.settle(reserved, call.model, *used)

    def _call(self, call: Call) -> CallResult:
        semaphore, rpm, tpm = self._limits(call.model)
        attempt = 0
        deadline: float | None = None  # the end of the retry budget, from the first failure on
        first_failure = 0.0
        while True:
            attempt += 1
            if self.cancel.is_set():
                raise Cancelled()
            if rpm is not None:
                rpm.take(1, self.cancel)
            if tpm is not None and call.estimated_tokens:
                tpm.take(call.estimated_tokens, self.cancel)
            if semaphore is not None:
                semaphore.acquire()
            throttled = False
            took: float | None = None
            try:
                self.limiter.acquire(self.cancel)
                try:
                    self.meter.request()
                    sent = time.monotonic()
                    value = call.fn()
                    took = time.monotonic() - sent
                except Exception as exc:  # classified below: every failure of a call is data
                    kind, reason = classify(exc)
                    throttled = kind == "throttle"
                    if throttled:
                        self.meter.throttle()
                    if deadline is None:
                        first_failure = time.monotonic()
                        deadline = first_failure + self.retry_budget_seconds
                    limit = call.max_attempts or self.max_attempts
                    if kind == "final" or (limit is not None and attempt >= limit):
                        suffix = f" (after {attempt} attempts)" if attempt > 1 else ""
                        raise CallFailed(reason + suffix, attempt) from None
                    if kind == "unreachable" and time.monotonic() >= first_failure + UNREACHABLE_BUDGET_SECONDS:
                        spent = (
                            f"the {UNREACHABLE_BUDGET_SECONDS:g} s budget for an endpoint that does not answer is spent"
                        )
                        raise CallFailed(f"{reason} (after {attempt} attempts: {spent})", attempt) from None
                    if time.monotonic() >= deadline:
                        spent = f"the retry budget of {self.retry_budget_seconds:g} s is spent"
                        suffix = f" (after {attempt} attempts: {spent})" if attempt > 1 else f" ({spent})"
                        raise CallFailed(reason + suffix, attempt) from None
                    self.meter.retry()
                else:
                    value = replace_lone_surrogates(value)  # text from outside stays writable text
                    if call.tokens_of is not None:
                        self.meter.tokens(call.role, *call.tokens_of(value))
                    if self.cache is not None and call.cache_key is not None:
                        self.cache.put(call.cache_key, value)
                    return CallResult(value, attempt, False)
                finally:
                    self.limiter.release(throttled, took)
            finally:
                if semaphore is not None:
                    semaphore.release()
            self._sleep(attempt, deadline)

    def _sleep(self, attempt: int, deadline: float | None) -> None:
        with self._lock:
            jitter = self._random.random()
        delay = jitter * min(self.max_delay, self.base_delay * 2 ** (attempt - 1))  # full jitter
        if deadline is not None:
            delay = max(0.0, min(delay, deadline - time.monotonic()))  # one last attempt as the budget ends
        if self.cancel.wait(delay):
            raise Cancelled()

    def _limits(self, model: str | None) -> tuple[threading.Semaphore | None, RateLimiter | None, RateLimiter | None]:
        if model is None or model not in self.model_limits:
            return None, None, None
        with self._lock:
            found = self._per_model.get(model)
            if found is None:
                lim = self.model_limits[model]
                found = (
                    threading.Semaphore(lim.concurrency) if lim.concurrency else None,
                    RateLimiter(lim.requests_per_minute) if lim.requests_per_minute else None,
                    RateLimiter(lim.tokens_per_minute) if lim.tokens_per_minute else None,
                )
                self._per_model[model] = found
            return found


_END = object()
