"""The Action as the runner drives it: a workspace, INPUT_* and GITHUB_* variables, files for outputs and the
summary, and a reader of the log that processes workflow commands the way the runner does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from entrypoint.settings import env_name
from evalcore_emulator import Emulator
from tests.fake_github import FakeGitHub

# One fake GitHub API for every Action test: the pull-request comment goes there, never to the network.
GITHUB = FakeGitHub().__enter__()

REPO = Path(__file__).resolve().parents[2]
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
FAKE_ACCESS_KEY = "AKIAFAKEFAKEFAKE0042"
FAKE_SECRET_KEY = "fakeSecretKey/0123456789abcdefghijKLMNOPQRST"
FAKE_TOKEN = "ghs_FakeToken0123456789abcdefghijklmnopqr"

SUITE = """\
version: 1
name: gate
models:
  bot: {model}
evaluations:
  - name: qa
    dataset: data.jsonl
    models: [bot]
    metrics:
      - contains: "{{{{referenceResponse}}}}"
    thresholds:
      error_rate: {{max: 0.0}}
      contains: {{min: {minimum}}}
"""


@dataclass
class Step:
    """One run of the Action: its exit code, its log (stdout and stderr in order) and the runner's files."""

    code: int
    log: str
    outputs_file: Path
    summary_file: Path

    def outputs(self) -> dict[str, str]:
        return parse_outputs(self.outputs_file.read_text(encoding="utf-8"))

    def commands(self) -> list[tuple[str, dict[str, str], str]]:
        return runner_commands(self.log)


def write_suite(workspace: Path, minimum: float = 0.5, subdir: str = "evals") -> Path:
    """A one-section suite in `workspace/subdir`: the answer must contain the reference; its line of `contains`
    under thresholds is the one a breach is annotated at."""
    folder = workspace / subdir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.jsonl").write_text(
        '{"prompt": "Say the magic words.", "referenceResponse": "abracadabra"}\n'
        '{"prompt": "What is 2 + 2?", "referenceResponse": "4"}\n',
        encoding="utf-8",
    )
    suite = folder / "suite.yml"
    suite.write_text(SUITE.format(model=HAIKU, minimum=minimum), encoding="utf-8")
    return suite


def hostile_world(path: Path, answer: str) -> Path:
    """A world whose model answers the first prompt with `answer`, word for word, and 2 + 2 correctly."""
    import json

    path.write_text(
        "models:\n"
        f"  {HAIKU}:\n"
        "    quality: 1.0\n"
        "    answers:\n"
        f"      Say the magic words.: {json.dumps(answer)}\n"
        "      What is 2 + 2?: 2 + 2 equals 4.\n",
        encoding="utf-8",
    )
    return path


def action_env(workspace: Path, inputs: dict[str, str] | None = None) -> dict[str, str]:
    """The variables the runner gives a container action: inputs with defaults filled in, GITHUB_* and files."""
    files = workspace.parent / "file_commands"
    files.mkdir(exist_ok=True)
    (files / "set_output").touch()
    (files / "step_summary").touch()
    event = workspace.parent / "event.json"
    event.write_text(
        '{"pull_request": {"number": 7, "head": {"repo": {"full_name": "o/r"}}, "base": {"ref": "main", "repo": '
        '{"full_name": "o/r"}}}}',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "AWS_"))}
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(files / "set_output"),
            "GITHUB_STEP_SUMMARY": str(files / "step_summary"),
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_SHA": "0" * 40,
            "GITHUB_REF": "refs/pull/7/merge",
            "GITHUB_API_URL": GITHUB.url,
            "INPUT_OUT-DIR": "evalcore-out",
            "INPUT_CACHE-DIR": ".evalcore/cache",
            "INPUT_COMMENT": "auto",
            "INPUT_FAIL-ON": "threshold",
            "INPUT_EMULATOR": "false",
            "INPUT_GITHUB-TOKEN": FAKE_TOKEN,
        }
    )
    env.update({env_name(name): value for name, value in (inputs or {}).items()})
    return env


def run_step(env: dict[str, str], cwd: Path) -> Step:
    """`python -m entrypoint` with no arguments, as the container's ENTRYPOINT runs it; stderr merged into stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "entrypoint"],
        env={**env, "PYTHONPATH": str(REPO)},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    return Step(result.returncode, result.stdout, Path(env["GITHUB_OUTPUT"]), Path(env["GITHUB_STEP_SUMMARY"]))


_HEREDOC = re.compile(r"^(?P<name>[^\n=<]+)<<(?P<delim>[^\n]+)\n(?P<value>.*?)\n(?P=delim)\n", re.DOTALL | re.MULTILINE)


def parse_outputs(text: str) -> dict[str, str]:
    """The runner's reading of GITHUB_OUTPUT: `name<<DELIM` blocks (the only form the adapter writes)."""
    found = {m["name"]: m["value"] for m in _HEREDOC.finditer(text)}
    assert _HEREDOC.sub("", text) == "", f"unparsed output lines: {_HEREDOC.sub('', text)!r}"
    return found


def runner_commands(log: str) -> list[tuple[str, dict[str, str], str]]:
    """The workflow commands the runner would act on: lines `::name props::message`, none between
    `::stop-commands::TOKEN` and `::TOKEN::`."""
    processed: list[tuple[str, dict[str, str], str]] = []
    stopped: str | None = None
    for line in log.splitlines():
        if stopped is not None:
            if line.strip() == f"::{stopped}::":
                stopped = None
            continue
        match = re.match(r"^::([a-z-]+)(?: ([^:]*))?::(.*)$", line.strip())
        if not match:
            continue
        name, props, message = match[1], match[2] or "", match[3]
        properties = dict(p.split("=", 1) for p in props.split(",") if "=" in p)
        if name == "stop-commands":
            stopped = message
        processed.append((name, properties, message))
    return processed


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    return path


@pytest.fixture
def isolated_cwd(monkeypatch: pytest.MonkeyPatch, workspace: Path) -> Iterator[Path]:
    """The adapter changes into the workspace; this restores the test's working directory afterwards."""
    monkeypatch.chdir(workspace)
    yield workspace


@pytest.fixture
def world_emulator(tmp_path: Path) -> Iterator[Emulator]:
    """An emulator (no S3) whose world answers the suite's first prompt with hostile text holding fake secrets."""
    answer = (
        "Here you go:\n::set-output name=x::y\n::add-mask::The\n::error::pwned\n::warning title=t::pwned\n"
        f"::stop-commands::nope\nkey {FAKE_SECRET_KEY} token {FAKE_TOKEN} id {FAKE_ACCESS_KEY}\n"
        "and AKIAABCDEFGHIJKLMNOP"
    )
    with Emulator(world=hostile_world(tmp_path / "world.yml", answer), s3=False) as emu:
        yield emu
