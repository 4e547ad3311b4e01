"""The image under test: `EVALCORE_IMAGE` (default evalcore:ci), built from the Dockerfile by .ci/run or CI (BuildKit),
on `EVALCORE_BASE_IMAGE` (default local/python:3-bookworm, what .ci/docker.sh builds where no registry is reachable).
The `classic_image` fixture builds the same Dockerfile with the classic builder (DOCKER_BUILDKIT=0, what Docker 20.10
without BuildKit and act use) as `EVALCORE_IMAGE` with `-classic` appended (evalcore:ci-classic).

Without a reachable Docker daemon or without the image these tests FAIL, never skip: a container test that skips
proves nothing. `.ci/run` starts a daemon and builds the image first; for a quick local loop without Docker, leave
the folder out knowingly (`pytest --ignore=tests/container`).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

IMAGE = os.environ.get("EVALCORE_IMAGE", "evalcore:ci")
BASE_IMAGE = os.environ.get("EVALCORE_BASE_IMAGE", "local/python:3-bookworm")
CLASSIC_IMAGE = f"{IMAGE}-classic"  # evalcore:ci -> evalcore:ci-classic
REPO = Path(__file__).resolve().parents[2]


def _unavailable(why: str) -> None:
    pytest.fail(f"{why}: run .ci/run (it starts a Docker daemon and builds the image), or --ignore=tests/container")


def docker(*args: str, timeout: float = 60, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="session")
def daemon() -> None:
    try:
        info = docker("info", "--format", "{{.ServerVersion}}", timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"no docker command or daemon ({exc})")
    if info.returncode != 0:
        _unavailable(f"the Docker daemon is not reachable ({info.stderr.strip().splitlines()[-1:]})")


@pytest.fixture(scope="session")
def base_image(daemon: None) -> str:
    """The runner image act runs jobs in (`-P ubuntu-latest=...`): bash, and python3 with venv."""
    if docker("image", "inspect", BASE_IMAGE).returncode != 0:
        _unavailable(f"base image {BASE_IMAGE} is not there (.ci/docker.sh base pulls or builds it)")
    return BASE_IMAGE


@pytest.fixture(scope="session")
def image(daemon: None) -> str:
    if docker("image", "inspect", IMAGE).returncode != 0:
        _unavailable(f"image {IMAGE} is not built (docker build -t {IMAGE} .)")
    return IMAGE


@pytest.fixture(scope="session")
def classic_image(image: str) -> str:
    """The Dockerfile built by the classic builder, as act and a Docker without BuildKit build it (`--network host`:
    a private daemon has no bridge network for the build's RUN steps)."""
    build = docker(
        "build", "--network", "host", "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", "-t", CLASSIC_IMAGE, str(REPO),
        timeout=900,
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )  # fmt: skip
    if build.returncode != 0:
        last = (build.stderr.strip() or build.stdout.strip()).splitlines()[-1:]
        pytest.fail(f"the classic builder (DOCKER_BUILDKIT=0) cannot build the Dockerfile: {last}")
    return CLASSIC_IMAGE
