"""Drift: the latest run of a history against a window of the runs before it, with the PR comparison's statistics.

Per (section, model, value) of the latest run, each item's base is its mean over the window's runs that scored it
(pooled), its head the latest run's score; the items present on both sides are paired and tested by
`paired_tests.paired_test`, the rows' p-values adjusted together by `paired_tests.benjamini_hochberg` (primary
metrics weighted first), and a row is a drift when it is a discovery at the 5% false discovery rate AND its change
is at least `min_effect` times the metric's scale, as `compare.compare` decides a regression. The rows come back
as compare.Difference (verdict "regression" for a drift to the worse, "improvement" for one to the better), with
their MDE: a row with no drift says how large a drift it could have seen.

Clusters are not in the history (a section's `cluster_by` test is the PR comparison's only); the window pools runs
of whatever model id: a model id change inside the window or at the latest run is reported beside the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from evalcore.domain.compare import LOWER_IS_BETTER, Difference, metric_scale, smallest_step
from evalcore.domain.history import HistoryRecord
from evalcore.domain.paired_tests import FDR, MIN_PAIRS, benjamini_hochberg, paired_test


@dataclass
class Drift:
    latest: HistoryRecord
    window: list[HistoryRecord]
    rows: list[Difference] = field(default_factory=list)
    model_changes: list[str] = field(default_factory=list)  # "qa: model 'm' is X now, Y before"
    suite_changed: bool = False

    @property
    def worse(self) -> list[Difference]:
        return [d for d in self.rows if d.verdict == "regression"]

    @property
    def better(self) -> list[Difference]:
        return [d for d in self.rows if d.verdict == "improvement"]


def detect_drift(records: list[HistoryRecord], window: int, min_effect: float = 0.02) -> Drift | None:
    """The latest of `records` (oldest first) against the `window` runs before it; None without an earlier run."""
    if len(records) < 2:
        return None
    latest, earlier = records[-1], records[-1 - window : -1]
    drift = Drift(latest, earlier)
    drift.suite_changed = any(r.suite_hash != latest.suite_hash for r in earlier if r.suite_hash and latest.suite_hash)
    tested: list[Difference] = []
    for entry in latest.entries:
        previous = [e for r in earlier if (e := r.entry(entry.section, entry.model)) is not None]
        ids = {e.model_id for e in previous if e.model_id}
        if entry.model_id and ids - {entry.model_id}:
            before = ", ".join(sorted(ids - {entry.model_id}))
            drift.model_changes.append(
                f"{entry.section}: model '{entry.model}' is {entry.model_id} now, {before} before"
            )
        for name in sorted(entry.scores):
            head = entry.item_scores(name)
            pooled: dict[str, list[float]] = {}
            for e in previous:
                for item, value in e.item_scores(name).items():
                    pooled.setdefault(item, []).append(value)
            base = {item: sum(v) / len(v) for item, v in pooled.items()}
            common = sorted(set(base) & set(head))
            scale = metric_scale(name)
            row = Difference(
                entry.section, entry.model, name, _mean(base.values()), _mean(head.values()), None, None, None,
                len(common), "insufficient", name in LOWER_IS_BETTER, min_effect=min_effect * scale,
                primary=name in entry.primary,
            )  # fmt: skip
            b, h = [base[i] for i in common], [head[i] for i in common]
            test = paired_test(b, h, smallest_step(b + h, scale))
            if test is not None:
                row.diff, row.ci_low, row.ci_high, row.p = test.diff, test.ci_low, test.ci_high, test.p
                row.method, row.mde = test.method, test.mde
                if len(common) >= MIN_PAIRS:
                    row.verdict = "no_change"
                    if any(abs(x - y) > 1e-12 for x, y in zip(b, h, strict=True)):
                        tested.append(row)
            drift.rows.append(row)
    for d, q in zip(tested, benjamini_hochberg([d.p or 0.0 for d in tested], [d.primary for d in tested]), strict=True):
        d.q = q
        if q <= FDR and d.diff is not None and abs(d.diff) >= d.min_effect:
            d.verdict = "improvement" if (d.diff > 0) != d.lower_is_better else "regression"
    return drift


def _mean(values: Iterable[float]) -> float | None:
    found = list(values)
    return sum(found) / len(found) if found else None
