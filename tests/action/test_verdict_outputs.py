"""The Action's outputs say the verdict the run reached, and say `error` when there is none: bad input (exit 2) and
any unexpected exception (exit 3), wherever it is raised, still set the outputs, write a short step summary and
an error annotation. Nothing from an earlier run in the same out-dir is passed off as this run's."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from junitparser import Error, Failure, JUnitXml

from entrypoint.action import main
from tests.action.conftest import REPO, action_env, parse_outputs, run_step, runner_commands, write_suite

NO_RUN = {"verdict": "error", "passed": "false", "pass-rate": "", "results-path": "", "junit-path": ""}


def _stale_results(workspace: Path) -> None:
    """What an earlier, passing run left in the out-dir (a self-hosted runner keeps its workspace)."""
    out = workspace / "evalcore-out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text("## ✅ evalcore: gate passed (exit 0)\nSTALE\n", encoding="utf-8")
    (out / "junit.xml").write_text('<testsuites tests="0"/>\n', encoding="utf-8")
    (out / "results.json").write_text("{}", encoding="utf-8")


def _in_process(workspace: Path, inputs: dict[str, str]) -> tuple[int, list[str], dict[str, str], str]:
    env = action_env(workspace, inputs)
    stream = io.StringIO()
    code = main(env, stream)
    outputs = parse_outputs(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))
    return code, stream.getvalue().splitlines(), outputs, Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")


def _failures_and_errors(path: Path) -> tuple[int, int]:
    results = [r for suite in JUnitXml.fromfile(str(path)) for case in suite for r in case.result]
    return sum(isinstance(r, Failure) for r in results), sum(isinstance(r, Error) for r in results)


def test_a_bad_input_still_sets_the_outputs_and_writes_a_step_summary(isolated_cwd: Path) -> None:
    write_suite(isolated_cwd)
    _stale_results(isolated_cwd)

    code, lines, outputs, summary = _in_process(isolated_cwd, {"suite": "evals/suite.yml", "concurrency": "-4"})

    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("::error ")  # the one annotation naming the input
    assert {k: outputs[k] for k in NO_RUN} == NO_RUN
    assert "error (exit 2)" in summary and "input 'concurrency': -4 is out of range" in summary
    assert "STALE" not in summary


def test_a_suite_the_core_refuses_still_sets_the_outputs_and_writes_a_step_summary(isolated_cwd: Path) -> None:
    write_suite(isolated_cwd)

    code, lines, outputs, summary = _in_process(isolated_cwd, {"suite": "evals/suite.yml", "sections": "qa,nope"})

    assert code == 2
    assert [name for name, _, _ in runner_commands("\n".join(lines)) if name == "error"] == ["error"]
    assert {k: outputs[k] for k in NO_RUN} == NO_RUN
    assert "error (exit 2)" in summary and "no section named 'nope'" in summary


def test_an_exception_while_preparing_the_run_still_sets_the_outputs_summary_and_an_annotation(
    workspace: Path,
) -> None:
    """A dataset integer of more than 4,300 digits made `prepare` raise outside the Action's catch-all: no
    outputs, an empty step summary. It is bad input (exit 2), and the step says `error` everywhere."""
    write_suite(workspace)
    with (workspace / "evals" / "data.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"prompt": "Count.", "referenceResponse": "1", "n": ' + "7" * 5000 + "}\n")
    _stale_results(workspace)

    step = run_step(action_env(workspace, {"suite": "evals/suite.yml"}), workspace)

    assert step.code == 2, step.log[-3000:]
    assert {k: step.outputs()[k] for k in NO_RUN} == NO_RUN
    summary = step.summary_file.read_text(encoding="utf-8")
    assert f"error (exit {step.code})" in summary and "STALE" not in summary
    errors = [(props.get("title", ""), message) for name, props, message in step.commands() if name == "error"]
    assert len(errors) == 1, errors
    assert "7777777777" not in errors[0][1]  # the number is data, not repeated in the annotation


def test_the_action_outputs_agree_with_the_verdict_junit_and_summary(workspace: Path) -> None:
    """A suite whose cases all fail, without thresholds: every case must pass, so the step fails everywhere."""
    folder = workspace / "evals"
    folder.mkdir()
    lines = [json.dumps({"prompt": f"Question {i}?", "referenceResponse": f"answer {i}"}) for i in range(20)]
    (folder / "data.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "suite.yml").write_text(
        "version: 1\nname: allfail\nmodels:\n  bot: anthropic.claude-3-haiku-20240307-v1:0\nevaluations:\n"
        "  - name: qa\n    dataset: data.jsonl\n    models: [bot]\n    metrics:\n"
        '      - equals: "no model ever answers exactly this"\n',
        encoding="utf-8",
    )

    step = run_step(action_env(workspace, {"suite": "evals/suite.yml", "emulator": "true"}), workspace)

    outputs = step.outputs()
    results = json.loads((workspace / outputs["results-path"]).read_text(encoding="utf-8"))
    assert step.code == results["verdict"]["exit_code"] == 1
    assert (outputs["verdict"], outputs["passed"], outputs["pass-rate"]) == ("failed", "false", "0")
    # the 20 cases, the breached pass_rate >= 1 and the verdict
    assert _failures_and_errors(workspace / outputs["junit-path"]) == (22, 0)
    summary = step.summary_file.read_text(encoding="utf-8")
    assert "❌ evalcore: allfail failed (exit 1)" in summary
    assert "gated by: every case must pass (no thresholds)" in summary


def test_junit_failures_cases_marks_every_failed_case_even_when_the_verdict_passes(workspace: Path) -> None:
    shutil.copytree(REPO / "examples" / "quickstart", workspace / "examples" / "quickstart")
    inputs = {"suite": "examples/quickstart/suite.yml", "emulator": "true"}

    gate = run_step(action_env(workspace, inputs), workspace)
    gate_junit = _failures_and_errors(workspace / "evalcore-out" / "junit.xml")
    cases = run_step(action_env(workspace, {**inputs, "junit-failures": "cases"}), workspace)
    results = [json.loads(line) for line in (workspace / "evalcore-out" / "results.jsonl").read_text().splitlines()]

    assert gate.code == cases.code == 0
    assert gate.outputs()["verdict"] == cases.outputs()["verdict"] == "passed"
    assert gate_junit == (0, 0)
    failed = sum(r["status"] == "fail" for r in results)
    assert failed > 0
    assert _failures_and_errors(workspace / "evalcore-out" / "junit.xml") == (failed, 0)
