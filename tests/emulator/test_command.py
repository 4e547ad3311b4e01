"""``evalcore emulator``: prints its endpoint and exports, serves, stops cleanly on SIGTERM; one-line world errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from evalcore_emulator.command import main

COMMAND = [sys.executable, "-m", "evalcore_emulator.command"]


def test_runs_until_sigterm_and_prints_exports(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    process = subprocess.Popen(
        [*COMMAND, "--port", "0", "--no-s3", "--request-log", str(log)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        endpoint = first.rsplit(" ", 1)[-1].strip()
        exports = [process.stdout.readline().strip() for _ in range(7)]
        with urllib.request.urlopen(f"{endpoint}/_emulator/health", timeout=5) as response:
            health = json.load(response)
        request = urllib.request.Request(
            f"{endpoint}/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
            data=json.dumps({"messages": [{"role": "user", "content": [{"text": "Say hello."}]}]}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            answer = json.load(response)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)

    assert first.startswith("evalcore emulator listening on http://127.0.0.1:")
    assert f"export AWS_ENDPOINT_URL_BEDROCK_RUNTIME={endpoint}" in exports
    assert "export AWS_DEFAULT_REGION=us-east-1" in exports
    assert health["status"] == "ok"
    assert answer["output"]["message"]["content"][0]["text"] == "Hello! How can I help you today?"
    assert json.loads(log.read_text().splitlines()[0])["operation"] == "Converse"
    assert code == 0


def test_bad_world_file_is_one_line_with_its_line_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    world = tmp_path / "world.yml"
    world.write_text("models:\n  anthropic.claude-3-haiku-20240307-v1:0:\n    quality: 2\n")

    code = main(["--world", str(world), "--no-s3"])

    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{world}:3: models.anthropic.claude-3-haiku-20240307-v1:0.quality: Input should be less than or equal to 1"
    ]


def test_unknown_key_is_reported_at_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    world = tmp_path / "world.yml"
    world.write_text("seed: 1\nguardrails:\n  g:\n    versions:\n      DRAFT:\n        topicz: []\n")

    code = main(["--world", str(world), "--no-s3"])

    assert code == 2
    assert capsys.readouterr().err.strip() == (
        f"{world}:6: guardrails.g.versions.DRAFT.topicz: Extra inputs are not permitted"
    )


def test_non_loopback_host_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--host", "0.0.0.0", "--no-s3"])

    assert code == 2
    assert "loopback" in capsys.readouterr().err
