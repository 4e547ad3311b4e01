"""A run's cost budget (`--max-cost-usd`, `defaults.max_cost_usd`): no new model call starts once what was spent,
plus the worst case of the calls in flight, plus this call's worst case would pass it. Calls in flight finish; a
case not started, or one whose next call (its judge's) the budget refused, gets no result, and the run reports it
not run (evalcore.app.orchestrate); the calls it made count in the spend, and --resume runs it again.

A call's worst case is its input tokens as estimated (evalcore.bedrock.pricing.worst_case_tokens) at the input
price plus its output upper bound (the request's maxTokens) at the output price; once it answers, the reserve is
replaced by what the answer's usage costs. A call whose model has no price is refused before the run (exit 2), so
nothing here counts as $0 what it cannot price.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

# (model id) -> USD per million (input, output) tokens, or None when unknown.
PriceOf = Callable[[str], tuple[float, float] | None]


def budget_reason(max_usd: float) -> str:
    return f"cost budget of ${max_usd:g} reached"


@dataclass
class CostBudget:
    max_usd: float
    price_of: PriceOf
    spent_usd: float = 0.0
    _in_flight: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _reached: threading.Event = field(default_factory=threading.Event)
    _item: threading.local = field(default_factory=threading.local)

    @property
    def reached(self) -> bool:
        return self._reached.is_set()

    def _usd(self, model: str | None, input_tokens: int, output_tokens: int) -> float:
        price = self.price_of(model) if model is not None else None
        if price is None:
            return 0.0  # calls without a model (guardrails, retrieval): not billed by the token
        return (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000

    def reserve(self, model: str | None, worst_tokens: tuple[int, int]) -> float | None:
        """Reserve a call's worst case and return it; None (refused) when it would pass the budget."""
        worst = self._usd(model, *worst_tokens)
        with self._lock:
            if self._reached.is_set() or self.spent_usd + self._in_flight + worst > self.max_usd:
                self._reached.set()
                self._item.refused = True
                return None
            self._in_flight += worst
        return worst

    def settle(self, reserved: float, model: str | None, input_tokens: int, output_tokens: int) -> None:
        """Replace a call's reserve by what it cost (nothing for a call that failed without an answer)."""
        cost = self._usd(model, input_tokens, output_tokens)
        with self._lock:
            self._in_flight -= reserved
            self.spent_usd += cost

    def begin_item(self) -> None:
        """A case starts on this thread: whether the budget refused one of its calls is `refused()` afterwards."""
        self._item.refused = False

    def refused(self) -> bool:
        return bool(getattr(self._item, "refused", False))
