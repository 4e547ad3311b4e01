"""JUnit XML: one testsuite per section, one testcase per case and model, one per threshold check, and a last
testsuite holding the verdict itself.

The file fails (holds a `failure` or an `error`) exactly when the verdict is not `passed`: by default (`gate`) a
failed or errored case is a failure or an error only when it gates the verdict (see gating.py); one its section's
thresholds tolerate is a passing testcase that carries its check results in system-out (not in testcase
properties: the xunit2 schema, junit-10.xsd, has none, and pytest refuses record_property under it), and the
breached thresholds carry the failures. `cases` makes every failed case a failure and every errored case an error.
Test reporters fail a workflow on any failure (dorny/test-reporter's `fail-on-error` defaults to `true`, its
action.yml), so the default keeps them in step with the exit code.

Reporters key history on `classname` + `name`, so both are stable across runs: classname `suite.section.model`,
name from the item (see cases.title). Untrusted text is made plain (no ANSI, no XML-forbidden characters) before
junit-xml serialises it; junit-xml's own clean-up would run after escaping and leave e.g. a visible `[31m`.

The file is written as the cases are read: junit-xml builds each batch of testcase elements, evalcore writes the
testsuite around them with counts taken from the case index, so no run is ever one document in memory.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape

from junit_xml import TestCase, TestSuite

from evalcore.domain.gate import describe, op_of
from evalcore.domain.results import CaseResult, ModelSummary, RunResult, SectionSummary, ThresholdCheck
from evalcore.report.case_index import CaseIndex, Entry
from evalcore.report.cases import source_of, title, why
from evalcore.report.figures import interval
from evalcore.report.gating import Gating, JunitFailures, gate_rule, section_checks
from evalcore.report.plain import plain

MIN_SECONDS = 0.001  # junit-xml drops `time` for 0, and some reporters then show NaN
DETAIL_LIMIT = 20_000
BATCH = 200  # testcases built by junit-xml at a time
VERDICT_SUITE = "evalcore verdict"  # a space: no section can have this name


def junit_xml(run: RunResult, cases: CaseIndex | Iterable[CaseResult], failures: JunitFailures = "gate") -> str:
    out = io.StringIO()
    _write(out, run, CaseIndex.of(run, cases), failures)
    return out.getvalue()


def write_junit(
    path: Path, run: RunResult, cases: CaseIndex | Iterable[CaseResult], failures: JunitFailures = "gate"
) -> Path:
    with path.open("w", encoding="utf-8") as out:
        _write(out, run, CaseIndex.of(run, cases), failures)
    return path


def _write(out: TextIO, run: RunResult, index: CaseIndex, failures: JunitFailures) -> None:
    gating = Gating(run, every_case=failures == "cases")
    suites = [(s, index.entries(s.name), section_checks(run, s.name)) for s in run.sections]
    counts = [_counts(s, entries, checks, gating) for s, entries, checks in suites]
    verdict = _verdict_case(run)
    verdict_counts = _counts_of([verdict])
    total = {
        k: sum(c[k] for c in [*counts, verdict_counts]) for k in ("disabled", "errors", "failures", "tests", "time")
    }
    out.write('<?xml version="1.0" encoding="utf-8"?>\n')
    out.write(_tag("testsuites", _shown(total)))
    for (section, entries, checks), n in zip(suites, counts, strict=True):
        properties = _properties(section, checks)
        _write_suite(out, run, section.name, n, properties, _tests(run, section, index.read(entries), checks, gating))
    _write_suite(out, run, VERDICT_SUITE, verdict_counts, {}, iter([(verdict, {})]))
    out.write("\n</testsuites>\n")


def _write_suite(
    out: TextIO,
    run: RunResult,
    name: str,
    n: dict[str, float],
    properties: dict[str, str],
    tests: Iterator[tuple[TestCase, dict[str, str]]],
) -> None:
    attrs = _shown({"disabled": n["disabled"], "errors": n["errors"], "failures": n["failures"]})
    attrs |= {"name": plain(name), **_shown({k: n[k] for k in ("skipped", "tests", "time")})}
    attrs["timestamp"] = datetime.fromtimestamp(run.run.started_at, UTC).isoformat(timespec="seconds")
    if run.run.suite_path:
        attrs["file"] = plain(run.run.suite_path)
    out.write("\n\t" + _tag("testsuite", attrs))  # junit-xml's attribute order
    if properties:
        out.write("\n\t\t<properties>")
        for key, value in properties.items():
            out.write("\n\t\t\t" + _tag("property", {"name": key, "value": value}, empty=True))
        out.write("\n\t\t</properties>")
    while batch := list(islice(tests, BATCH)):
        built = TestSuite("batch", [test for test, _ in batch]).build_xml_doc().iter("testcase")
        for (_, properties), element in zip(batch, built, strict=True):
            _add_properties(element, properties)
            ET.indent(element, "\t", level=2)
            out.write("\n\t\t" + ET.tostring(element, encoding="unicode", short_empty_elements=True))
    out.write("\n\t</testsuite>")


_QUOTED = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def _tag(name: str, attrs: dict[str, str], empty: bool = False) -> str:
    """A start tag (or an empty element), attributes in the given order and escaped."""
    text = " ".join(f'{key}="{escape(value, _QUOTED)}"' for key, value in attrs.items())
    return f"<{name} {text}{'/' if empty else ''}>"


def _shown(figures: dict[str, float]) -> dict[str, str]:
    """Counts as whole numbers, `time` in seconds to the millisecond."""
    return {k: f"{v:.3f}" if k == "time" else str(int(v)) for k, v in figures.items()}


def _tests(
    run: RunResult, section: SectionSummary, cases: Iterator[CaseResult], checks: list[ThresholdCheck], gating: Gating
) -> Iterator[tuple[TestCase, dict[str, str]]]:
    """Each testcase with its own properties (see `_marks`)."""
    rule = gate_rule(section, checks)
    for case in cases:
        gates = gating.gates(case.section, case.model, case.status, case.case_id)
        test = _case(run, case) if gates or case.status in ("pass", "skipped") else _tolerated_case(run, case, rule)
        yield test, _marks(case.case_id, gating)
    if section.status != "ran":
        # Not a skip: the verdict is an infrastructure error (exit 3) and a reporter must not show it green. A
        # partial section (cases the cost budget did not start, results missing) says so in one testcase.
        whole = section.status == "not_run"
        name = "section did not run" if whole else "cases not run"
        not_run = TestCase(name, classname=classname(run, section.name, None), elapsed_sec=MIN_SECONDS)
        reason = plain(section.reason) or ("the section did not run" if whole else "some cases did not run")
        not_run.add_error_info(message=reason, output=reason, error_type="evalcore.not_run")
        yield not_run, {}
    yield from ((_threshold_case(run, check), {}) for check in checks)


def _marks(case_id: str, gating: Gating) -> dict[str, str]:
    """A testcase's own properties: `flaky` when its item's tries disagree, `quarantined` when the suite quarantines
    it. Testcase properties are an addition to the xunit2 schema (tests/report/junit-10.xsd marks it) that
    junitparser reads; only these cases carry any, so a run without flaky or quarantined cases is plain xunit2."""
    marks = {"flaky": case_id in gating.flaky, "quarantined": case_id in gating.quarantined}
    return {name: "true" for name, on in marks.items() if on}


def _add_properties(element: ET.Element, properties: dict[str, str]) -> None:
    if properties:
        found = ET.Element("properties")
        for name, value in properties.items():
            ET.SubElement(found, "property", {"name": name, "value": value})
        element.insert(0, found)


def _counts(
    section: SectionSummary, entries: Iterable[Entry], checks: list[ThresholdCheck], gating: Gating
) -> dict[str, float]:
    """The testsuite's figures as junit-xml would count its testcases (those of `_tests`), in one pass over the
    entries (read from the index, not held)."""
    not_run = 1 if section.status != "ran" else 0
    errors = failures = skipped = tests = 0
    seconds = 0.0
    for e in entries:
        gates = gating.gates(e.section, gating.model_at(e.section, e.model_index), e.status, e.case_id)
        errors += e.status == "error" and gates
        failures += e.status == "fail" and gates
        skipped += e.status == "skipped"
        tests += 1
        seconds += _seconds(e.latency_ms)
    return {
        "disabled": 0,
        "errors": errors + not_run,
        "failures": failures + sum(not c.passed for c in checks),
        "skipped": skipped,
        "tests": tests + not_run + len(checks),
        "time": seconds + (not_run + len(checks)) * MIN_SECONDS,
    }


def _counts_of(tests: list[TestCase]) -> dict[str, float]:
    return {
        "disabled": 0,
        "errors": sum(t.is_error() for t in tests),
        "failures": sum(t.is_failure() for t in tests),
        "skipped": sum(t.is_skipped() for t in tests),
        "tests": len(tests),
        "time": sum(t.elapsed_sec or 0.0 for t in tests),
    }


def classname(run: RunResult, section: str, model: str | None) -> str:
    parts = [run.run.suite, section] + ([model] if model else [])
    return plain(".".join(parts))


def _case(run: RunResult, case: CaseResult, stdout: str | None = None) -> TestCase:
    file, line = source_of(case)
    test = TestCase(
        plain(title(case)),
        classname=classname(run, case.section, case.model),
        elapsed_sec=_seconds(case.latency_ms),
        stdout=stdout,
        file=plain(file) or None,
        line=str(line) if line else None,
        allow_multiple_subelements=True,
    )
    if stdout is not None:
        return test
    details = _details(case)
    if case.status == "fail":
        test.add_failure_info(message=why(case), output=details, failure_type="evalcore.fail")
    elif case.status == "error":
        test.add_error_info(message=why(case), output=details, error_type="evalcore.error")
    elif case.status == "skipped":
        test.add_skipped_info(message=why(case))
    return test


def _tolerated_case(run: RunResult, case: CaseResult, rule: str) -> TestCase:
    """A failed or errored case its section's thresholds tolerate: a passing testcase whose system-out says so,
    why, and every check result (the same text a failure carries)."""
    verb = "failed" if case.status == "fail" else "errored"
    head = f"{verb}, tolerated (does not gate the verdict: {plain(case.section)} is gated by {rule}): {why(case)}"
    return _case(run, case, stdout=f"{head}\n{_details(case)}")


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


def _verdict_case(run: RunResult) -> TestCase:
    """The verdict as a testcase: a failure when it failed, an error when it is an error, with every reason and
    the rule that gated each section; so the file fails whenever the verdict does, whatever the cause."""
    verdict = run.verdict
    status = verdict.status if verdict else "error"
    reasons = [plain(r) for r in verdict.reasons] if verdict else ["no verdict was recorded for this run"]
    head = f"verdict {status}" + (f" (exit {verdict.exit_code})" if verdict else "")
    lines = [head, *(f"- {r}" for r in reasons), "gated by:"]
    lines += [f"  {plain(s.name)}: {gate_rule(s, section_checks(run, s.name))}" for s in run.sections]
    text = "\n".join(lines)
    test = TestCase(
        "verdict",
        classname=plain(run.run.suite),
        elapsed_sec=MIN_SECONDS,
        stdout=text if status == "passed" else None,  # else the failure or the error holds it
        file=plain(run.run.suite_path) or None,
    )
    message = (
        head + (f": {reasons[0]}" if reasons else "") + (f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else "")
    )
    if status == "failed":
        test.add_failure_info(message=message, output=text, failure_type="evalcore.verdict")
    elif status == "error":
        test.add_error_info(message=message, output=text, error_type="evalcore.verdict")
    return test


def _properties(section: SectionSummary, checks: list[ThresholdCheck]) -> dict[str, str]:
    props: dict[str, str] = {"kind": section.kind, "status": section.status, "gated_by": gate_rule(section, checks)}
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
