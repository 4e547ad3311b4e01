"""JUnit XML: valid against the Jenkins junit-10 schema, stable names, the right elements for each outcome, and
failures exactly when the verdict is not passed (read back with junitparser, a JUnit library)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from junitparser import Error, Failure, JUnitXml

from evalcore.domain.gate import Rule, decide
from evalcore.domain.results import CaseResult, RunMeta, RunResult
from evalcore.report.cases import title, why
from evalcore.report.junit import VERDICT_SUITE, classname, junit_xml, write_junit
from tests.report.report_fixtures import HOSTILE, HOSTILE_MODEL, build_cases, build_run, shuffled

SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("junit-10.xsd"))


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def cases_in(root: ET.Element) -> list[ET.Element]:
    return root.findall("./testsuite/testcase")


def case_tests(root: ET.Element) -> list[ET.Element]:
    """The testcases of cases: not thresholds, sections that did not run, nor the verdict."""
    return [
        t
        for t in root.findall("./testsuite/testcase")
        if not t.get("name", "").startswith("threshold ") and t.get("name") not in ("section did not run", "verdict")
    ]


def outcomes(text: str, tmp_path: Path) -> tuple[int, int]:
    """Failures and errors, as a JUnit library reads the file."""
    path = tmp_path / "junit.xml"
    path.write_text(text, encoding="utf-8")
    results = [r for suite in JUnitXml.fromfile(str(path)) for case in suite for r in case.result]
    return sum(isinstance(r, Failure) for r in results), sum(isinstance(r, Error) for r in results)


def rerun(cases: list[CaseResult], *rules: Rule) -> RunResult:
    """The fixture's run without its section that did not run, gated by `rules`."""
    run = build_run(cases)
    run.sections = [s for s in run.sections if s.status != "not_run"]
    run.verdict = decide(run, list(rules))
    return run


def test_the_report_is_valid_against_the_junit_schema(run: RunResult, cases: list[CaseResult]) -> None:
    SCHEMA.validate(junit_xml(run, cases))


def test_a_run_without_cases_is_valid_too() -> None:
    run = RunResult(run=RunMeta(suite="empty", run_id="r", tool_version="0", started_at=0.0))
    text = junit_xml(run, [])
    SCHEMA.validate(text)
    assert parse(text).tag == "testsuites"


def test_hostile_text_arrives_as_text_without_terminal_escapes_or_forbidden_characters(
    run: RunResult, cases: list[CaseResult]
) -> None:
    text = junit_xml(run, cases)
    assert "\x1b" not in text and "\x00" not in text
    assert "[31m" not in text  # what junit-xml's late clean-up would have left
    assert "<script>" not in text
    root = parse(text)
    first = next(t for t in cases_in(root) if t.get("name", "").startswith("Question 0"))
    assert "<script>alert(1)</script> @org/team #123 | pipe" in first.get("name", "")


def test_one_testsuite_per_section_with_its_counts(run: RunResult, cases: list[CaseResult]) -> None:
    root = parse(junit_xml(run, cases))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["qa", "safety", "support", "jobs", VERDICT_SUITE]
    qa = suites["qa"]
    qa_cases = [c for c in cases if c.section == "qa"]
    checks = [c for c in run.verdict.checks if c.section == "qa"] if run.verdict else []
    assert int(qa.get("tests", "0")) == len(qa_cases) + len(checks)
    # haiku's error breaches the default error_rate <= 0: it gates; the failed cases are tolerated by qa's
    # thresholds, so only the breached thresholds are failures.
    assert int(qa.get("errors", "0")) == sum(c.status == "error" for c in qa_cases) == 1
    assert int(qa.get("failures", "0")) == sum(not c.passed for c in checks) == 3
    assert [len(s.findall("testcase")) for s in root.findall("testsuite")] == [
        int(s.get("tests", "0")) for s in root.findall("testsuite")
    ]


def test_names_round_trip_and_are_unique_per_classname(run: RunResult, cases: list[CaseResult]) -> None:
    root = parse(junit_xml(run, cases))
    written = [(t.get("classname"), t.get("name")) for t in case_tests(root)]
    expected = [(classname(run, c.section, c.model), title(c)) for c in cases]
    assert sorted(written) == sorted(expected)
    assert len(set(written)) == len(written)


def test_names_do_not_depend_on_the_order_or_position_of_items(run: RunResult, cases: list[CaseResult]) -> None:
    assert junit_xml(run, shuffled(cases)) == junit_xml(run, cases)
    moved = cases[0].model_copy(update={"source": "datasets/qa.jsonl:999"})
    assert title(moved) == title(cases[0])


def test_repeats_are_told_apart_and_the_first_keeps_the_plain_name(cases: list[CaseResult]) -> None:
    repeats = [title(c) for c in cases if c.agent and c.agent.test == "file_claim"]
    assert repeats == ["file_claim", "file_claim (repeat 2)", "file_claim (repeat 3)"]


