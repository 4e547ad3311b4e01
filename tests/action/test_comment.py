"""The Action's pull-request comment: posted to the GitHub API with the baseline comparison, skipped on request,
and never able to change the verdict."""

from __future__ import annotations

import shutil
from pathlib import Path

from evalcore_emulator import Emulator
from tests.action.conftest import GITHUB, action_env, run_step, write_suite


def _comments_with(marker: str) -> list[dict]:
    return [c for c in GITHUB.state.comments.get(7, []) if marker in c["body"]]


def test_the_action_posts_one_comment_and_updates_it_with_the_baseline(
    workspace: Path, emulator_server: Emulator
) -> None:
    GITHUB.state.comments.pop(7, None)
    write_suite(workspace)
    env = {**action_env(workspace, {"suite": "evals/suite.yml"}), **emulator_server.env()}
    first = run_step(env, workspace)
    assert first.code == 0, first.log
    assert len(_comments_with("<!-- evalcore:gate -->")) == 1
    assert "No baseline yet" in _comments_with("<!-- evalcore:gate -->")[0]["body"]
    shutil.copytree(workspace / "evalcore-out", workspace / "base-results")
    env = {**action_env(workspace, {"suite": "evals/suite.yml", "baseline": "base-results"}), **emulator_server.env()}
    second = run_step(env, workspace)
    assert second.code == 0, second.log
    (comment,) = _comments_with("<!-- evalcore:gate -->")
    assert "0 regressions, 0 improvements" in comment["body"]
    assert "::notice title=evalcore::comment: #7 updated" in second.log


def test_comment_never_posts_nothing(workspace: Path, emulator_server: Emulator) -> None:
    GITHUB.state.comments.pop(7, None)
    write_suite(workspace)
    env = {**action_env(workspace, {"suite": "evals/suite.yml", "comment": "never"}), **emulator_server.env()}
    assert run_step(env, workspace).code == 0
    assert GITHUB.state.comments.get(7, []) == []


def test_a_comment_that_cannot_be_written_is_a_notice_and_the_verdict_stands(
    workspace: Path, emulator_server: Emulator
) -> None:
    GITHUB.state.read_only = True
    try:
        write_suite(workspace, minimum=1.1)  # a threshold no run can meet: the verdict is failed
        env = {**action_env(workspace, {"suite": "evals/suite.yml"}), **emulator_server.env()}
        step = run_step(env, workspace)
    finally:
        GITHUB.state.read_only = False
    assert step.code == 1
    assert "comment: skipped: the token may not comment here (403)" in step.log
