"""One verdict everywhere: the exit code, results.json, junit.xml (read by junitparser, a JUnit library), summary.md,
the console and report.html agree, for every example suite (passing, and made to fail), for a suite whose cases all
fail without thresholds and for one whose cases all error. `evalcore run` runs as a user runs it, on the emulator."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml

REPO = Path(__file__).resolve().parents[1]
HEADLINE = {"passed": "✅", "failed": "❌", "error": "⚠️"}

ALL_FAIL = """\
version: 1
name: {name}
models:
  bot: {model}
evaluations:
  - name: qa
    dataset: data.jsonl
    models: [bot]
    metrics:
      - equals: "no model ever answers exactly this"
"""


@dataclass
class Run:
    code: int
    console: str
    out: Path

    def results(self) -> dict:
        return json.loads((self.out / "results.json").read_text(encoding="utf-8"))

    def cases(self) -> list[dict]:
        lines = (self.out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def evalcore(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evalcore.app.cli", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_suite(suite: Path, out: Path, *extra: str) -> Run:
    done = evalcore("run", suite, "--emulator", "--no-cache", "--quiet", "--out", out, *extra)
    assert "Traceback" not in done.stderr, done.stderr
    return Run(done.returncode, done.stdout, out)


def junit_outcomes(path: Path) -> dict[str, tuple[int, int]]:
    """Per testcase kind (case, threshold, verdict...): failures and errors, as junitparser reads the file."""
    found: dict[str, list[int]] = {}
    for suite in JUnitXml.fromfile(str(path)):
        for case in suite:
            kind = (
                "threshold"
                if case.name.startswith("threshold ")
                else case.name
                if suite.name == "evalcore verdict"
                else "case"
            )
            tally = found.setdefault(kind, [0, 0])
            tally[0] += sum(isinstance(r, Failure) for r in case.result)
            tally[1] += sum(isinstance(r, Error) for r in case.result)
    return {k: (v[0], v[1]) for k, v in found.items()}


def html_verdict(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    data = re.search(r'<script id="data" type="application/json">(.*?)</script>', text, re.DOTALL)
    assert data is not None
    return json.loads(data[1])["verdict"]


def assert_one_verdict(run: Run) -> str:
    """Every output of the run says the same verdict; returns it."""
    verdict = run.results()["verdict"]
    status, code = verdict["status"], verdict["exit_code"]
    assert run.code == code == {"passed": 0, "failed": 1, "error": 3}[status]
    outcomes = junit_outcomes(run.out / "junit.xml")
    failing = sum(f + e for f, e in outcomes.values())
    assert (failing > 0) == (status != "passed"), outcomes
    assert outcomes["verdict"] == {"passed": (0, 0), "failed": (1, 0), "error": (0, 1)}[status]
    summary = (run.out / "summary.md").read_text(encoding="utf-8")
    assert (
        summary.startswith(f"## {HEADLINE[status]} evalcore: ")
        and f" {status} (exit {code})" in summary.splitlines()[0]
    )
    assert f"verdict: {status.upper()} (exit {code})" in run.console
    assert html_verdict(run.out / "report.html")["status"] == status
    return status


def assert_every_failed_case_fails_with_junit_failures_cases(run: Run) -> None:
    done = evalcore("report", run.out, "--format", "junit", "--junit-failures", "cases")
    assert done.returncode == 0, done.stderr
    statuses = [c["status"] for c in run.cases()]
    assert junit_outcomes(run.out / "junit.xml").get("case", (0, 0)) == (
        statuses.count("fail"),
        statuses.count("error"),
    )
    evalcore("report", run.out, "--format", "junit")  # back to the default for the next assertion


EXAMPLES = sorted(p.parent.name for p in (REPO / "examples").glob("*/suite.yml"))
# Each example, made to fail by a command-line threshold its run does not meet on the emulator.
BREACHES = {
    "agents": "latency_ms.max<=0",
    "agentcore": "claims-runtime.agentcore:Builtin.Helpfulness>=0.9",
    "guardrails": "demo-guardrail.pass_rate>=0.9",
    "managed-jobs": "qa-jobs.Builtin.Accuracy>=0.85",
    "quickstart": "qa.Builtin.Correctness>=0.8",
    "rag": "handbook.recall_at_k>=0.8",
}


def test_every_example_has_a_breach_to_fail_it() -> None:
    assert sorted(BREACHES) == EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_passes_with_one_verdict_everywhere(example: str, tmp_path: Path) -> None:
    run = run_suite(REPO / "examples" / example / "suite.yml", tmp_path / "out")
    assert assert_one_verdict(run) == "passed"
    assert_every_failed_case_fails_with_junit_failures_cases(run)


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_made_to_fail_fails_with_one_verdict_everywhere(example: str, tmp_path: Path) -> None:
    run = run_suite(REPO / "examples" / example / "suite.yml", tmp_path / "out", "--threshold", BREACHES[example])
    assert assert_one_verdict(run) == "failed"
    assert junit_outcomes(run.out / "junit.xml")["threshold"][0] >= 1
    assert_every_failed_case_fails_with_junit_failures_cases(run)


def test_the_guardrails_example_keeps_its_failed_mutations_out_of_the_junit_failures(tmp_path: Path) -> None:
    """Its thresholds gate the mutated probes' rates: the probes that slip through are shown, not failures."""
    run = run_suite(REPO / "examples" / "guardrails" / "suite.yml", tmp_path / "out")
    assert [c["status"] for c in run.cases()].count("fail") > 0
    suites = {s.name: s for s in JUnitXml.fromfile(str(run.out / "junit.xml"))}
    tolerated = [c for c in suites["demo-guardrail"] if c.is_passed and (c.system_out or "").startswith("failed")]
    assert tolerated and "tolerated (does not gate the verdict: demo-guardrail is gated by 5 thresholds" in (
        tolerated[0].system_out or ""
    )


def _all_fail_suite(folder: Path, name: str, model: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"prompt": f"Question {i}?", "referenceResponse": f"answer {i}"}) for i in range(100)]
    (folder / "data.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    suite = folder / "suite.yml"
    suite.write_text(ALL_FAIL.format(name=name, model=model), encoding="utf-8")
    return suite


def test_a_suite_whose_cases_all_fail_without_thresholds_fails_everywhere(tmp_path: Path) -> None:
    suite = _all_fail_suite(tmp_path / "suite", "allfail", "anthropic.claude-3-haiku-20240307-v1:0")
    run = run_suite(suite, tmp_path / "out")
    assert [c["status"] for c in run.cases()] == ["fail"] * 100
    assert assert_one_verdict(run) == "failed"
    reason = "qa (bot): pass_rate >= 1: got 0 ([0.000, 0.037], 95% wilson, n=100 items)"  # with its interval
    assert run.results()["verdict"]["reasons"] == [reason]
    assert junit_outcomes(run.out / "junit.xml")["case"] == (100, 0)  # every case gates: they must all pass
    assert "qa gated by: every case must pass (no thresholds)" in run.console
    assert "gated by: every case must pass (no thresholds)" in (run.out / "summary.md").read_text(encoding="utf-8")


def test_a_suite_whose_cases_all_error_is_an_error_everywhere(tmp_path: Path) -> None:
    suite = _all_fail_suite(tmp_path / "suite", "allerror", "vendor.no-such-model-v1")
    run = run_suite(suite, tmp_path / "out")
    assert [c["status"] for c in run.cases()] == ["error"] * 100
    assert assert_one_verdict(run) == "error"
    assert junit_outcomes(run.out / "junit.xml")["case"] == (0, 100)
