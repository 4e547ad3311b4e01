"""Many suites in one step (`suite:` with several files or a glob): each suite keeps its own results folder and
verdict, the step takes the worst, one sticky comment holds a section per suite, and `changed-only` runs only the
suites whose files the pull request changed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from entrypoint.action import main
from evalcore_emulator import Emulator
from tests.action.conftest import GITHUB, action_env, run_step, runner_commands, write_suite


def _suites_comments() -> list[dict]:
    return [c for c in GITHUB.state.comments.get(7, []) if "<!-- evalcore:suites-" in c["body"]]


@pytest.fixture(autouse=True)
def _clean_pull_request() -> None:
    GITHUB.state.comments.pop(7, None)
    GITHUB.state.pull_files.pop(7, None)


def _two_suites(workspace: Path, b_minimum: float = 1.1) -> None:
    write_suite(workspace, subdir="evals/a")  # passes
    write_suite(workspace, minimum=b_minimum, subdir="evals/b")  # 1.1: a threshold no run can meet


def test_a_glob_of_two_suites_keeps_a_folder_and_verdict_each_and_the_step_takes_the_worst(
    workspace: Path, emulator_server: Emulator
) -> None:
    _two_suites(workspace)
    env = {**action_env(workspace, {"suite": "evals/*/suite.yml"}), **emulator_server.env()}

    step = run_step(env, workspace)

    assert step.code == 1, step.log
    outputs = step.outputs()
    assert (outputs["verdict"], outputs["passed"]) == ("failed", "false")
    per_suite = json.loads(outputs["suites"])
    assert [(s["suite"], s["verdict"], s["exit-code"]) for s in per_suite] == [
        ("evals/a/suite.yml", "passed", 0),
        ("evals/b/suite.yml", "failed", 1),
    ]
    assert per_suite[0]["results-path"] == "evalcore-out/evals/a/suite/results.json"
    assert (workspace / "evalcore-out/evals/a/suite/results.json").is_file()
    assert (workspace / "evalcore-out/evals/b/suite/junit.xml").is_file()
    assert outputs["results-path"] == ""  # several suites: no single file; each is in `suites`
    (comment,) = _suites_comments()
    assert "evals/a/suite.yml" in comment["body"] and "evals/b/suite.yml" in comment["body"]
    assert comment["body"].count("<!-- evalcore:") == 1, "one marker: the sections' own markers are dropped"
    summary = step.summary_file.read_text(encoding="utf-8")
    assert "evals/a/suite.yml" in summary and "evals/b/suite.yml" in summary


def test_a_suite_that_cannot_run_is_an_error_section_and_the_step_exits_2(
    workspace: Path, emulator_server: Emulator
) -> None:
    _two_suites(workspace, b_minimum=0.5)
    broken = workspace / "evals/b/suite.yml"
    broken.write_text(broken.read_text().replace("models: [bot]", "models: [bot]\n    colour: blue"), encoding="utf-8")
    env = {**action_env(workspace, {"suite": "evals/a/suite.yml\nevals/b/suite.yml"}), **emulator_server.env()}

    step = run_step(env, workspace)

    assert step.code == 2, step.log
    per_suite = {s["suite"]: s for s in json.loads(step.outputs()["suites"])}
    assert per_suite["evals/a/suite.yml"]["verdict"] == "passed"
    assert per_suite["evals/b/suite.yml"]["verdict"] == "error"
    assert "colour" in per_suite["evals/b/suite.yml"]["reason"]
    assert step.outputs()["verdict"] == "error"
    errors = [(p, m) for c, p, m in step.commands() if c == "error"]
    assert any(p.get("file") == "evals/b/suite.yml" and "colour" in m for p, m in errors), errors
    (comment,) = _suites_comments()
    assert "evals/b/suite.yml" in comment["body"] and "error" in comment["body"]


@pytest.mark.parametrize(
    ("suite", "says"),
    [
        ("evals/*/nothing.yml", "matches no file"),
        ("../*/suite.yml", "outside the workspace"),
        ("evals/a/suite.yml, evals/a/suite.yaml", "same results folder"),
    ],
)
def test_a_bad_list_of_suites_is_one_error_naming_the_input(isolated_cwd: Path, suite: str, says: str) -> None:
    write_suite(isolated_cwd, subdir="evals/a")
    (isolated_cwd / "evals/a/suite.yaml").write_text("version: 1\nname: x\n", encoding="utf-8")
    stream = io.StringIO()

    code = main(action_env(isolated_cwd, {"suite": suite}), stream)

    assert code == 2
    [(command, _, message)] = runner_commands(stream.getvalue())
    assert command == "error" and message.startswith("input 'suite': ") and says in message, message


def test_several_suites_refuse_shard(isolated_cwd: Path) -> None:
    _two_suites(isolated_cwd)
    stream = io.StringIO()

    code = main(action_env(isolated_cwd, {"suite": "evals/*/suite.yml", "shard": "1/2"}), stream)

    assert code == 2
    assert "input 'shard': " in stream.getvalue() and "one suite" in stream.getvalue()


def test_changed_only_runs_the_suites_whose_files_changed_and_lists_the_rest_as_skipped(
    workspace: Path, emulator_server: Emulator
) -> None:
    _two_suites(workspace, b_minimum=0.5)
    # 150 files: two pages of 100; the one that matters is on the second page.
    GITHUB.state.pull_files[7] = [f"docs/page{i}.md" for i in range(149)] + ["evals/b/data.jsonl"]
    env = {**action_env(workspace, {"suite": "evals/*/suite.yml", "changed-only": "true"}), **emulator_server.env()}

    step = run_step(env, workspace)

    assert step.code == 0, step.log
    per_suite = {s["suite"]: s for s in json.loads(step.outputs()["suites"])}
    assert per_suite["evals/b/suite.yml"]["verdict"] == "passed"
    assert per_suite["evals/a/suite.yml"]["verdict"] == "skipped"
    assert "no file of this suite changed" in per_suite["evals/a/suite.yml"]["reason"]
    assert not (workspace / "evalcore-out/evals/a").exists()
    assert step.outputs()["verdict"] == "passed"
    (comment,) = _suites_comments()
    assert "skipped" in comment["body"] and "evals/a/suite.yml" in comment["body"]
    assert "skipped" in step.summary_file.read_text(encoding="utf-8")


def test_changed_only_with_no_suite_changed_skips_all_posts_nothing_and_exits_0(
    workspace: Path, emulator_server: Emulator
) -> None:
    _two_suites(workspace)
    GITHUB.state.pull_files[7] = ["README.md"]
    env = {**action_env(workspace, {"suite": "evals/*/suite.yml", "changed-only": "true"}), **emulator_server.env()}

    step = run_step(env, workspace)

    assert step.code == 0, step.log
    assert (step.outputs()["verdict"], step.outputs()["passed"]) == ("skipped", "false")
    assert _suites_comments() == []
    assert not (workspace / "evalcore-out/evals").exists()
