"""Baseline vs head: paired tests over the items both runs have, with the false discovery rate controlled across
every row of the comparison.

Pairing: cases are matched by (section, model, item) — the item key is content-derived, so reordering a dataset
keeps pairs — and repeats of one item are averaged first, so a pair is one item's mean in each run. Each row
(section, model, metric) is tested by `paired_tests.paired_test` (exact McNemar with Newcombe's interval for 0/1
values, paired t otherwise, a cluster-robust t when the section names `cluster_by`). A row is a regression or an
improvement only when it has at least `paired_tests.MIN_PAIRS` pairs, it is a discovery of Benjamini-Hochberg at a
5% false discovery rate over every tested row where some item moved (the section's `primary_metrics` weighted
first), AND the difference is at least `min_effect` times the metric's scale (1 for 0-1 metrics, 100 for
Robustness, a percentage). Pure: results in, a Comparison out.

Streams: each side's cases are read twice (once for the figures, once for the text of the few cases that changed
most), so a results file (results.ResultsFile) is never held whole; a list works as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from evalcore.domain.paired_tests import FDR, MIN_PAIRS, benjamini_hochberg, paired_test
from evalcore.domain.results import CaseResult, RunResult

Verdict = Literal["regression", "improvement", "no_change", "insufficient"]

# Metrics and rates where a smaller value is better. Builtin.Robustness is the percentage by which answers change
# under perturbed prompts (Bedrock user guide, "model-evaluation-report-programmatic").
LOWER_IS_BETTER = frozenset(
    {
        "Builtin.Harmfulness",
        "Builtin.Robustness",
        "Builtin.Stereotyping",
        "Builtin.Toxicity",
        "Builtin.Refusal",
        "error_rate",
        "false_positive_rate",
    }
)
# The range of a metric where it is not 0-1: `min_effect` and a step of no spread are scaled by it.
METRIC_SCALE = {"Builtin.Robustness": 100.0}


def metric_scale(metric: str) -> float:
    return METRIC_SCALE.get(metric, 1.0)


@dataclass
class Difference:
    section: str
    model: str | None
    metric: str
    base: float | None
    head: float | None
    diff: float | None  # head - base over the paired items
    ci_low: float | None
    ci_high: float | None
    pairs: int
    verdict: Verdict
    lower_is_better: bool = False
    method: str | None = None  # the test and interval: "McNemar/Newcombe", "paired t", "cluster t"
    groups: int | None = None  # clusters of a cluster t
    p: float | None = None  # the test's two-sided p-value
    q: float | None = None  # Benjamini-Hochberg adjusted p over the comparison's tested rows
    mde: float | None = None  # minimum detectable effect at 80% power, two-sided 5%
    min_effect: float = 0.02  # the smallest difference that counts, on this metric's scale
    primary: bool = False  # one of its section's `primary_metrics`

    @property
    def underpowered(self) -> bool:
        """The test could not see a change of the size that counts: say "no change larger than MDE"."""
        return self.mde is not None and self.mde > self.min_effect

    @property
    def interval_label(self) -> str:
        """What the interval is: 95%, its method and its number of pairs (and clusters)."""
        groups = f", {self.groups} groups" if self.groups else ""
        return f"95% {self.method}, {self.pairs} pairs{groups}"

    @property
    def arrow(self) -> str:
        if self.diff is None or abs(self.diff) < 1e-12:
            return "→"
        return "↑" if self.diff > 0 else "↓"


@dataclass
class CaseChange:
    section: str
    model: str | None
    item_key: str
    metric: str
    base: float
    head: float
    prompt: str | None
    output_base: str | None
    output_head: str | None

    @property
    def delta(self) -> float:
        return self.head - self.base


@dataclass
class Totals:
    """Tokens, cost and latency of a run, for the side-by-side line."""

    tokens: int = 0
    cost_usd: float | None = None
    latency_p95_ms: float | None = None


@dataclass
class Comparison:
    suite: str
    differences: list[Difference] = field(default_factory=list)
    changes: list[CaseChange] = field(default_factory=list)  # the cases that changed most, worst first
    new_cases: int = 0
    removed_cases: int = 0
    warnings: list[str] = field(default_factory=list)
    base_totals: Totals = field(default_factory=Totals)
    head_totals: Totals = field(default_factory=Totals)
    base_sha: str | None = None
    head_sha: str | None = None

    @property
    def regressions(self) -> list[Difference]:
        return [d for d in self.differences if d.verdict == "regression"]

    @property
    def improvements(self) -> list[Difference]:
        return [d for d in self.differences if d.verdict == "improvement"]


def compare(
    base_run: RunResult,
    base_cases: Iterable[CaseResult],
    head_run: RunResult,
    head_cases: Iterable[CaseResult],
    min_effect: float = 0.02,
    top: int = 10,
) -> Comparison:
    """`base_cases` and `head_cases` must be iterable twice (a list, or a results.ResultsFile). `min_effect` is on
    the 0-1 scale (a metric of another range scales it, see METRIC_SCALE)."""
    cmp = Comparison(suite=head_run.run.suite, base_sha=base_run.run.git_sha, head_sha=head_run.run.git_sha)
    if base_run.run.suite != head_run.run.suite:
        cmp.warnings.append(f"the baseline is of suite '{base_run.run.suite}', not '{head_run.run.suite}'")
    if base_run.run.suite_hash and head_run.run.suite_hash and base_run.run.suite_hash != head_run.run.suite_hash:
        cmp.warnings.append("the suite or its data changed since the baseline: differences may come from that")
    base_models = {(s.name, m.model): m.model_id for s in base_run.sections for m in s.models}
    for s in head_run.sections:
        for m in s.models:
            old = base_models.get((s.name, m.model))
            if old and m.model_id and old != m.model_id:
                cmp.warnings.append(f"{s.name}: model '{m.model}' is {m.model_id} now, {old} in the baseline")
    base, head = _Side.of(base_cases), _Side.of(head_cases)
    cmp.new_cases = len(head.ids - base.ids)
    cmp.removed_cases = len(base.ids - head.ids)
    cmp.base_totals, cmp.head_totals = _totals(base_run), _totals(head_run)

    sections = {sec.name: sec for sec in head_run.sections}
    base_items, head_items = base.item_means(), head.item_means()
    # Benjamini-Hochberg's family: the rows with enough pairs where some item moved. A row where none did (an
    # error rate of 0 in both runs) has p = 1 whatever happens, so it could never be a discovery and would only
    # raise every other row's q (Tarone's exclusion of hypotheses that cannot reach the threshold).
    tested: list[Difference] = []
    for key in sorted(set(base_items) | set(head_items), key=lambda k: (k[0], k[1] or "", k[2])):
        section, model, metric = key
        b, h = base_items.get(key, {}), head_items.get(key, {})
        common = sorted(set(b) & set(h))
        summary = sections.get(section)
        scale = metric_scale(metric)
        row = Difference(
            section, model, metric, sum(b.values()) / len(b) if b else None, sum(h.values()) / len(h) if h else None,
            None, None, None, len(common), "insufficient", metric in LOWER_IS_BETTER, min_effect=min_effect * scale,
            primary=summary is not None and metric in summary.primary_metrics,
        )  # fmt: skip
        cluster_by = summary.cluster_by if summary is not None else None
        groups = [head.group(section, item) for item in common] if cluster_by else None
        base_values, head_values = [b[i] for i in common], [h[i] for i in common]
        test = paired_test(base_values, head_values, smallest_step([*base_values, *head_values], scale), groups)
        if test is not None:
            row.base, row.head = sum(base_values) / len(common), sum(head_values) / len(common)
            row.diff, row.ci_low, row.ci_high, row.p = test.diff, test.ci_low, test.ci_high, test.p
            row.method, row.groups, row.mde = test.method, test.groups, test.mde
            if test.pairs >= MIN_PAIRS:
                row.verdict = "no_change"
                if any(bv != hv for bv, hv in zip(base_values, head_values, strict=True)):
                    tested.append(row)
        cmp.differences.append(row)
    for d, q in zip(tested, benjamini_hochberg([d.p or 0.0 for d in tested], [d.primary for d in tested]), strict=True):
        d.q = q
        if q <= FDR and d.diff is not None and abs(d.diff) >= d.min_effect:
            d.verdict = "improvement" if (d.diff > 0) != d.lower_is_better else "regression"
    cmp.changes = _top_changes(base, head, base_cases, head_cases, top)
    return cmp


ItemKey = tuple[str, str | None, str]  # section, model, item
MetricKey = tuple[str, str | None, str]  # section, model, metric


def smallest_step(values: list[float], scale: float) -> float:
    """The metric's smallest step: the smallest gap between two values seen (1 for 0/1 values), else its scale."""
    distinct = sorted(set(values))
    gaps = [b - a for a, b in pairwise(distinct)]
    return min(gaps) if gaps else scale


