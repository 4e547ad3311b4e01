"""The Action end to end, as `python -m entrypoint` with the runner's variables, against the emulator: outputs,
step summary, annotations, what a hostile model answer can do to the log (nothing), secrets, and `fail-on`."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from evalcore_emulator import Emulator
from tests.action.conftest import (
    FAKE_ACCESS_KEY,
    FAKE_SECRET_KEY,
    FAKE_TOKEN,
    REPO,
    Step,
    action_env,
    hostile_world,
    run_step,
    write_suite,
)

HOSTILE = (
    "Here you go:\n::set-output name=x::y\n::add-mask::The\n::error::pwned\n::warning title=t::pwned\n"
    f"::stop-commands::nope\nkey {FAKE_SECRET_KEY} token {FAKE_TOKEN} id {FAKE_ACCESS_KEY}\n"
    "and AKIAABCDEFGHIJKLMNOP"
)


def _endpoint_env(workspace: Path, emulator: Emulator, inputs: dict[str, str]) -> dict[str, str]:
    """Real-AWS mode pointed at an emulator through `endpoint-url`, with fake credentials as OIDC would leave them."""
    env = action_env(
        workspace, {"suite": "evals/suite.yml", "endpoint-url": emulator.endpoint, "aws-region": "us-east-1", **inputs}
    )
    env.update(
        {"AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY, "AWS_SESSION_TOKEN": "x" * 64}
    )
    return env


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Step]]:
    """One run whose model answers with workflow commands and the job's own secrets; the contains threshold
    (min 0.9) is breached: one of two answers holds its reference."""
    root = tmp_path_factory.mktemp("hostile")
    workspace = root / "workspace"
    workspace.mkdir()
    write_suite(workspace, minimum=0.9)
    with Emulator(world=hostile_world(root / "world.yml", HOSTILE), s3=False) as emu:
        env = _endpoint_env(workspace, emu, {})
        Path(env["GITHUB_STEP_SUMMARY"]).write_text("## an earlier step\n", encoding="utf-8")
        yield workspace, run_step(env, workspace)


def test_a_breached_threshold_fails_the_step_with_the_verdicts_code(hostile: tuple[Path, Step]) -> None:
    workspace, step = hostile
    results = json.loads((workspace / "evalcore-out" / "results.json").read_text())

    assert results["verdict"]["status"] == "failed"
    assert step.code == results["verdict"]["exit_code"] == 1
    assert step.outputs()["verdict"] == "failed"
    assert step.outputs()["passed"] == "false"
    assert step.outputs()["pass-rate"] == "0.5"


def test_a_breach_is_annotated_at_its_threshold_line_in_the_suite(hostile: tuple[Path, Step]) -> None:
    workspace, step = hostile
    text = (workspace / "evals" / "suite.yml").read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if t.strip().startswith("contains: {min"))

    errors = [(props, msg) for name, props, msg in step.commands() if name == "error"]

    assert len(errors) == 1
    props, message = errors[0]
    assert props == {"file": "evals/suite.yml", "line": str(line), "title": "Threshold not met%3A qa (bot)"}
    assert message == "qa (bot): contains >= 0.9: got 0.5 ([0.095, 0.905], 95%25 wilson, n=2 items)"  # % escaped


def test_a_hostile_model_answer_cannot_issue_workflow_commands(hostile: tuple[Path, Step]) -> None:
    _, step = hostile
    processed = step.commands()
    names = [name for name, _, _ in processed]

    assert "Here you go:" in step.log, "the answer is shown in the log"
    assert "::set-output name=x::y" in step.log
    assert "set-output" not in names
    assert all("pwned" not in message for _, _, message in processed)
    assert ("add-mask", {}, "The") not in processed
    assert "x" not in step.outputs()
    # every stop-commands is resumed by its own random token, and commands work again afterwards
    stops = [m for n, _, m in processed if n == "stop-commands"]
    assert len(stops) >= 3 and len(set(stops)) == len(stops)
    assert all(re.fullmatch(r"[0-9a-f]{32}", token) and f"::{token}::" in step.log for token in stops)
    assert names[-1] != "stop-commands"


def test_a_secret_looking_string_in_a_model_answer_is_redacted_before_anything_shows_it(
    hostile: tuple[Path, Step],
) -> None:
    workspace, step = hostile
    results = (workspace / "evalcore-out" / "results.jsonl").read_text()

    assert "AKIAABCDEFGHIJKLMNOP" not in step.log + results  # redacted where results are written (results.py)
    assert "and ***" in step.log


def test_credentials_and_the_token_never_reach_the_log_outputs_or_summary(hostile: tuple[Path, Step]) -> None:
    _, step = hostile
    written = [step.log, step.outputs_file.read_text(), step.summary_file.read_text()]

    for secret in (FAKE_ACCESS_KEY, FAKE_SECRET_KEY, FAKE_TOKEN, "x" * 64):
        assert all(secret not in text for text in written), secret
    assert "***" in step.log, "the model's echo of the secrets is shown redacted"


def test_outputs_are_heredocs_with_random_delimiters(hostile: tuple[Path, Step]) -> None:
    workspace, step = hostile
    text = step.outputs_file.read_text()
    action = yaml.safe_load((REPO / "action.yml").read_text())

    delimiters = re.findall(r"^[a-z-]+<<(.+)$", text, re.MULTILINE)
    outputs = step.outputs()

    assert set(outputs) == set(action["outputs"])
    assert len(delimiters) == len(outputs) == len(set(delimiters))
    assert all(re.fullmatch(r"ghadelimiter_[0-9a-f-]{36}", d) for d in delimiters)
    assert outputs["results-path"] == "evalcore-out/results.json"
    for name in ("results-path", "junit-path", "summary-path", "html-path"):
        assert (workspace / outputs[name]).is_file(), name
    scores = json.loads(outputs["scores"])
    assert scores["qa"]["bot"]["contains"] == pytest.approx(0.5)
    assert scores["qa"]["bot"]["pass_rate"] == pytest.approx(0.5)


def test_the_summary_is_appended_after_earlier_steps(hostile: tuple[Path, Step]) -> None:
    workspace, step = hostile
    summary = step.summary_file.read_text()

    assert summary.startswith("## an earlier step\n")
    assert "gate" in summary
    assert len(summary.encode()) <= 1024 * 1024
    assert (workspace / "evalcore-out" / "summary.md").is_file()


def test_the_log_is_grouped(hostile: tuple[Path, Step]) -> None:
    _, step = hostile
    groups = [message for name, _, message in step.commands() if name == "group"]
    ends = [name for name, _, _ in step.commands() if name == "endgroup"]

    assert groups == ["evalcore: inputs", "evalcore run evals/suite.yml", "evalcore: 1 cases did not pass"]
    assert len(ends) == len(groups)


@pytest.mark.parametrize(
    ("fail_on", "code", "level"), [("threshold", 1, "error"), ("error", 0, "warning"), ("never", 0, "warning")]
)
def test_fail_on_decides_whether_a_breach_fails_the_step(
    workspace: Path, world_emulator: Emulator, fail_on: str, code: int, level: str
) -> None:
    write_suite(workspace, minimum=0.9)

    step = run_step(_endpoint_env(workspace, world_emulator, {"fail-on": fail_on}), workspace)

    assert step.code == code
    assert step.outputs()["verdict"] == "failed"
    assert [name for name, _, _ in step.commands() if name in ("error", "warning")] == [level]


@pytest.mark.parametrize(("fail_on", "code"), [("threshold", 3), ("error", 3), ("never", 0)])
def test_an_infrastructure_error_fails_unless_fail_on_is_never(
    tmp_path: Path, workspace: Path, fail_on: str, code: int
) -> None:
    world = tmp_path / "denied.yml"
    world.write_text("faults:\n  - kind: access_denied\n", encoding="utf-8")
    write_suite(workspace)

    with Emulator(world=world, s3=False) as emu:
        step = run_step(_endpoint_env(workspace, emu, {"fail-on": fail_on}), workspace)

    assert step.code == code
    assert step.outputs()["verdict"] == "error"
    assert step.outputs()["passed"] == "false"


def test_the_builtin_emulator_runs_the_quick_start_and_passes(workspace: Path) -> None:
    shutil.copytree(REPO / "examples" / "quickstart", workspace / "examples" / "quickstart")
    env = action_env(workspace, {"suite": "examples/quickstart/suite.yml", "emulator": "true", "out-dir": "out/qs"})

    step = run_step(env, workspace)

    results = json.loads((workspace / "out" / "qs" / "results.json").read_text())
    outputs = step.outputs()
    assert step.code == results["verdict"]["exit_code"]
    assert outputs["verdict"] == results["verdict"]["status"]
    assert outputs["results-path"] == "out/qs/results.json"
    assert set(json.loads(outputs["scores"])) == {s["name"] for s in results["sections"]}
    assert (workspace / "out" / "qs" / "junit.xml").is_file()


def test_a_run_without_credentials_leaves_an_error_verdict_and_a_summary(workspace: Path) -> None:
    write_suite(workspace)
    env = action_env(workspace, {"suite": "evals/suite.yml", "aws-region": "us-east-1"})
    env.update({"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"})
    env["AWS_EC2_METADATA_DISABLED"] = "true"

    step = run_step(env, workspace)

    assert step.code == 3
    assert step.outputs()["verdict"] == "error"
    assert step.outputs()["results-path"] == ""
    assert "Verdict: error" in step.summary_file.read_text()
    assert [(n, p.get("title")) for n, p, _ in step.commands() if n == "error"] == [("error", "evalcore")]


def test_shards_run_in_matrix_jobs_merge_into_one_verdict(workspace: Path, world_emulator: Emulator) -> None:
    write_suite(workspace, minimum=0.9)
    for index in (1, 2):
        shard = run_step(
            _endpoint_env(workspace, world_emulator, {"shard": f"{index}/2", "out-dir": f"shards/{index}"}), workspace
        )
        assert shard.code in (0, 1), shard.log[-2000:]
    missing = run_step(_endpoint_env(workspace, world_emulator, {"merge": "shards/1"}), workspace)

    merged = run_step(_endpoint_env(workspace, world_emulator, {"merge": "shards/1\nshards/2"}), workspace)

    assert missing.code == 2
    [message] = [message for name, _, message in missing.commands() if name == "error"]
    assert message.startswith("input 'merge': shards/1: missing shard(s) 2/2")
    results = json.loads((workspace / "evalcore-out" / "results.json").read_text())
    assert merged.code == results["verdict"]["exit_code"] == 1
    assert merged.outputs()["pass-rate"] == "0.5"
    assert len((workspace / "evalcore-out" / "results.jsonl").read_text().splitlines()) == 2


def test_the_endpoint_urls_password_is_masked_by_its_value_not_by_asterisks(workspace: Path) -> None:
    # `::add-mask::` tells the runner which value to hide in every later line of the job's log, the core's output
    # included; sent redacted ("***") it would hide nothing. The password itself is never printed otherwise.
    write_suite(workspace)
    password = "pw-Secret-0123456789"
    env = action_env(
        workspace,
        {"suite": "evals/suite.yml", "endpoint-url": f"http://u:{password}@127.0.0.1:9/", "aws-region": "us-east-1"},
    )
    env.update({"AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY})

    step = run_step(env, workspace)

    masks = [message for name, _, message in step.commands() if name == "add-mask"]
    assert masks and masks[0] == password, masks
    assert password not in step.log.replace(f"::add-mask::{password}", "")
