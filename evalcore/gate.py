"""Thresholds -> verdict. Pure: a RunResult's aggregates and the suite's thresholds in, a Verdict out.

Exit codes: 0 passed, 1 a threshold or test failed, 2 bad input (never from here), 3 infrastructure error
(a section could not run, or every case of a section errored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evalcore.results import ModelSummary, RunResult, SectionSummary, ThresholdCheck, Verdict
from evalcore.suite.load import LoadedSuite
from evalcore.suite.models import Threshold
from evalcore.suite.problems import InputError, Problem

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INFRA = 0, 1, 2, 3


@dataclass(frozen=True)
class Rule:
    section: str
    metric: str
    bound: str  # "min" | "max"
    value: float
    models: tuple[str, ...] | None
    line: int | None
    implicit: bool = False  # a default rule the suite did not write


_OVERRIDE = re.compile(
    r"^\s*(?:(?P<section>[A-Za-z0-9][A-Za-z0-9_-]*)\.)?(?P<metric>[A-Za-z_][\w.]*?)\s*"
    r"(?P<op>>=|<=)\s*(?P<value>-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*(?:@(?P<model>\S+))?\s*$"
)


def parse_override(text: str, loaded: LoadedSuite, origin: str) -> list[tuple[str, str, Threshold]]:
    """`[section.]metric>=value[@model]` -> (section, metric, Threshold) for each section it applies to."""
    match = _OVERRIDE.match(text)
    if not match:
        raise InputError(
            [
                Problem(
                    origin, f"'{text}' is not a threshold (write e.g. qa.Builtin.Correctness>=0.85 or error_rate<=0.02)"
                )
            ]
        )
    names = [s.name for s in loaded.suite.sections()]
    section, metric = match["section"], match["metric"]
    if section is not None and section not in names:
        # "Builtin.Correctness>=0.8": the first dotted part is the metric's, not a section.
        metric, section = f"{section}.{metric}", None
    targets = [section] if section else names
    bound = "min" if match["op"] == ">=" else "max"
    value = float(match["value"])
    model = match["model"]
    return [(t, metric, Threshold(**{bound: value}, models=[model] if model else None)) for t in targets]


def rules_for(loaded: LoadedSuite, overrides: list[tuple[str, str, Threshold]] | None = None) -> list[Rule]:
    """The suite's thresholds, command-line overrides replacing a bound of the same section and metric, and the
    defaults: error_rate <= 0 everywhere, and for guardrails and agents (tests) pass_rate >= 1 when they set none."""
    table: dict[tuple[str, str, str], Rule] = {}
    for kind, sections in (
        ("evaluations", loaded.suite.evaluations),
        ("guardrails", loaded.suite.guardrails),
        ("agents", loaded.suite.agents),
    ):
        for i, section in enumerate(sections):
            if "error_rate" not in section.thresholds:
                table[(section.name, "error_rate", "max")] = Rule(
                    section.name, "error_rate", "max", 0.0, None, None, True
                )
            if kind != "evaluations" and not section.thresholds:
                table[(section.name, "pass_rate", "min")] = Rule(
                    section.name, "pass_rate", "min", 1.0, None, None, True
                )
            for metric, threshold in section.thresholds.items():
                line = loaded.line_of((kind, i, "thresholds", metric))
                _add(table, section.name, metric, threshold, line)
    for section, metric, threshold in overrides or []:
        _add(table, section, metric, threshold, None)
    return list(table.values())


def _add(table: dict[tuple[str, str, str], Rule], section: str, metric: str, t: Threshold, line: int | None) -> None:
    models = tuple(t.models) if t.models else None
    for bound in ("min", "max"):
        value = getattr(t, bound)
        if value is not None:
            table[(section, metric, bound)] = Rule(section, metric, bound, value, models, line)


def value_of(summary: ModelSummary, metric: str) -> float | None:
    """The aggregate a threshold names: a metric's mean, a rate, a latency percentile, cost or tokens."""
    if metric in summary.metrics:
        return summary.metrics[metric].mean
    if metric == "pass_rate":
        return summary.pass_rate
    if metric == "error_rate":
        return summary.error_rate
    if metric in summary.rates:
        return summary.rates[metric]
    if metric.startswith("latency_ms."):
        return summary.latency_ms.get(metric.split(".", 1)[1])
    if metric == "cost_usd":
        if summary.cost_usd is None:
            return None
        return summary.cost_usd + (summary.judge_cost_usd or 0.0)
    if metric == "tokens":
        return float(summary.usage.input_tokens + summary.usage.output_tokens)
    return None


def decide(run: RunResult, rules: list[Rule]) -> Verdict:
    checks: list[ThresholdCheck] = []
    reasons: list[str] = []
    infra = False
    by_name = {s.name: s for s in run.sections}
    for section in run.sections:
        if section.status == "not_run":
            infra = True
            reasons.append(f"{section.name}: did not run: {section.reason}")
        elif section.models and all(_all_errored(m) for m in section.models):
            infra = True
            reasons.append(f"{section.name}: every case errored (see the results for the reasons)")
    for rule in rules:
        section = by_name.get(rule.section)
        if section is None or section.status == "not_run":
            continue
        for summary in section.models:
            if rule.models and summary.model not in rule.models:
                continue
            checks.append(_check(section, summary, rule))
    for check in checks:
        if not check.passed:
            who = f" ({check.model})" if check.model else ""
            shown = "no value" if check.value is None else f"{check.value:.4g}"
            op = ">=" if check.bound == "min" else "<="
            reasons.append(f"{check.section}{who}: {check.metric} {op} {check.threshold:g}: got {shown}")
    failed = any(not c.passed for c in checks)
    if infra:
        return Verdict(status="error", exit_code=EXIT_INFRA, checks=checks, reasons=reasons)
    if failed:
        return Verdict(status="failed", exit_code=EXIT_FAILED, checks=checks, reasons=reasons)
    return Verdict(status="passed", exit_code=EXIT_PASSED, checks=checks, reasons=reasons)


def _all_errored(summary: ModelSummary) -> bool:
    return summary.counts.total > 0 and summary.counts.error == summary.counts.total


def _check(section: SectionSummary, summary: ModelSummary, rule: Rule) -> ThresholdCheck:
    value = value_of(summary, rule.metric)
    if value is None:
        passed = False
    elif rule.bound == "min":
        passed = value >= rule.value - 1e-12
    else:
        passed = value <= rule.value + 1e-12
    return ThresholdCheck(
        section=section.name,
        model=summary.model,
        metric=rule.metric,
        bound=rule.bound,  # type: ignore[arg-type]
        threshold=rule.value,
        value=value,
        passed=passed,
        line=rule.line,
    )