@dataclass
class _Side:
    """What one run's cases come to, read once: case ids, per-item values, and the first repeat's values."""

    ids: set[str] = field(default_factory=set)
    sums: dict[MetricKey, dict[str, list[float]]] = field(default_factory=dict)  # per item
    first: dict[ItemKey, dict[str, float]] = field(default_factory=dict)
    clusters: dict[tuple[str, str], str] = field(default_factory=dict)  # (section, item) -> its `cluster_by` value

    @classmethod
    def of(cls, cases: Iterable[CaseResult]) -> _Side:
        side = cls()
        for case in cases:
            side.ids.add(case.case_id)
            values = outcome_values(case)
            for metric, value in values.items():
                side.sums.setdefault((case.section, case.model, metric), {}).setdefault(case.item_key, []).append(value)
            if case.cluster is not None:
                side.clusters[(case.section, case.item_key)] = case.cluster
            if case.repeat == 0:
                side.first[(case.section, case.model, case.item_key)] = values
        return side

    def group(self, section: str, item: str) -> str:
        """An item's cluster: its value of the section's `cluster_by` field, as the run recorded it per case; an
        item without one is a cluster of its own."""
        return self.clusters.get((section, item), f"item:{item}")

    def item_means(self) -> dict[MetricKey, dict[str, float]]:
        return {key: {item: sum(v) / len(v) for item, v in items.items()} for key, items in self.sums.items()}