def test_classname_is_suite_section_model(run: RunResult, cases: list[CaseResult]) -> None:
    root = parse(junit_xml(run, cases))
    names = {t.get("classname") for t in cases_in(root)}
    assert {"demo.qa.haiku", f"demo.qa.{HOSTILE_MODEL}", "demo.safety", "demo.support", "demo.jobs", "demo"} == names


def test_every_testcase_has_a_positive_time(run: RunResult, cases: list[CaseResult]) -> None:
    for case in cases_in(parse(junit_xml(run, cases))):
        assert float(case.get("time", "0")) > 0, case.get("name")


def test_with_junit_failures_cases_a_failed_case_carries_the_failing_check_and_the_judge_explanation(
    run: RunResult, cases: list[CaseResult]
) -> None:
    root = parse(junit_xml(run, cases, failures="cases"))
    case = next(t for t in cases_in(root) if t.get("name", "").startswith("What is the capital of country number 2?"))
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "Builtin.Correctness 0.2 failed; contains 0 failed"
    assert "Matches the reference." in (failure.text or "")
    assert "output:\n  City 2." in (failure.text or "")


def test_with_junit_failures_cases_every_failed_case_is_a_failure_and_every_errored_case_an_error(
    run: RunResult, cases: list[CaseResult]
) -> None:
    root = parse(junit_xml(run, cases, failures="cases"))
    tests = case_tests(root)
    assert sum(t.find("failure") is not None for t in tests) == sum(c.status == "fail" for c in cases)
    assert sum(t.find("error") is not None for t in tests) == sum(c.status == "error" for c in cases)


def test_a_failed_case_its_thresholds_tolerate_passes_and_carries_its_check_results(
    run: RunResult, cases: list[CaseResult]
) -> None:
    root = parse(junit_xml(run, cases))
    case = next(t for t in cases_in(root) if t.get("name", "").startswith("What is the capital of country number 2?"))
    assert case.find("failure") is None and case.find("error") is None
    out = case.findtext("system-out") or ""
    assert out.startswith(
        "failed, tolerated (does not gate the verdict: qa is gated by 1 threshold and no errors (error_rate <= 0, "
        "the default)): "
        "Builtin.Correctness 0.2 failed; contains 0 failed\n"
    )
    assert "Builtin.Correctness: 0.2 FAIL\n  Matches the reference." in out
    assert "output:\n  City 2." in out


def test_a_failed_case_where_every_case_must_pass_is_a_failure(run: RunResult, cases: list[CaseResult]) -> None:
    root = parse(junit_xml(run, cases))
    support = root.find("./testsuite[@name='support']")
    assert support is not None
    failed = [t for t in support.findall("testcase") if t.find("failure") is not None]
    assert [t.get("name") for t in failed] == ["file_claim (repeat 2)", "threshold pass_rate >= 1"]
    props = {p.get("name"): p.get("value") for p in support.findall("./properties/property")}
    assert props["gated_by"] == "every case must pass (no thresholds)"


def test_an_errored_case_is_an_error_with_its_reason(run: RunResult, cases: list[CaseResult]) -> None:
    root = parse(junit_xml(run, cases))
    errors = [t for t in case_tests(root) if t.find("error") is not None]
    assert len(errors) == 1
    error = errors[0].find("error")
    assert error is not None and error.get("message") == "ThrottlingException: rate exceeded @oncall"


def test_an_errored_case_an_error_rate_threshold_tolerates_is_a_passing_testcase(
    cases: list[CaseResult], tmp_path: Path
) -> None:
    run = rerun(
        cases,
        Rule("qa", "error_rate", "max", 0.2, None, 9),
        Rule("support", "pass_rate", "min", 0.5, None, 10),
    )
    assert run.verdict is not None and run.verdict.status == "passed"
    text = junit_xml(run, cases)
    SCHEMA.validate(text)
    assert outcomes(text, tmp_path) == (0, 0)
    tolerated = next(t for t in case_tests(parse(text)) if (t.findtext("system-out") or "").startswith("errored"))
    assert "ThrottlingException: rate exceeded @oncall" in (tolerated.findtext("system-out") or "")


def test_an_errored_case_breaching_its_error_rate_threshold_is_an_error(
    cases: list[CaseResult], tmp_path: Path
) -> None:
    run = rerun(cases, Rule("qa", "error_rate", "max", 0.1, None, 9))
    assert run.verdict is not None and run.verdict.status == "failed"
    failures, errors = outcomes(junit_xml(run, cases), tmp_path)
    assert errors == 1  # the errored case; the breached threshold and the verdict are failures
    assert failures == 2


def test_a_section_that_did_not_run_is_an_error_with_its_reason(run: RunResult, cases: list[CaseResult]) -> None:
    root = parse(junit_xml(run, cases))
    jobs = root.find("./testsuite[@name='jobs']")
    assert jobs is not None and (jobs.get("skipped"), jobs.get("errors")) == ("0", "1")
    error = jobs.find("./testcase/error")
    assert (
        error is not None
        and error.get("message") == "preflight: the bucket 'evals' cannot be reached: <b>Could not connect</b>"
    )


