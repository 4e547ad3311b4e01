"""The Action's `history` and `drift` inputs: each run's record is appended to the history; a metric that fell
against the runs before is a warning annotation naming it, and with `drift: fail` the step fails (exit 1) though
the verdict passed; bad values are one error naming the input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from junitparser import JUnitXml

from evalcore_emulator import Emulator, World
from tests.action.conftest import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, GITHUB, HAIKU, action_env, run_step

QUESTIONS = {f"What is the code word for item {i}?": f"cw{i}x" for i in range(30)}
SUITE = """\
version: 1
name: weekly
models:
  bot: {model}
evaluations:
  - name: qa
    dataset: data.jsonl
    models: [bot]
    metrics:
      - contains: "{{{{referenceResponse}}}}"
    thresholds:
      contains: {{min: 0}}
      pass_rate: {{min: 0}}
"""


def _workspace(root: Path) -> Path:
    workspace = root / "workspace"
    (workspace / "evals").mkdir(parents=True)
    (workspace / "evals" / "data.jsonl").write_text(
        "".join(json.dumps({"prompt": q, "referenceResponse": a}) + "\n" for q, a in QUESTIONS.items())
    )
    (workspace / "evals" / "suite.yml").write_text(SUITE.format(model=HAIKU))
    return workspace


def _world(right: int) -> World:
    """The model answers the first `right` questions with their code word, the others wrongly."""
    answers = {q: (f"It is {a}." if i < right else "I do not know.") for i, (q, a) in enumerate(QUESTIONS.items())}
    return World.model_validate({"models": {HAIKU: {"quality": 1.0, "answers": answers}}})


def _step(workspace: Path, emu: Emulator, inputs: dict[str, str], event: str = "schedule"):  # type: ignore[no-untyped-def]
    env = action_env(
        workspace,
        {"suite": "evals/suite.yml", "endpoint-url": emu.endpoint, "aws-region": "us-east-1", "comment": "never",
         **inputs},
    )  # fmt: skip
    env.update({"AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY})
    if event != "pull_request":  # a scheduled run on main
        env.update({"GITHUB_EVENT_NAME": event, "GITHUB_REF_NAME": "main", "GITHUB_REF": "refs/heads/main"})
    return run_step(env, workspace)


def test_a_run_that_fell_against_its_history_fails_its_verdict_with_drift_fail_and_every_output_agrees(
    tmp_path: Path,
) -> None:
    workspace = _workspace(tmp_path)
    inputs = {"history": "history/evals.jsonl", "drift": "fail", "out-dir": "out1"}
    with Emulator(world=_world(30), s3=False) as emu:
        first = _step(workspace, emu, inputs)
        assert first.code == 0, first.log
        emu.set_world(_world(12))
        second = _step(workspace, emu, {**inputs, "out-dir": "out2", "cache-dir": ".cache2"})
    lines = (workspace / "history" / "evals.jsonl").read_text().splitlines()
    assert len(lines) == 2
    # drift: fail is part of the gate: the verdict, the exit code, results.json, JUnit and the summary say the same
    outputs = second.outputs()
    assert (outputs["verdict"], outputs["passed"], second.code) == ("failed", "false", 1), second.log
    run = json.loads((workspace / "out2" / "results.json").read_text())
    assert run["verdict"]["status"] == "failed"
    assert any(r.startswith("drift: ") and "fell" in r for r in run["verdict"]["reasons"])
    suite = JUnitXml.fromfile(str(workspace / "out2" / "junit.xml"))
    assert suite.failures + suite.errors > 0
    assert "drift: " in (workspace / "out2" / "summary.md").read_text()
    warnings = [(props, msg) for name, props, msg in second.commands() if name == "warning"]
    assert any("drift" in props.get("title", "") and "qa (bot): contains fell" in msg for props, msg in warnings)


def test_drift_warn_only_warns(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    inputs = {"history": "evals.jsonl", "drift": "warn"}
    with Emulator(world=_world(30), s3=False) as emu:
        assert _step(workspace, emu, inputs).code == 0
        emu.set_world(_world(12))
        second = _step(workspace, emu, {**inputs, "out-dir": "out2", "cache-dir": ".cache2"})
    assert second.code == 0
    assert any(name == "warning" and "fell" in msg for name, _, msg in second.commands())


@pytest.mark.parametrize(
    ("inputs", "said"),
    [
        ({"drift": "fail"}, "input 'drift': 'fail' needs the input 'history'"),
        ({"history": "s3://Not_A_Bucket/x"}, "input 'history': 's3://Not_A_Bucket/x' is not an S3 URI"),
        ({"history": "../outside.jsonl"}, "input 'history'"),
        ({"history": "h.jsonl", "drift": "sometimes"}, "input 'drift': 'sometimes' is not one of off, warn, fail"),
    ],
)
def test_bad_history_inputs_are_one_error_naming_the_input(tmp_path: Path, inputs: dict[str, str], said: str) -> None:
    workspace = _workspace(tmp_path)
    step = run_step(action_env(workspace, {"suite": "evals/suite.yml", **inputs}), workspace)
    assert step.code == 2
    errors = [msg for name, _, msg in step.commands() if name == "error"]
    assert len(errors) == 1 and said in errors[0], step.log


def test_on_a_pull_request_the_history_is_read_for_the_comments_trend_not_written(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    inputs = {"history": "evals.jsonl", "drift": "fail"}
    GITHUB.state.comments.pop(7, None)
    with Emulator(world=_world(30), s3=False) as emu:
        for n, right in enumerate([30, 27, 24]):  # three weekly runs on main
            emu.set_world(_world(right))
            weekly = {**inputs, "drift": "warn", "out-dir": f"w{n}", "cache-dir": f".c{n}"}
            assert _step(workspace, emu, weekly).code == 0
        emu.set_world(_world(6))
        pr = _step(
            workspace, emu, {**inputs, "out-dir": "pr", "cache-dir": ".cpr", "comment": "always"}, "pull_request"
        )
    assert pr.code == 0, pr.log  # drift is for branches: a pull request is not recorded nor checked
    assert len((workspace / "evals.jsonl").read_text().splitlines()) == 3
    assert "not recorded on a pull request" in pr.log
    (comment,) = [c for c in GITHUB.state.comments.get(7, []) if "<!-- evalcore:weekly -->" in c["body"]]
    assert "**Trend on the base branch** (3 recorded runs" in comment["body"]
    row = next(line for line in comment["body"].splitlines() if line.startswith("| qa · bot · contains |"))
    assert "| 1.000 → 0.800 | 0.200 |" in row