def outcome_values(case: CaseResult) -> dict[str, float]:
    """The per-case values compared: every metric, the pass outcome, and for guardrail probes the block outcome
    split by what was expected (so block rate and false-positive rate are compared on the right probes)."""
    values = {m.name: m.value for m in case.metrics if m.value is not None}
    if case.status != "error":
        values["pass_rate"] = 1.0 if case.status == "pass" else 0.0
    values["error_rate"] = 1.0 if case.status == "error" else 0.0
    if case.guardrail is not None and case.status != "error":
        blocked = 1.0 if case.guardrail.observed != "allowed" else 0.0
        if case.guardrail.expected == "blocked":
            values["block_rate"] = blocked
        elif case.guardrail.expected == "allowed":
            values["false_positive_rate"] = blocked
    return values


def _top_changes(
    base: _Side, head: _Side, base_cases: Iterable[CaseResult], head_cases: Iterable[CaseResult], top: int
) -> list[CaseChange]:
    """The first repeats whose values moved most, worst first; their texts read in a second pass."""
    moved: list[tuple[ItemKey, str, float, float]] = []
    for key, after in head.first.items():
        before = base.first.get(key)
        if before is None:
            continue
        for metric in sorted(set(before) & set(after)):
            if metric == "error_rate" or abs(after[metric] - before[metric]) < 1e-9:
                continue
            moved.append((key, metric, before[metric], after[metric]))
    moved.sort(key=lambda m: m[3] - m[2] if m[1] not in LOWER_IS_BETTER else m[2] - m[3])
    moved = moved[:top]
    wanted = {m[0] for m in moved}
    head_text = _texts(head_cases, wanted)
    base_text = _texts(base_cases, wanted)
    return [
        CaseChange(key[0], key[1], key[2], metric, before, after, head_text[key][0], base_text[key][1],
                   head_text[key][1])
        for key, metric, before, after in moved
    ]  # fmt: skip


def _texts(cases: Iterable[CaseResult], wanted: set[ItemKey]) -> dict[ItemKey, tuple[str | None, str | None]]:
    """(prompt, output) of the first repeat of each wanted item."""
    found: dict[ItemKey, tuple[str | None, str | None]] = {}
    for case in cases:
        key = (case.section, case.model, case.item_key)
        if case.repeat == 0 and key in wanted:
            found[key] = (case.prompt, case.output)
    return found


def _totals(run: RunResult) -> Totals:
    tokens = 0
    cost = None
    p95s = []
    for s in run.sections:
        for m in s.models:
            tokens += (
                m.usage.input_tokens + m.usage.output_tokens + m.judge_usage.input_tokens + m.judge_usage.output_tokens
            )
            if m.cost_usd is not None:
                cost = (cost or 0.0) + m.cost_usd + (m.judge_cost_usd or 0.0)
            p95 = m.latency_ms.get("p95")
            if p95 is not None:
                p95s.append(p95)
    return Totals(tokens=tokens, cost_usd=cost, latency_p95_ms=max(p95s) if p95s else None)
