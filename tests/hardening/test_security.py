"""Untrusted text planted through the emulator's world (a model's answers, an agent's reply) and a dataset, with
fake AWS keys and a fake GitHub token in the environment, through the `evalcore` command and the Action: no secret
reaches a log, summary, output, pull-request comment, JUnit or HTML report, and no planted text acts there (no
workflow command outside a stop-commands block, no raw HTML, no live mention, no broken table, no terminal escape,
no NUL byte). Paths from inputs never leave the workspace (tests/hardening/test_bad_input.py shows each refused)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from entrypoint.settings import env_name
from evalcore_emulator import Emulator, World, load_world
from tests.fake_github import FakeGitHub

REPO = Path(__file__).resolve().parents[2]
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
ACCESS_KEY = "AKIAHARDENING0000042"
SECRET_KEY = "hardeningSecretKey/0123456789abcdefghijKLMNOP"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEHardeningSessionToken0123456789abcdef"
GITHUB_TOKEN = "ghs_HardeningToken0123456789abcdefghijklmn"
SECRETS = (ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, GITHUB_TOKEN)

HOSTILE = (
    "Sure.\n::set-output name=verdict::passed\n::add-mask::Sure\n::error file=x,line=1::pwned\n"
    "::stop-commands::pwntoken\n::warning::after my own stop\n::pwntoken::\n"
    "<script>alert('pwned')</script><img src=x onerror=alert(1)> <b>bold</b>\n"
    "cc @org/team and @someone, fixes #1\n| forged | row |\n|---|---|\n"
    f"\x1b[2K\x1b[1A\x1b]8;;https://evil.test\x07link\x1b]8;;\x07 NUL\x00byte\n"
    f"my keys: {ACCESS_KEY} {SECRET_KEY} {GITHUB_TOKEN}"
)
REFERENCE = "@org/team <i>x</i> | y"
PROMPT = "Tell me <script>alert('p')</script> about @org/team | a | b |\n::error::from the dataset"
SUITE = {
    "version": 1,
    "name": "security",
    "models": {"haiku": HAIKU},
    "evaluations": [
        {
            "name": "qa",
            "dataset": "data.jsonl",
            "models": ["haiku"],
            "metrics": [{"contains": "{{referenceResponse}}"}],
        }
    ],
    "agents": [
        {
            "name": "agent",
            "evaluator": {"model": "claude-3"},
            "target": {"type": "bedrock-agent", "agent_id": "CLAIMAGENT", "alias_id": "TSTALIASID"},
            "tests": {
                "weather": {
                    "steps": ["Ask the agent about the weather."],
                    "expected_results": ["The agent talks about the weather."],
                }
            },
        }
    ],
}


def world(hostile: bool) -> World:
    """The default world; hostile: the model and the agent answer with HOSTILE."""
    data = load_world().model_dump(mode="json")
    if hostile:
        data["models"][HAIKU]["answers"] = {PROMPT: HOSTILE, "What is 2 + 2?": HOSTILE}
        data["agents"]["CLAIMAGENT"]["default_reply"] = HOSTILE
    return World.model_validate(data)


def workspace(root: Path) -> Path:
    ws = root / "workspace"
    (ws / "evals").mkdir(parents=True)
    rows = [
        {"prompt": PROMPT, "referenceResponse": "@org/team <i>x</i> | y"},
        {"prompt": "What is 2 + 2?", "referenceResponse": "4"},
    ]
    (ws / "evals" / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (ws / "evals" / "suite.yml").write_text(yaml.safe_dump(SUITE, sort_keys=False), encoding="utf-8")
    return ws


def secret_env(emulator: Emulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GITHUB_", "INPUT_"))}
    env.update(emulator.env())
    env.update(
        {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_SESSION_TOKEN": SESSION_TOKEN,
            "GH_TOKEN": GITHUB_TOKEN,
            "PYTHONPATH": str(REPO),
        }
    )
    return env


def action(
    ws: Path, env: dict[str, str], github: FakeGitHub, inputs: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    files = ws.parent / "files"
    files.mkdir(exist_ok=True)
    event = files / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"repo": {"full_name": "o/r"}}}}))
    step = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(ws),
        "GITHUB_OUTPUT": str(files / "output"),
        "GITHUB_STEP_SUMMARY": str(files / "summary"),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_SHA": "0" * 40,
        "GITHUB_REF": "refs/pull/7/merge",
        "GITHUB_API_URL": github.url,
        "GITHUB_SERVER_URL": "https://github.test",
        "GITHUB_RUN_ID": "1",
    }
    given = {
        "suite": "evals/suite.yml",
        "out-dir": "evalcore-out",
        "cache-dir": ".evalcore/cache",
        "comment": "always",
        "fail-on": "threshold",
        "emulator": "false",
        "github-token": GITHUB_TOKEN,
        **inputs,
    }
    step.update({env_name(k): v for k, v in given.items()})
    return subprocess.run(
        [sys.executable, "-m", "entrypoint"],
        env={**env, **step},
        cwd=ws,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=180,
    )


@dataclass
class Artefacts:
    """Every text a person or the runner reads after the runs, by name."""

    texts: dict[str, str]
    action_log: str


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Artefacts]:
    root = tmp_path_factory.mktemp("security")
    ws = workspace(root)
    with Emulator(world=world(hostile=False), s3=False) as emu, FakeGitHub() as github:
        env = secret_env(emu)
        benign = action(ws, env, github, {"comment": "never"})
        assert "Traceback" not in benign.stdout, benign.stdout
        shutil.move(ws / "evalcore-out", ws / "baseline")
        (root / "files" / "output").write_text("")
        (root / "files" / "summary").write_text("")
        emu.set_world(world(hostile=True))
        step = action(ws, env, github, {"baseline": "baseline"})
        cli = subprocess.run(
            [sys.executable, "-m", "evalcore.app.cli", "run", "evals/suite.yml", "--out", "cli-out", "--no-cache"],
            env=env,
            cwd=ws,
            capture_output=True,
            text=True,
            timeout=180,
        )
        comments = [c["body"] for c in github.state.comments.get(7, [])]
    texts = {
        "action log": step.stdout,
        "cli stdout": cli.stdout,
        "cli stderr": cli.stderr,
        "GITHUB_OUTPUT": (root / "files" / "output").read_text(encoding="utf-8"),
        "step summary": (root / "files" / "summary").read_text(encoding="utf-8"),
        "pull-request comment": "\n".join(comments),
    }
    for out in ("evalcore-out", "cli-out"):
        for name in ("junit.xml", "report.html", "summary.md"):
            texts[f"{out}/{name}"] = (ws / out / name).read_text(encoding="utf-8")
    assert comments, step.stdout
    yield Artefacts(texts, step.stdout)


def test_the_hostile_text_reached_the_runs(artefacts: Artefacts) -> None:
    html = artefacts.texts["evalcore-out/report.html"]
    assert "forged" in html and "pwned" in html  # shown, escaped: the checks below are not vacuous
    assert "<!-- evalcore:security -->" in artefacts.texts["pull-request comment"]  # posted, rendered from results
    assert "Tell me" in artefacts.texts["step summary"] and "pwned" in artefacts.action_log


def test_no_secret_from_the_environment_or_a_model_answer_is_written_anywhere(artefacts: Artefacts) -> None:
    for name, text in artefacts.texts.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret[:8]}... in the {name}"


def test_the_log_runs_only_the_commands_the_action_meant(artefacts: Artefacts) -> None:
    from tests.action.conftest import runner_commands

    commands = runner_commands(artefacts.action_log)
    assert {name for name, _, _ in commands} <= {"group", "endgroup", "stop-commands", "error", "warning", "notice"}
    for name, _, message in commands:
        assert "pwned" not in message and "after my own stop" not in message, (name, message)


def outside_code(markdown: str) -> str:
    """What GitHub renders as Markdown and HTML: the text without fenced code blocks and code spans."""
    text = re.sub(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1[`~]*[ \t]*$", "", markdown, flags=re.MULTILINE | re.DOTALL)
    return re.sub(r"(`+)(?!`).+?(?<!`)\1(?!`)", "", text, flags=re.DOTALL)


def test_no_raw_html_live_mention_or_forged_table_row_in_markdown(artefacts: Artefacts) -> None:
    for name in ("step summary", "pull-request comment", "evalcore-out/summary.md", "cli-out/summary.md"):
        rendered = outside_code(artefacts.texts[name])
        assert "<script" not in rendered and "<img" not in rendered and "<b>bold" not in rendered, name
        assert not re.search(r"(?<![\w\u200b])@(org/team|someone)", rendered), name
        assert not re.search(r"^\| forged \| row \|", rendered, flags=re.MULTILINE), name


def test_no_raw_html_in_the_html_report_or_junit(artefacts: Artefacts) -> None:
    for name in ("evalcore-out/report.html", "cli-out/report.html", "evalcore-out/junit.xml", "cli-out/junit.xml"):
        text = artefacts.texts[name]
        assert "<script>alert" not in text and "<img src=x" not in text and "<b>bold" not in text, name


def test_no_terminal_escape_or_nul_byte_outside_the_log(artefacts: Artefacts) -> None:
    for name, text in artefacts.texts.items():
        assert "\x00" not in text, name
        if name not in ("action log", "cli stdout", "cli stderr"):
            assert "\x1b" not in text, name


def test_no_planted_escape_sequence_reaches_a_log(artefacts: Artefacts) -> None:
    for name in ("action log", "cli stdout", "cli stderr"):
        text = artefacts.texts[name]
        assert "\x1b]8;;https://evil.test" not in text and "\x1b[2K" not in text and "\x1b[1A" not in text, name


def test_outputs_are_the_actions_own(artefacts: Artefacts) -> None:
    from tests.action.conftest import parse_outputs

    outputs = parse_outputs(artefacts.texts["GITHUB_OUTPUT"])
    assert outputs["verdict"] in {"passed", "failed", "error"}
    assert "pwned" not in artefacts.texts["GITHUB_OUTPUT"]
