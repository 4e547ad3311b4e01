"""Credential redaction never rewrites a result: answers that look like `token: X` or `secret: X`, and a model id
that looks like `token=X`, are run through the `evalcore` command on the emulator (`--emulator --world`), and the
verdict equals that of the same run with innocuous text; metric names, kinds and model ids stay as they were, and
only the untrusted text itself loses what looks like a credential. An endpoint URL's user and password reach no
file and no log."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcore_emulator import Emulator, load_world

REPO = Path(__file__).resolve().parents[2]
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
JUDGE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
ROWS = [json.loads(line) for line in (REPO / "examples/quickstart/datasets/qa.jsonl").read_text().splitlines()]
PASSWORD = "S3cretPassw0rd"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    out: Path

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (self.out / "results.jsonl").read_text(encoding="utf-8").splitlines()]

    @property
    def verdict(self) -> dict[str, Any]:
        return json.loads((self.out / "results.json").read_text(encoding="utf-8"))["verdict"]


def write_suite(folder: Path, model: str = "haiku", rows: list[dict[str, Any]] = ROWS) -> Path:
    """One direct evaluation scored by Builtin.Correctness, gated at 0.99: a single wrong answer out of twenty
    (0.95) fails it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "qa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    suite = {
        "version": 1,
        "name": "redaction",
        "defaults": {"concurrency": 4, "judge": JUDGE},
        "models": {"haiku": HAIKU},
        "evaluations": [
            {
                "name": "qa",
                "dataset": "qa.jsonl",
                "models": [model],
                "metrics": ["Builtin.Correctness"],
                "thresholds": {"Builtin.Correctness": {"min": 0.99}},
            }
        ],
    }
    path = folder / "suite.yml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False), encoding="utf-8")
    return path


def write_world(folder: Path, answer: str | None) -> Path:
    """The default world where haiku answers every known question right, and the first question with `answer`."""
    data = load_world().model_dump(mode="json", exclude_none=True)
    haiku = data["models"][HAIKU]
    haiku["quality"] = 1.0
    haiku["answers"] = {ROWS[0]["prompt"]: answer} if answer is not None else {}
    path = folder / "world.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def evalcore(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evalcore.app.cli", *args],
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_with_answer(folder: Path, answer: str | None, model: str = "haiku", *more: str) -> Run:
    suite = write_suite(folder, model)
    world = write_world(folder, answer)
    out = folder / "out"
    done = evalcore("run", str(suite), "--emulator", "--world", str(world), "--out", str(out), "--no-cache", *more)
    return Run(done.returncode, done.stdout, done.stderr, out)


def test_an_answer_labelled_token_keeps_its_metric_and_the_verdict_of_an_innocuous_answer(tmp_path: Path) -> None:
    hostile = run_with_answer(tmp_path / "hostile", "I refuse. token: Correctness")
    innocuous = run_with_answer(tmp_path / "innocuous", "I refuse. colour: Correctness")

    assert "Traceback" not in hostile.stderr, hostile.stderr
    assert (hostile.code, hostile.verdict["status"]) == (innocuous.code, innocuous.verdict["status"]) == (1, "failed")
    assert hostile.verdict["checks"] == innocuous.verdict["checks"]
    for line in hostile.lines:
        assert [m["name"] for m in line["metrics"]] == ["Builtin.Correctness"], line
    (refusal,) = [line for line in hostile.lines if line["prompt"] == ROWS[0]["prompt"]]
    assert refusal["output"] == "I refuse. token: ***"  # the text itself is still redacted


def test_an_answer_labelled_secret_leaves_the_results_readable_and_resumable(tmp_path: Path) -> None:
    hostile = run_with_answer(tmp_path / "hostile", "secret: evaluation")
    innocuous = run_with_answer(tmp_path / "innocuous", "secrets evaluation")

    assert "Traceback" not in hostile.stderr + hostile.stdout, hostile.stderr
    assert (hostile.code, hostile.verdict["status"]) == (innocuous.code, innocuous.verdict["status"])
    assert {line["kind"] for line in hostile.lines} == {"evaluation"}
    resumed = evalcore(
        "run", str(tmp_path / "hostile/suite.yml"), "--emulator", "--world", str(tmp_path / "hostile/world.yml"),
        "--resume", str(hostile.out), "--no-cache",
    )  # fmt: skip
    assert "Traceback" not in resumed.stderr + resumed.stdout, resumed.stderr
    assert resumed.returncode == hostile.code
    assert "20 of 20 cases already done" in resumed.stdout + resumed.stderr