@pytest.mark.parametrize("failures", ["gate", "cases"])
def test_the_verdict_is_the_last_testcase_failing_exactly_when_the_verdict_does(
    cases: list[CaseResult], tmp_path: Path, failures: str
) -> None:
    passed = rerun(cases, Rule("qa", "Builtin.Correctness", "min", 0.1, None, 12))
    failed = rerun(cases, Rule("qa", "Builtin.Correctness", "min", 0.9, None, 12))
    errored = build_run(cases)
    for run, expected in ((passed, "passed"), (failed, "failed"), (errored, "error")):
        assert run.verdict is not None and run.verdict.status == expected
        root = parse(junit_xml(run, cases, failures=failures))  # type: ignore[arg-type]
        verdict = root.findall("testsuite")[-1]
        assert verdict.get("name") == VERDICT_SUITE
        [test] = verdict.findall("testcase")
        assert (test.get("classname"), test.get("name")) == ("demo", "verdict")
        element = {"passed": None, "failed": "failure", "error": "error"}[expected]
        assert [e.tag for e in test] == [element or "system-out"]
        assert (test[0].text or "").startswith(f"verdict {expected} (exit {run.verdict.exit_code})")
    assert outcomes(junit_xml(passed, cases, failures="gate"), tmp_path) == (0, 0)
    assert outcomes(junit_xml(passed, cases, failures="cases"), tmp_path) == (
        sum(c.status == "fail" for c in cases),
        sum(c.status == "error" for c in cases),
    )


def test_properties_carry_the_section_aggregates(run: RunResult, cases: list[CaseResult]) -> None:
    root = parse(junit_xml(run, cases))
    props = {p.get("name"): p.get("value") for p in root.findall("./testsuite[@name='qa']/properties/property")}
    assert props["haiku.pass_rate"] == "0.5"
    assert props["haiku.Builtin.Correctness"].startswith("0.62 [")
    assert props["haiku.Builtin.Correctness"].endswith("n=5")
    guardrail = {p.get("name"): p.get("value") for p in root.findall("./testsuite[@name='safety']/properties/property")}
    assert guardrail["block_rate"] == "0.6667"


def test_each_threshold_check_is_a_testcase_pointing_at_the_suite_file(run: RunResult, cases: list[CaseResult]) -> None:
    root = parse(junit_xml(run, cases))
    checks = [t for t in cases_in(root) if t.get("name", "").startswith("threshold ")]
    assert len(checks) == len(run.verdict.checks) if run.verdict else False
    correctness = next(
        t for t in checks if t.get("classname") == "demo.qa.haiku" and "Correctness" in t.get("name", "")
    )
    assert correctness.get("name") == "threshold Builtin.Correctness >= 0.7"
    assert (correctness.get("file"), correctness.get("line")) == ("evals/suite.yml", "12")
    failure = correctness.find("failure")
    assert failure is not None and failure.get("message") == "threshold Builtin.Correctness >= 0.7: 0.62"
    passing = next(
        t for t in checks if t.get("classname") == f"demo.qa.{HOSTILE_MODEL}" and "error_rate" in t.get("name", "")
    )
    assert passing.find("failure") is None
    assert passing.findtext("system-out") == "threshold error_rate <= 0: 0"


def test_the_file_is_written_as_utf8(tmp_path: Path) -> None:
    cases = build_cases(hostile=False, n=2)
    cases[0].prompt = "Où est le café ✅ 東京?"
    path = write_junit(tmp_path / "junit.xml", build_run(cases), cases)
    text = path.read_bytes().decode("utf-8")
    assert "Où est le café ✅ 東京?" in text
    SCHEMA.validate(text)


@pytest.mark.parametrize("latency", [None, 0.0, 0.0004, 12.3456])
def test_time_is_never_zero_nor_in_exponent_notation(latency: float | None) -> None:
    cases = build_cases(hostile=False, n=1)
    for case in cases:
        case.latency_ms = latency
    text = junit_xml(build_run(cases), cases)
    SCHEMA.validate(text)
    assert "e-" not in " ".join(t.get("time", "") for t in cases_in(parse(text)))


def test_hostile_fixture_really_is_hostile() -> None:
    assert "\x1b[31m" in HOSTILE and "\x00" in HOSTILE and "::set-output" in HOSTILE


def test_a_reason_that_names_the_failed_check_is_not_repeated() -> None:
    [case] = [c for c in build_cases(hostile=False, n=3) if c.status == "fail" and c.model == "haiku"]
    case.reason = "contains: does not contain 'Paris'"
    assert why(case) == "contains: does not contain 'Paris'; Builtin.Correctness 0.2 failed"


def test_identical_items_keep_distinct_names() -> None:
    [first] = [c for c in build_cases(hostile=False, n=1) if c.model == "haiku"]
    first.item_key = "0123456789abcdef"
    twin = first.model_copy(update={"item_key": "0123456789abcdef#2", "case_id": "twin"})
    assert (title(first), title(twin)) == (
        "What is the capital of country number 0? [01234567]",
        "What is the capital of country number 0? [01234567#2]",
    )
