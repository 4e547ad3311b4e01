"""Thresholds -> verdict. Pure: a RunResult's aggregates and the suite's thresholds in, a Verdict out.

Exit codes: 0 passed, 1 a threshold or test failed, 2 bad input (never from here), 3 infrastructure error
(a section could not run, a planned case has no result, or every case of a section errored).

Which bound applies to a model: a command-line override beats the suite file, which beats the defaults; among
rules of the same origin, one that names the model beats one for every model.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from evalcore.domain.results import Aggregate, ModelSummary, RunResult, SectionSummary, ThresholdCheck, Verdict
from evalcore.suite import metric_names
from evalcore.suite.load import LoadedSuite
from evalcore.suite.models import AgentSection, Evaluation, GuardrailSection, KnowledgeBaseSection, Threshold
from evalcore.suite.problems import InputError, Problem

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INFRA = 0, 1, 2, 3

Origin = Literal["default", "suite", "override"]
_PRECEDENCE: dict[str, int] = {"default": 0, "suite": 1, "override": 2}


@dataclass(frozen=True)
class Rule:
    section: str
    metric: str
    bound: Literal["min", "max"]
    value: float
    models: tuple[str, ...] | None
    line: int | None
    origin: Origin = "suite"
    on: Literal["value", "ci_low", "ci_high"] = "value"  # the estimate or an end of its 95% interval

    def applies_to(self, model: str | None) -> bool:
        return self.models is None or model in self.models

    def rank(self) -> tuple[int, int]:
        return _PRECEDENCE[self.origin], self.models is not None


_OVERRIDE = re.compile(
    r"^\s*(?P<target>[^\s<>=@]+)\s*(?P<op>>=|<=)\s*(?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*"
    r"(?:@(?P<model>\S+))?\s*$"
)


def parse_override(text: str, loaded: LoadedSuite, origin: str) -> list[tuple[str, str, Threshold]]:
    """`[section.]metric>=value[@model]` -> (section, metric, Threshold) for each section it applies to.

    Without a section it applies to every section that has the metric (and the model, when one is named)."""
    match = _OVERRIDE.match(text)
    if not match:
        raise _bad(origin, f"'{text}' is not a threshold (write e.g. qa.Builtin.Correctness>=0.85 or error_rate<=0.02)")
    sections = {s.name: s for s in loaded.suite.sections()}
    target, model = match["target"], match["model"]
    named = max((n for n in sections if target.startswith(f"{n}.")), key=len, default=None)
    metric = target[len(named) + 1 :] if named else target
    candidates = [named] if named else list(sections)
    targets = [n for n in candidates if metric in allowed_metrics(sections[n])]
    if not targets:
        known = sorted(set().union(*(allowed_metrics(sections[n]) for n in candidates)))
        guess = difflib.get_close_matches(metric, known, n=1)
        hint = f"did you mean '{guess[0]}'?" if guess else f"known: {', '.join(known)}"
        where = f"section '{named}'" if named else "any section"
        raise _bad(origin, f"'{text}': {where} has no metric '{metric}' ({hint})")
    if model is not None:
        targets = [n for n in targets if model in section_models(sections[n])]
        if not targets:
            raise _bad(origin, f"'{text}': no section with metric '{metric}' runs model '{model}'")
    bound = "min" if match["op"] == ">=" else "max"
    value = float(match["value"])
    return [(t, metric, Threshold(**{bound: value}, models=[model] if model else None)) for t in targets]


def parse_overrides(texts: Iterable[str], loaded: LoadedSuite, origin: str) -> list[tuple[str, str, Threshold]]:
    """Every override of `texts`. Two that bound one aggregate of a section the same way for the same models are an
    error naming both: which one wins is for the user to say, not the order of the flags."""
    overrides: list[tuple[str, str, Threshold]] = []
    first: dict[tuple[str, str, str, tuple[str, ...]], str] = {}
    for text in texts:
        for section, metric, threshold in parse_override(text, loaded, origin):
            models = tuple(threshold.models or ())
            for bound in ("min", "max"):
                if getattr(threshold, bound) is None:
                    continue
                key = (section, metric, bound, models)
                if key in first:
                    at = f"@{models[0]}" if models else ""
                    what = f"a threshold {op_of(bound)} on {section}.{metric}{at}"
                    raise _bad(origin, f"'{first[key].strip()}' and '{text.strip()}' are both {what} (keep one)")
                first[key] = text
            overrides.append((section, metric, threshold))
    return overrides


def allowed_metrics(section: Evaluation | GuardrailSection | AgentSection | KnowledgeBaseSection) -> set[str]:
    """The names a threshold of this section may use: its metrics and the aggregates of its kind."""
    allowed = set(metric_names.COMMON_AGGREGATES) | set(metric_names.LATENCY_AGGREGATES)
    if isinstance(section, Evaluation | KnowledgeBaseSection):
        allowed |= {m.name for m in section.metrics} | set(metric_names.EVALUATION_AGGREGATES)
    elif isinstance(section, GuardrailSection):
        allowed |= set(section.rate_names())
    else:
        allowed |= set(metric_names.AGENT_AGGREGATES)
        allowed |= {metric_names.agentcore_metric(e) for e in section.agentcore_evaluators}
    return allowed


def section_models(section: Evaluation | GuardrailSection | AgentSection | KnowledgeBaseSection) -> list[str]:
    if isinstance(section, Evaluation):
        return list(section.models)
    if isinstance(section, GuardrailSection) and section.model:
        return [section.model]
    if isinstance(section, KnowledgeBaseSection):
        return list(section.targets)
    return []


def _bad(origin: str, message: str) -> InputError:
    return InputError([Problem(origin, message)])


def rules_for(loaded: LoadedSuite, overrides: list[tuple[str, str, Threshold]] | None = None) -> list[Rule]:
    """The defaults (error_rate <= 0 everywhere; pass_rate >= 1, every case passes, for each section of any kind
    whose suite file sets no thresholds), the suite's thresholds and the command-line overrides, in that order of
    precedence. An override adds to the defaults: only one of `pass_rate` replaces "every case passes"."""
    rules: list[Rule] = []
    kinds: list[tuple[str, Sequence[Evaluation | GuardrailSection | AgentSection | KnowledgeBaseSection]]] = [
        ("evaluations", loaded.suite.evaluations),
        ("guardrails", loaded.suite.guardrails),
        ("agents", loaded.suite.agents),
        ("knowledge_bases", loaded.suite.knowledge_bases),
    ]
    for kind, sections in kinds:
        for i, section in enumerate(sections):
            rules.append(Rule(section.name, "error_rate", "max", 0.0, None, None, "default"))
            if not section.thresholds:
                rules.append(Rule(section.name, "pass_rate", "min", 1.0, None, None, "default"))
            for metric, threshold in section.thresholds.items():
                line = loaded.line_of((kind, i, "thresholds", metric))
                rules.extend(_rules(section.name, metric, threshold, line, "suite"))
    for section_name, metric, threshold in overrides or []:
        rules.extend(_rules(section_name, metric, threshold, None, "override"))
    return rules


def _rules(section: str, metric: str, t: Threshold, line: int | None, origin: Origin) -> list[Rule]:
    models = tuple(t.models) if t.models else None
    return [
        Rule(section, metric, which, bound.value, models, line, origin, bound.on)
        for which in ("min", "max")
        if (bound := t.bound(which)) is not None
    ]


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


def interval_of(summary: ModelSummary, metric: str) -> Aggregate | None:
    """The labelled 95% interval of the aggregate a threshold names, where it has one (metric means, the pass
    rate, pass@k and pass^k); None for the others (rates of guardrails, error rate, latency, cost, tokens)."""
    if metric in summary.metrics:
        return summary.metrics[metric]
    if metric == "pass_rate":
        return summary.pass_rate_interval
    return summary.rate_intervals.get(metric)


def decide(run: RunResult, rules: list[Rule]) -> Verdict:
    checks: list[ThresholdCheck] = []
    reasons: list[str] = []
    infra = False
    for section in run.sections:
        if section.status == "not_run":
            infra = True
            reasons.append(f"{section.name}: did not run: {section.reason}")
            continue
        missing = _missing(section)
        if missing:
            infra = True
            reasons.append(f"{section.name}: {missing} of {section.planned} planned cases have no result")
        if section.models and all(_all_errored(m) for m in section.models):
            infra = True
            reasons.append(f"{section.name}: every case errored (see the results for the reasons)")
        section_rules = [r for r in rules if r.section == section.name]
        for summary in section.models:
            if summary.quarantined and not summary.counts.total:
                continue  # every case of this model is quarantined: nothing of it gates
            checks.extend(_check(section, summary, rule) for rule in _winners(section_rules, summary.model))
    reasons.extend(describe(c) for c in checks if not c.passed)
    if infra:
        return Verdict(status="error", exit_code=EXIT_INFRA, checks=checks, reasons=reasons)
    if any(not c.passed for c in checks):
        return Verdict(status="failed", exit_code=EXIT_FAILED, checks=checks, reasons=reasons)
    return Verdict(status="passed", exit_code=EXIT_PASSED, checks=checks, reasons=reasons)


def _winners(rules: list[Rule], model: str | None) -> list[Rule]:
    """For each (metric, bound): the applicable rule of highest precedence, in the order the metrics first appear."""
    best: dict[tuple[str, str], Rule] = {}
    for rule in rules:
        if not rule.applies_to(model):
            continue
        key = (rule.metric, rule.bound)
        if key not in best or rule.rank() >= best[key].rank():
            best[key] = rule
    return list(best.values())


def describe(check: ThresholdCheck) -> str:
    """One line naming a threshold check: `qa (haiku): Builtin.Correctness >= 0.85: got 0.83`."""
    who = f" ({check.model})" if check.model else ""
    on = "" if check.on == "value" else f" on {check.on}"
    shown = "no value (no case produced it)" if check.value is None else f"got {check.value:.4g}"
    i = check.interval
    if check.value is not None and i is not None and None not in (i.mean, i.ci_low, i.ci_high) and i.label():
        bounds = f"[{i.ci_low:.3f}, {i.ci_high:.3f}]"
        of = f"{bounds}" if check.on == "value" else f"{check.on} of {i.mean:.4g} {bounds}"
        shown += f" ({of}, {i.label()})"
    return f"{check.section}{who}: {check.metric} {op_of(check.bound)} {check.threshold:g}{on}: {shown}"


def op_of(bound: str) -> str:
    return ">=" if bound == "min" else "<="


def _missing(section: SectionSummary) -> int:
    """How many of the section's planned cases have no final result (a lost shard, a results file cut or
    overwritten under the run): the verdict cannot speak for cases it never saw."""
    return max(0, section.planned - sum(m.counts.total + len(m.quarantined) for m in section.models))


def _all_errored(summary: ModelSummary) -> bool:
    return summary.counts.total > 0 and summary.counts.error == summary.counts.total


def _check(section: SectionSummary, summary: ModelSummary, rule: Rule) -> ThresholdCheck:
    interval = interval_of(summary, rule.metric)
    if rule.on == "value":
        value = value_of(summary, rule.metric)
    else:  # no interval (e.g. results written before evalcore labelled them): no value, a failed check
        value = None if interval is None else getattr(interval, rule.on)
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
        bound=rule.bound,
        threshold=rule.value,
        value=value,
        passed=passed,
        line=rule.line,
        origin=rule.origin,
        on=rule.on,
        interval=interval,
    )
