"""JUnit XML: one testsuite per section, one testcase per case and model, one per threshold check.

Reporters key history on `classname` + `name`, so both are stable across runs: classname `suite.section.model`,
name from the item (see cases.title). Untrusted text is made plain (no ANSI, no XML-forbidden characters) before
junit-xml serialises it; junit-xml's own clean-up would run after escaping and leave e.g. a visible `[31m`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from junit_xml import TestCase, TestSuite, to_xml_report_string

from evalcore.gate import describe, op_of
from evalcore.report.cases import ordered, source_of, title, why
from evalcore.report.figures import interval
from evalcore.report.plain import plain
from evalcore.results import CaseResult, ModelSummary, RunResult, SectionSummary, ThresholdCheck

MIN_SECONDS = 0.001  # junit-xml drops `time` for 0, and some reporters then show NaN
DETAIL_LIMIT = 20_000


def junit_xml(run: RunResult, cases: list[CaseResult]) -> str:
    by_section: dict[str, list[CaseResult]] = {}
    for case in ordered(run, cases):
        by_section.setdefault(case.section, []).append(case)
    checks = run.verdict.checks if run.verdict else []
    suites = [
        _suite(run, s, by_section.get(s.name, []), [c for c in checks if c.section == s.name]) for s in run.sections
    ]
    return to_xml_report_string(suites, prettyprint=True)


def write_junit(path: Path, run: RunResult, cases: list[CaseResult]) -> Path:
    path.write_text(junit_xml(run, cases), encoding="utf-8")
    return path


def classname(run: RunResult, section: str, model: str | None) -> str:
    parts = [run.run.suite, section] + ([model] if model else [])
    return plain(".".join(parts))


def _suite(run: RunResult, section: SectionSummary, cases: list[CaseResult], checks: list[ThresholdCheck]) -> TestSuite:
    tests = [_case(run, c) for c in cases]
    if section.status == "not_run":
        skipped = TestCase("section did not run", classname=classname(run, section.name, None), elapsed_sec=MIN_SECONDS)
        skipped.add_skipped_info(message=plain(section.reason) or "the section did not run")
        tests.append(skipped)
    tests.extend(_threshold_case(run, check) for check in checks)
    return TestSuite(
        plain(section.name),
        tests,
        timestamp=datetime.fromtimestamp(run.run.started_at, UTC).isoformat(timespec="seconds"),
        properties=_properties(section),
        file=plain(run.run.suite_path) or None,
    )


def _case(run: RunResult, case: CaseResult) -> TestCase:
    file, line = source_of(case)
    test = TestCase(
        plain(title(case)),
        classname=classname(run, case.section, case.model),
        elapsed_sec=_seconds(case.latency_ms),
        file=plain(file) or None,
        line=str(line) if line else None,
        allow_multiple_subelements=True,
    )
    details = _details(case)
    if case.status == "fail":
        test.add_failure_info(message=why(case), output=details, failure_type="evalcore.fail")
    elif case.status == "error":
        test.add_error_info(message=why(case), output=details, error_type="evalcore.error")
    elif case.status == "skipped":
        test.add_skipped_info(message=why(case))
    return test


def _seconds(latency_ms: float | None) -> float:
    if latency_ms is None:
        return MIN_SECONDS
    return max(MIN_SECONDS, round(latency_ms / 1000, 3))


def _details(case: CaseResult) -> str:
    """The failure text: the item, the answer, each metric with the judge's explanation."""
    lines = [f"case {case.case_id}" + (f" ({case.source})" if case.source else "")]
    for label, text in (("prompt", case.prompt), ("reference", case.reference), ("output", case.output)):
        if text:
            lines.append(f"{label}:\n{_indent(plain(text))}")
    for m in case.metrics:
        value = "-" if m.value is None else f"{m.value:.3g}"
        mark = {True: "pass", False: "FAIL", None: ""}[m.passed]
        lines.append(f"{m.name}: {value} {mark}".rstrip())
        for note in (m.explanation, m.error):
            if note:
                lines.append(_indent(plain(note)))
    if case.guardrail is not None:
        g = case.guardrail
        lines.append(f"guardrail: expected {g.expected}, observed {g.observed}")
        lines.extend(f"  hit {plain(h.policy)} ({plain(h.action)})" for h in g.hits)
    if case.agent is not None:
        for n, turn in enumerate(case.agent.turns, 1):
            lines.append(f"turn {n} user:\n{_indent(plain(turn.user))}")
            if turn.agent:
                lines.append(f"turn {n} agent:\n{_indent(plain(turn.agent))}")
        if case.agent.reasoning:
            lines.append(f"evaluator:\n{_indent(plain(case.agent.reasoning))}")
    text = "\n".join(lines)
    return text if len(text) <= DETAIL_LIMIT else text[:DETAIL_LIMIT] + "\n… (cut: see the HTML report)"


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.split("\n"))


def _threshold_case(run: RunResult, check: ThresholdCheck) -> TestCase:
    """A testcase named for the bound (stable); the value is in the message and in system-out."""
    statement = f"{check.metric} {op_of(check.bound)} {check.threshold:g}"
    shown = "no value" if check.value is None else f"{check.value:.4g}"
    test = TestCase(
        plain(f"threshold {statement}"),
        classname=classname(run, check.section, check.model),
        elapsed_sec=MIN_SECONDS,
        stdout=plain(f"threshold {statement}: {shown}"),
        file=plain(run.run.suite_path) or None,
        line=str(check.line) if check.line else None,
    )
    if not check.passed:
        test.add_failure_info(
            message=plain(f"threshold {statement}: {shown}"),
            output=plain(describe(check)),
            failure_type="evalcore.threshold",
        )
    return test


def _properties(section: SectionSummary) -> dict[str, str]:
    props: dict[str, str] = {"kind": section.kind, "status": section.status}
    for m in section.models:
        props.update(_model_properties(m))
    return {plain(k): plain(v) for k, v in props.items()}


def _model_properties(m: ModelSummary) -> dict[str, str]:
    prefix = f"{m.model}." if m.model else ""
    props = {f"{prefix}cases": f"{m.counts.passed} pass, {m.counts.failed} fail, {m.counts.error} error"}
    if m.pass_rate is not None:
        props[f"{prefix}pass_rate"] = f"{m.pass_rate:.4g}"
    if m.error_rate is not None:
        props[f"{prefix}error_rate"] = f"{m.error_rate:.4g}"
    for name, agg in m.metrics.items():
        if agg.mean is None:
            continue
        props[f"{prefix}{name}"] = f"{agg.mean:.4g} {interval(agg)} n={agg.n}".replace("  ", " ")
    for name, rate in m.rates.items():
        if rate is not None:
            props[f"{prefix}{name}"] = f"{rate:.4g}"
    p95 = m.latency_ms.get("p95")
    if p95 is not None:
        props[f"{prefix}latency_ms.p95"] = f"{p95:.0f}"
    props[f"{prefix}tokens"] = f"{m.usage.input_tokens} in, {m.usage.output_tokens} out"
    if m.cost_usd is not None:
        props[f"{prefix}cost_usd"] = f"{m.cost_usd + (m.judge_cost_usd or 0):.4f}"
    return props
