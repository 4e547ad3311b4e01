"""The image under test: `EVALCORE_IMAGE` (default evalcore:ci), built from the Dockerfile by .ci/run or CI.

Without a reachable Docker daemon or without the image these tests FAIL, never skip: a container test that skips
proves nothing. `.ci/run` starts a daemon and builds the image first; for a quick local loop without Docker, leave
the folder out knowingly (`pytest --ignore=tests/container`).
"""

from __future__ import annotations

import os
import subprocess

import pytest

IMAGE = os.environ.get("EVALCORE_IMAGE", "evalcore:ci")
BASE_IMAGE = os.environ.get("EVALCORE_BASE_IMAGE", "local/python:3-bookworm")


def _unavailable(why: str) -> None:
    pytest.fail(f"{why}: run .ci/run (it starts a Docker daemon and builds the image), or --ignore=tests/container")


def docker(*args: str, timeout: float = 60, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="session")
def image() -> str:
    try:
        info = docker("info", "--format", "{{.ServerVersion}}", timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"no docker command or daemon ({exc})")
    if info.returncode != 0:
        _unavailable(f"the Docker daemon is not reachable ({info.stderr.strip().splitlines()[-1:]})")
    if docker("image", "inspect", IMAGE).returncode != 0:
        _unavailable(f"image {IMAGE} is not built (docker build -t {IMAGE} .)")
    return IMAGE
