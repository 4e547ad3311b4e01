"""One AgentCore Evaluations score as a metric, the same for the on-demand `Evaluate` path and the batch results.

The metric is `agentcore:<evaluator id>` (`:<dimension>` for a multi-dimensional scale) with the evaluator's score as
its value and `passed` unset: reported, bounded only by a threshold; the case's verdict stays evalcore's. A score
outside 0-1 (a custom evaluator's own scale) is no value on evalcore's 0-1 scale: the metric then has none, and the
score, with the label, stays in the explanation.
"""

from __future__ import annotations

from evalcore.domain.results import MetricScore


def agentcore_score(name: str, value: float | None, label: str | None, explanation: str | None) -> MetricScore:
    text = " ".join(p for p in (f"[{label}]" if label else None, explanation) if p)
    if value is not None and not 0 <= value <= 1:
        text = f"score {value} (outside 0-1) {text}".strip()
        value = None
    return MetricScore(name=name, value=None if value is None else float(value), explanation=text or None)
