"""The release's file rewrite (`python -m release.pin`), run on a copy of the repository's action files: the Docker
action then pulls the pushed image by digest and the composite installs exactly the tagged version from PyPI."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
VERSION = re.search(r'__version__ = "(.+)"', (REPO / "evalcore/__init__.py").read_text())[1]  # type: ignore[index]
DIGEST = "sha256:" + "0123456789abcdef" * 4
IMAGE = "ghcr.io/acme/evalcore"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in ("action.yml", "composite/action.yml", "evalcore/__init__.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


def pin(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "release.pin", "--root", str(root), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_pin_points_the_docker_action_at_the_digest_and_the_composite_at_the_version(copy: Path) -> None:
    before = (copy / "composite/action.yml").read_text()

    result = pin(copy, "--tag", f"v{VERSION}", "--image", IMAGE, "--digest", DIGEST)

    assert result.returncode == 0, result.stderr
    action = yaml.safe_load((copy / "action.yml").read_text())
    assert action["runs"] == {"using": "docker", "image": f"docker://{IMAGE}@{DIGEST}"}
    composite = (copy / "composite/action.yml").read_text()
    assert re.findall(r"EVALCORE_PACKAGE: (.+)", composite) == [f"evalcore[emulator]=={VERSION}"]
    # Only the package line changed: the inputs, outputs and steps are the generated ones.
    assert [a for a, b in zip(before.splitlines(), composite.splitlines(), strict=True) if a != b] == [
        line for line in before.splitlines() if "EVALCORE_PACKAGE:" in line
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tag", f"v{VERSION}", "--image", IMAGE, "--digest", "sha256:abc"], "digest"),
        (["--tag", f"v{VERSION}", "--image", IMAGE, "--digest", DIGEST.upper()], "digest"),
        (["--tag", VERSION, "--image", IMAGE, "--digest", DIGEST], "tag"),
        (["--tag", f"v{VERSION}-rc1", "--image", IMAGE, "--digest", DIGEST], "tag"),
        (["--tag", "v99.0.0", "--image", IMAGE, "--digest", DIGEST], "does not match evalcore"),
        (["--tag", f"v{VERSION}", "--image", "ghcr.io/Acme/evalcore", "--digest", DIGEST], "image"),
        (["--tag", f"v{VERSION}", "--image", "docker.io/acme/evalcore", "--digest", DIGEST], "image"),
    ],
)
def test_pin_refuses_a_malformed_digest_tag_or_image_with_one_line(copy: Path, args: list[str], message: str) -> None:
    before = {p: p.read_text() for p in (copy / "action.yml", copy / "composite/action.yml")}

    result = pin(copy, *args)

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert {p: p.read_text() for p in before} == before  # nothing half-written


def test_pin_refuses_an_action_already_pinned(copy: Path) -> None:
    assert pin(copy, "--tag", f"v{VERSION}", "--image", IMAGE, "--digest", DIGEST).returncode == 0

    again = pin(copy, "--tag", f"v{VERSION}", "--image", IMAGE, "--digest", DIGEST)

    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
    assert "image: Dockerfile" in again.stderr