def test_a_model_id_that_looks_like_a_credential_is_named_on_every_line_and_fails(tmp_path: Path) -> None:
    run = run_with_answer(tmp_path, None, "token=sk-model:v1")

    assert "Traceback" not in run.stderr, run.stderr
    assert len(run.lines) == len(ROWS)
    for line in run.lines:
        assert (line["model"], line["model_id"], line["status"]) == ("token=sk-model:v1", "token=sk-model:v1", "error")
    assert run.verdict["status"] != "passed" and run.code != 0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("given_by", ["--endpoint-url", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"])
def test_an_endpoint_urls_password_reaches_no_output_file_and_no_log(tmp_path: Path, given_by: str) -> None:
    suite = write_suite(tmp_path, rows=ROWS[:2])
    out = tmp_path / "out"
    url = f"http://user:{PASSWORD}@127.0.0.1:{closed_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "AKIAREDACTIONTEST000",
            "AWS_SECRET_ACCESS_KEY": "redaction-test-secret-key",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "NO_COLOR": "1",
        }
    )
    args = [sys.executable, "-m", "evalcore.app.cli", "run", str(suite), "--out", str(out), "--no-cache"]
    if given_by == "--endpoint-url":
        args += ["--endpoint-url", url]
    else:  # botocore reads the variable itself and writes the URL into its errors as it was given
        env[given_by] = url
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 3, done.stdout + done.stderr  # every case errored: infrastructure
    reasons = [json.loads(line).get("reason") or "" for line in (out / "results.jsonl").read_text().splitlines()]
    assert reasons and all("Could not connect to the endpoint URL" in r for r in reasons), reasons
    texts = {"stdout": done.stdout, "stderr": done.stderr}
    texts.update({p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file()})
    assert {"results.jsonl", "results.json", "junit.xml", "report.html", "summary.md"} <= set(texts)
    for name, text in texts.items():
        assert PASSWORD not in text, name


def test_a_urls_user_and_password_in_an_answer_are_redacted_and_the_rest_kept(tmp_path: Path) -> None:
    run = run_with_answer(tmp_path, "Connect with https://admin:hunter2@db.internal/x, then retry.")

    (answer,) = [line for line in run.lines if line["prompt"] == ROWS[0]["prompt"]]
    assert answer["output"] == "Connect with https://***@db.internal/x, then retry."


def test_an_endpoint_url_with_a_user_and_password_still_reaches_the_endpoint(
    emulator: Emulator, tmp_path: Path
) -> None:
    suite = write_suite(tmp_path, rows=ROWS[:2])
    host = emulator.endpoint.removeprefix("http://")
    env = {**emulator.env(), "AWS_CONFIG_FILE": os.devnull}

    done = evalcore(
        "run", str(suite), "--out", str(tmp_path / "out"), "--no-cache", "--endpoint-url", f"http://user:{PASSWORD}@{host}",
        env=env,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    assert len(emulator.requests("Converse")) == 4  # two answers, two verdicts


def test_the_actions_log_outputs_and_step_summary_never_show_an_endpoint_urls_password(tmp_path: Path) -> None:
    from tests.action.conftest import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, action_env, run_step
    from tests.action.conftest import write_suite as write_action_suite

    workspace = tmp_path / "workspace"
    workspace.mkdir()
    write_action_suite(workspace)
    url = f"http://user:{PASSWORD}@127.0.0.1:{closed_port()}"
    env = action_env(workspace, {"suite": "evals/suite.yml", "endpoint-url": url, "aws-region": "us-east-1"})
    env.update({"AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY})

    step = run_step(env, workspace)

    assert step.code == 3, step.log
    # The one line that carries the password is the command telling the runner to mask it: the runner consumes it
    # and hides the value in every later line ("Masking a value in a log", docs.github.com workflow commands). Sent
    # as `::add-mask::***` (as it was) it masked nothing.
    mask = f"::add-mask::{PASSWORD}\n"
    assert step.log.count(mask) == 1
    log = step.log.replace(mask, "")
    texts = {"log": log, "outputs": step.outputs_file.read_text(), "summary": step.summary_file.read_text()}
    texts.update({p.name: p.read_text() for p in (workspace / "evalcore-out").iterdir() if p.is_file()})
    assert "Could not connect to the endpoint URL" in texts["results.jsonl"]
    for name, text in texts.items():
        assert PASSWORD not in text, name
