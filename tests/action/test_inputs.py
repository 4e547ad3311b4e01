"""Every input is a string the runner hands over: each bad one stops the step with exit code 2 and one line that
names the input, before any model is called."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from entrypoint.action import main
from entrypoint.settings import ActionSettings, InvalidInput, env_name, read_settings
from tests.action.conftest import FAKE_TOKEN, action_env, runner_commands, write_suite


def _run(workspace: Path, inputs: dict[str, str]) -> tuple[int, list[str]]:
    stream = io.StringIO()
    code = main(action_env(workspace, inputs), stream)
    return code, stream.getvalue().splitlines()


BAD_INPUTS = [
    ("fail-on", {"fail-on": "sometimes"}, "is not one of threshold, error, never"),
    ("comment", {"comment": "loud"}, "is not one of auto, always, never, changes, failures"),
    ("concurrency", {"concurrency": "-4"}, "out of range (1 to 1024)"),
    ("concurrency", {"concurrency": "0"}, "out of range (1 to 1024)"),
    ("concurrency", {"concurrency": "eight"}, "is not a whole number"),
    ("suite", {"suite": "../outside.yml"}, "outside the workspace"),
    ("suite", {"suite": "/etc/hostname"}, "outside the workspace"),
    ("suite", {"suite": "link/suite.yml"}, "through a symbolic link"),
    ("suite", {"suite": "evals/missing.yml"}, "no such file in the workspace"),
    ("suite", {"suite": ""}, "required"),
    ("out-dir", {"out-dir": "../../tmp/out"}, "outside the workspace"),
    ("out-dir", {"out-dir": "evals/suite.yml"}, "is a file, not a directory"),
    ("cache-dir", {"cache-dir": "link/cache"}, "through a symbolic link"),
    ("thresholds", {"thresholds": "qa.contains>=0.5\nqa.contains is high"}, "is not a threshold"),
    ("thresholds", {"thresholds": "qa.Builtin.Correctnes>=0.5"}, "has no metric"),
    ("sections", {"sections": "qa,nope"}, "no section named 'nope'"),
    ("models", {"models": "unknown-name"}, "unknown model 'unknown-name'"),
    ("models", {"models": "bot, two words"}, "is not a name or id"),
    ("aws-region", {"aws-region": "mars-north"}, "is not an AWS region"),
    ("endpoint-url", {"endpoint-url": "ftp://127.0.0.1/"}, "not an http(s) URL"),
    ("endpoint-url", {"endpoint-url": "http://127.0.0.1:port/"}, "not an http(s) URL"),
    ("emulator", {"emulator": "maybe"}, "is not true or false"),
    ("baseline", {"baseline": "s3://Not_A_Bucket/x"}, "is not an S3 URI"),
    ("baseline", {"baseline": "../base/results.json"}, "outside the workspace"),
    ("baseline", {"baseline": "https://example.invalid/results.json"}, "give a path in the workspace"),
    ("github-token", {"github-token": "ghs_abc def"}, "contains white space"),
    ("shard", {"shard": "5/4"}, "is not a shard"),
    ("shard", {"shard": "half"}, "is not a shard"),
    ("merge", {"merge": "../outside\nshards/one"}, "outside the workspace"),
    ("merge", {"merge": "shards/missing"}, "no such directory in the workspace"),
    ("merge", {"merge": "shards/one", "shard": "1/2"}, "not both"),
    ("merge", {"merge": "shards/one"}, "no results.json and results.jsonl here"),
]


@pytest.mark.parametrize(("name", "inputs", "says"), BAD_INPUTS, ids=[f"{n}:{t}" for n, _, t in BAD_INPUTS])
def test_a_bad_input_is_one_error_line_naming_it_and_exit_2(
    isolated_cwd: Path, name: str, inputs: dict[str, str], says: str
) -> None:
    workspace = isolated_cwd
    write_suite(workspace)
    outside = workspace.parent / "elsewhere"
    outside.mkdir()
    (outside / "suite.yml").write_text("version: 1\nname: x\n", encoding="utf-8")
    (workspace / "link").symlink_to(outside)
    (workspace / "shards" / "one").mkdir(parents=True)

    code, lines = _run(workspace, {"suite": "evals/suite.yml", **inputs})

    assert code == 2
    assert len(lines) == 1, lines
    [(command, properties, message)] = runner_commands(lines[0])
    assert command == "error"
    assert properties["title"].startswith("evalcore")
    assert message.startswith(f"input '{name}': ")
    assert says in message
    assert FAKE_TOKEN not in lines[0]
    assert not (workspace / "evalcore-out").exists(), "nothing runs after a bad input"


def test_a_broken_suite_is_annotated_at_its_line_naming_the_suite_input(isolated_cwd: Path) -> None:
    suite = write_suite(isolated_cwd)
    suite.write_text(suite.read_text().replace("models: [bot]", "models: [bot]\n    colour: blue"), encoding="utf-8")

    code, lines = _run(isolated_cwd, {"suite": "evals/suite.yml"})

    assert code == 2
    assert len(lines) == 1, lines
    [(command, properties, message)] = runner_commands(lines[0])
    assert (command, properties["file"], properties["line"]) == ("error", "evals/suite.yml", "9")
    assert message.startswith("input 'suite': evals/suite.yml:9")
    assert "colour" in message


def test_inputs_are_read_from_upper_cased_names_with_hyphens_kept(workspace: Path) -> None:
    write_suite(workspace)
    env = action_env(
        workspace,
        {"suite": "evals/suite.yml", "out-dir": "reports/evals", "fail-on": "NEVER", "concurrency": "3"},
    )
    assert "INPUT_OUT-DIR" in env and env_name("aws-region") == "INPUT_AWS-REGION"

    settings = read_settings(env, workspace)

    assert settings.out_dir == Path("reports/evals")
    assert settings.fail_on == "never"
    assert settings.concurrency == 3
    assert settings.suite == Path("evals/suite.yml")


def test_empty_inputs_take_the_defaults(workspace: Path) -> None:
    write_suite(workspace)
    env = {"INPUT_SUITE": "evals/suite.yml", "INPUT_MODELS": "", "INPUT_CONCURRENCY": " ", "INPUT_FAIL-ON": ""}

    settings = read_settings(env, workspace)

    assert settings.models is None and settings.concurrency is None
    assert settings.fail_on == "threshold" and settings.comment == "auto" and settings.emulator is False
    assert settings.out_dir == Path("evalcore-out") and settings.cache_dir == Path(".evalcore/cache")
    assert settings.thresholds == []


def test_lists_take_commas_and_newlines_and_threshold_lines_skip_comments(workspace: Path) -> None:
    write_suite(workspace)
    env = {
        "INPUT_SUITE": "evals/suite.yml",
        "INPUT_MODELS": "bot,\nanthropic.claude-3-5-sonnet-20240620-v1:0",
        "INPUT_THRESHOLDS": "# stricter on PRs\nqa.contains>=0.9\n\nerror_rate<=0.02\n",
        "INPUT_BASELINE": "artifact:evalcore-main",
    }

    settings = read_settings(env, workspace)

    assert settings.models == ["bot", "anthropic.claude-3-5-sonnet-20240620-v1:0"]
    assert settings.thresholds == ["qa.contains>=0.9", "error_rate<=0.02"]
    assert settings.baseline == "artifact:evalcore-main"


def test_the_token_stays_out_of_repr_and_errors(workspace: Path) -> None:
    write_suite(workspace)
    settings = read_settings({"INPUT_SUITE": "evals/suite.yml", "INPUT_GITHUB-TOKEN": FAKE_TOKEN}, workspace)

    assert FAKE_TOKEN not in repr(settings)
    assert FAKE_TOKEN not in str(settings)
    assert settings.github_token is not None and settings.github_token.get_secret_value() == FAKE_TOKEN
    with pytest.raises(InvalidInput) as raised:
        read_settings({"INPUT_SUITE": "evals/suite.yml", "INPUT_GITHUB-TOKEN": FAKE_TOKEN + " x"}, workspace)
    assert FAKE_TOKEN not in str(raised.value)


def test_a_path_written_as_a_yaml_block_loses_its_newline(workspace: Path) -> None:
    write_suite(workspace)

    settings = read_settings({"INPUT_SUITE": "evals/suite.yml\n", "INPUT_OUT-DIR": " out \n"}, workspace)

    assert (settings.suite, settings.out_dir) == (Path("evals/suite.yml"), Path("out"))


def test_a_symlink_that_stays_inside_the_workspace_is_fine(workspace: Path) -> None:
    write_suite(workspace)
    (workspace / "current").symlink_to(workspace / "evals")

    settings = read_settings({"INPUT_SUITE": "current/suite.yml"}, workspace)

    assert settings.suite == Path("current/suite.yml")


def test_an_absolute_path_inside_the_workspace_becomes_relative(workspace: Path) -> None:
    write_suite(workspace)

    settings = read_settings({"INPUT_SUITE": os.fspath(workspace / "evals" / "suite.yml")}, workspace)

    assert settings.suite == Path("evals/suite.yml")


def test_settings_fields_and_the_inputs_list_agree() -> None:
    from entrypoint.settings import INPUTS

    fields = {f.alias or name for name, f in ActionSettings.model_fields.items() if name != "workspace"}
    assert fields == set(INPUTS)
