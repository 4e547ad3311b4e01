"""`comment: failures` and `comment: changes`: the sticky comment only when it has something to say; a comment no
longer needed is deleted; the outputs are set either way."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from evalcore_emulator import Emulator
from tests.action.conftest import GITHUB, HAIKU, action_env, run_step, write_suite


def _comments() -> list[dict]:
    return [c for c in GITHUB.state.comments.get(7, []) if "<!-- evalcore:gate -->" in c["body"]]


def test_comment_failures_posts_on_a_failed_verdict_and_deletes_it_once_passed(
    workspace: Path, emulator_server: Emulator
) -> None:
    GITHUB.state.comments.pop(7, None)
    suite = write_suite(workspace)
    env = {**action_env(workspace, {"suite": "evals/suite.yml", "comment": "failures"}), **emulator_server.env()}

    passed = run_step(env, workspace)
    assert passed.code == 0, passed.log
    assert _comments() == []
    assert passed.outputs()["verdict"] == "passed"

    suite.write_text(suite.read_text().replace("min: 0.5", "min: 1.1"), encoding="utf-8")
    failed = run_step(env, workspace)
    assert failed.code == 1
    assert len(_comments()) == 1

    suite.write_text(suite.read_text().replace("min: 1.1", "min: 0.5"), encoding="utf-8")
    again = run_step(env, workspace)
    assert again.code == 0
    assert _comments() == [], "the comment about a failure that is gone is deleted"
    assert "comment: #7 deleted" in again.log
    assert again.outputs()["verdict"] == "passed"


def test_comment_changes_posts_nothing_when_passed_and_no_score_changed(
    workspace: Path, emulator_server: Emulator
) -> None:
    GITHUB.state.comments.pop(7, None)
    write_suite(workspace)
    env = {**action_env(workspace, {"suite": "evals/suite.yml", "comment": "never"}), **emulator_server.env()}
    assert run_step(env, workspace).code == 0
    shutil.copytree(workspace / "evalcore-out", workspace / "base-results")
    inputs = {"suite": "evals/suite.yml", "comment": "changes", "baseline": "base-results"}
    step = run_step({**action_env(workspace, inputs), **emulator_server.env()}, workspace)

    assert step.code == 0, step.log
    assert _comments() == []
    assert "not needed" in step.log
    assert step.outputs()["passed"] == "true"


def test_comment_changes_posts_when_the_verdict_is_not_passed(workspace: Path, emulator_server: Emulator) -> None:
    GITHUB.state.comments.pop(7, None)
    write_suite(workspace, minimum=1.1)
    env = {**action_env(workspace, {"suite": "evals/suite.yml", "comment": "changes"}), **emulator_server.env()}

    assert run_step(env, workspace).code == 1
    assert len(_comments()) == 1


def test_the_comment_command_takes_the_new_modes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "evalcore.app.cli", "comment", "--help"], capture_output=True, text=True, check=True
    )
    assert "failures" in result.stdout and "changes" in result.stdout


def _world(path: Path, right: bool) -> Path:
    """A world whose model answers each of 30 prompts with its reference word (`right`) or with something else."""
    lines = ["models:", f"  {HAIKU}:", "    quality: 1.0", "    answers:"]
    lines += [f"      Say word {i}.: {'word' + str(i) if right else 'no idea'}" for i in range(30)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_comment_changes_posts_when_a_score_changed_significantly_though_passed(
    workspace: Path, tmp_path: Path, emulator: Emulator
) -> None:
    GITHUB.state.comments.pop(7, None)
    write_suite(workspace, minimum=0.0)  # any score passes: only the change can ask for the comment
    rows = [json.dumps({"prompt": f"Say word {i}.", "referenceResponse": f"word{i}"}) for i in range(30)]
    (workspace / "evals/data.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    emulator.set_world(_world(tmp_path / "wrong.yml", right=False))
    base_inputs = {"suite": "evals/suite.yml", "comment": "never", "cache-dir": "cache-base"}  # no cached answers
    base_env = {**action_env(workspace, base_inputs), **emulator.env()}
    assert run_step(base_env, workspace).code == 0
    shutil.move(workspace / "evalcore-out", workspace / "base-results")
    emulator.set_world(_world(tmp_path / "right.yml", right=True))
    inputs = {"suite": "evals/suite.yml", "comment": "changes", "baseline": "base-results", "cache-dir": "cache-head"}

    step = run_step({**action_env(workspace, inputs), **emulator.env()}, workspace)

    assert step.code == 0, step.log
    (comment,) = _comments()
    assert "0 regressions, 2 improvements" in comment["body"]
