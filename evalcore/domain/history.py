"""The history of a suite's runs: one compact record per run, appended to a store (evalcore.app.history_store) and
read back for trends (evalcore.report.history_*) and drift (evalcore.domain.drift).

A record holds the run's identity (suite name and hash, run id, commit, ref, time) and, per section and model, the
model id, case counts, pass and error rates, cost, tokens, each metric's aggregate (n, mean, interval and its label)
and each item's score per compared value (compare.outcome_values: every metric, pass_rate, error_rate...), so a
later run can be paired with earlier ones item by item as the PR comparison pairs them.

Compact: an entry lists its item keys once (cut to `ITEM_KEY_CHARS` hex characters of the 16 the plan derives,
plus an occurrence suffix) and per value a list of scores in that order (null: the item has none), rounded to
`DIGITS` decimals. `HISTORY_VERSION` changes when a field changes meaning.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from evalcore.domain.compare import outcome_values
from evalcore.domain.results import Aggregate, CaseResult, RunResult

HISTORY_VERSION = 1
ITEM_KEY_CHARS = 10  # 40 bits: two of 10,000 items share a key with odds of about 1 in 20,000
DIGITS = 4


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MetricPoint(_Record):
    """A metric's aggregate over items in one run: n, mean and its 95% interval with the interval's label."""

    n: int
    mean: float | None = None
    low: float | None = None
    high: float | None = None
    label: str = ""

    @classmethod
    def of(cls, aggregate: Aggregate) -> MetricPoint:
        return cls(
            n=aggregate.n,
            mean=_round(aggregate.mean),
            low=_round(aggregate.ci_low),
            high=_round(aggregate.ci_high),
            label=aggregate.label(),
        )


class HistoryEntry(_Record):
    """One section and model of one run."""

    section: str
    model: str | None = None
    model_id: str | None = None
    cases: int = 0
    pass_rate: float | None = None
    error_rate: float | None = None
    cost_usd: float | None = None
    tokens: int = 0
    primary: list[str] = Field(default_factory=list)  # the section's primary metrics (tested first for drift)
    metrics: dict[str, MetricPoint] = Field(default_factory=dict)
    items: list[str] = Field(default_factory=list)
    # value name -> score per item; an int where the score is whole (0 and 1, not 0.0 and 1.0: fewer bytes)
    scores: dict[str, list[int | float | None]] = Field(default_factory=dict)

    def item_scores(self, name: str) -> dict[str, float]:
        """The scores of one value (a metric, pass_rate, error_rate...) by item key."""
        values = self.scores.get(name, [])
        return {item: v for item, v in zip(self.items, values, strict=False) if v is not None}


class HistoryRecord(_Record):
    history: int = HISTORY_VERSION
    suite: str
    suite_hash: str | None = None
    run_id: str
    commit: str | None = None
    ref: str | None = None
    started_at: float
    finished_at: float | None = None
    tool_version: str | None = None
    entries: list[HistoryEntry] = Field(default_factory=list)

    def entry(self, section: str, model: str | None) -> HistoryEntry | None:
        return next((e for e in self.entries if e.section == section and e.model == model), None)


def history_record(run: RunResult, cases: Iterable[CaseResult]) -> HistoryRecord:
    """The record of a finished run: its summary and its items' scores (repeats averaged per item)."""
    sums: dict[tuple[str, str | None], dict[str, dict[str, list[float]]]] = {}
    for case in cases:
        per_item = sums.setdefault((case.section, case.model), {}).setdefault(_short(case.item_key), {})
        for name, value in outcome_values(case).items():
            per_item.setdefault(name, []).append(value)
    entries = []
    for section in run.sections:
        for m in section.models:
            items = sums.get((section.name, m.model), {})
            keys = sorted(items)
            names = sorted({name for values in items.values() for name in values})
            scores = {name: [_mean(items[key].get(name)) for key in keys] for name in names}
            metrics = {name: MetricPoint.of(a) for name, a in m.metrics.items()}
            if m.pass_rate_interval is not None:
                metrics["pass_rate"] = MetricPoint.of(m.pass_rate_interval)
            usage = m.usage + m.judge_usage
            cost = None if m.cost_usd is None else _round(m.cost_usd + (m.judge_cost_usd or 0.0), 6)
            entry = HistoryEntry(
                section=section.name, model=m.model, model_id=m.model_id, cases=m.counts.total,
                pass_rate=_round(m.pass_rate), error_rate=_round(m.error_rate), cost_usd=cost,
                tokens=usage.input_tokens + usage.output_tokens, primary=list(section.primary_metrics),
                metrics=metrics, items=keys, scores=scores,
            )  # fmt: skip
            entries.append(entry)
    meta = run.run
    return HistoryRecord(
        suite=meta.suite, suite_hash=meta.suite_hash, run_id=meta.run_id, commit=meta.git_sha, ref=meta.git_ref,
        started_at=meta.started_at, finished_at=meta.finished_at, tool_version=meta.tool_version, entries=entries,
    )  # fmt: skip


def _short(item_key: str) -> str:
    key, hash_mark, occurrence = item_key.partition("#")
    return key[:ITEM_KEY_CHARS] + hash_mark + occurrence


def _mean(values: list[float] | None) -> int | float | None:
    return None if not values else _round(sum(values) / len(values))


def _round(value: float | None, digits: int = DIGITS) -> int | float | None:
    if value is None:
        return None
    rounded = round(value, digits)
    return int(rounded) if rounded == int(rounded) else rounded  # 1 and 0, not 1.0 and 0.0: a third of the bytes
