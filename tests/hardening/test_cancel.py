"""SIGTERM in the middle of a run, as GitHub sends it on a cancelled workflow, to the `evalcore` command: running
managed evaluation jobs are stopped, the cases that finished are in results.jsonl, the exit code is 3; `--resume`
then finishes the run with the same results as a run that was never interrupted."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcore_emulator import Emulator, World, load_world

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SUITE = {
    "version": 1,
    "name": "cancel",
    "defaults": {
        "concurrency": 2,
        "inference": {"max_tokens": 256, "temperature": 0.0},
        "judge": "anthropic.claude-3-5-sonnet-20240620-v1:0",
    },
    "models": {
        "haiku": "anthropic.claude-3-haiku-20240307-v1:0",
        "sonnet": "anthropic.claude-3-5-sonnet-20240620-v1:0",
    },
    "evaluations": [
        {
            "name": "qa",
            "dataset": "qa.jsonl",
            "models": ["haiku", "sonnet"],
            "metrics": ["Builtin.Correctness", "token_f1", {"contains": "{{referenceResponse}}"}],
        },
        {
            "name": "qa-jobs",
            "mode": "bedrock-job",
            "dataset": "qa.jsonl",
            "models": ["haiku", "sonnet"],
            "task_type": "QuestionAndAnswer",
            "metrics": ["Builtin.Accuracy"],
            "job": {
                "role_arn": "arn:aws:iam::123456789012:role/BedrockEvaluationRole",
                "s3_uri": "s3://evalcore-examples/evaluations",
                "poll_seconds": 1,
            },
        },
    ],
}


def world(slow: bool) -> World:
    """The default world; slow: every Converse takes 150 ms and evaluation jobs never finish until stopped."""
    data = load_world().model_dump(mode="json")
    data["jobs"] = {**data["jobs"], "duration_seconds": 0.05}
    if slow:
        data["faults"] = [{"kind": "latency", "operation": "Converse", "latency_ms": 150}]
        data["jobs"]["never_finish_name_pattern"] = "."
    return World.model_validate(data)


def evalcore(emulator: Emulator, folder: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GITHUB_"))}
    return subprocess.Popen(
        [sys.executable, "-m", "evalcore.app.cli", "run", "suite.yml", "--no-cache", "--quiet", *args],
        cwd=folder,
        env={**env, **emulator.env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def verdict(line: dict[str, Any]) -> tuple[Any, ...]:
    """What a case concluded: its status, output and scores."""
    return line["status"], line.get("output"), sorted((m["name"], m["value"]) for m in line.get("metrics", []))


def final(path: Path) -> dict[str, tuple[Any, ...]]:
    """Each case's last line in a results file, by case id."""
    return {line["case_id"]: verdict(line) for line in lines(path)}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLES / "quickstart" / "datasets" / "qa.jsonl", tmp_path / "qa.jsonl")
    (tmp_path / "suite.yml").write_text(yaml.safe_dump(SUITE, sort_keys=False), encoding="utf-8")
    return tmp_path


def test_sigterm_stops_jobs_flushes_results_exits_3_and_resume_matches_an_uninterrupted_run(
    emulator: Emulator, folder: Path
) -> None:
    emulator.set_world(world(slow=True))
    proc = evalcore(emulator, folder, "--out", "cancelled")
    results = folder / "cancelled" / "results.jsonl"
    deadline = time.monotonic() + 60
    while not (
        results.exists() and len(results.read_text().splitlines()) >= 6 and emulator.requests("CreateEvaluationJob")
    ):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 3, stderr
    assert "Traceback" not in stderr + stdout
    created = {e.path for e in emulator.requests("CreateEvaluationJob")}
    stopped = emulator.requests("StopEvaluationJob")
    assert len(created) == 1 and len(stopped) == 2  # one create call, two jobs: both stopped
    partial = lines(results)
    ids = [r["case_id"] for r in partial]
    assert len(ids) == len(set(ids)) == 80  # every planned case has one line, finished or not
    done = [r for r in partial if r["status"] != "error"]
    cancelled = [r for r in partial if r["status"] == "error"]
    assert 6 <= len(done) < 40  # direct cases that finished before the signal
    assert all(r["reason"] and "cancel" in r["reason"] for r in cancelled)
    assert {r["section"] for r in cancelled} == {"qa", "qa-jobs"}
    verdict = json.loads((folder / "cancelled" / "results.json").read_text())["verdict"]
    assert verdict["exit_code"] == 3 and "cancelled" in verdict["reasons"][0]

    emulator.set_world(world(slow=False))
    emulator.clear_requests()
    resumed = evalcore(emulator, folder, "--resume", "cancelled", "--out", "cancelled")
    resumed_out, resumed_err = resumed.communicate(timeout=120)
    asked_again = len(emulator.requests("Converse"))
    whole = evalcore(emulator, folder, "--out", "whole")
    whole.communicate(timeout=120)

    assert "Traceback" not in resumed_out + resumed_err
    assert resumed.returncode == whole.returncode
    assert final(folder / "cancelled" / "results.jsonl") == final(folder / "whole" / "results.jsonl")
    kept = lines(folder / "cancelled" / "results.jsonl")[: len(partial)]
    assert kept == partial  # the resumed run appended; what finished before the signal was not run again
    assert asked_again == 2 * (40 - len(done))  # a model call and a judge call for each unfinished direct case
