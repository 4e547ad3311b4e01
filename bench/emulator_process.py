"""`evalcore emulator` in a process of its own, for the benchmarks: one way to start it and read its endpoints."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml


@contextlib.contextmanager
def emulator_process(world: dict[str, Any], path: Path, request_log: Path | None = None) -> Iterator[dict[str, str]]:
    """Write `world` to `path`, start the emulator on it (no S3) and yield the environment that points boto3 at it;
    with `request_log`, it logs every call there. The process is stopped on exit."""
    path.write_text(yaml.safe_dump(world, sort_keys=False))
    command = [sys.executable, "-m", "evalcore.app.cli", "emulator", "--world", str(path), "--no-s3"]
    if request_log is not None:
        command += ["--request-log", str(request_log)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    env: dict[str, str] = {}
    assert child.stdout is not None
    for line in child.stdout:  # `export NAME=value` lines; AgentCore's endpoint comes last (launcher.BEDROCK_SERVICES)
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").strip().partition("=")
            env[key] = value
            if key == "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE":
                break
    try:
        yield env
    finally:
        child.terminate()
        child.wait(10)
