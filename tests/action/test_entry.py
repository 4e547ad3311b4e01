"""One entry point, two doors: arguments go to the evalcore command, a GitHub Actions step goes to the adapter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from evalcore import __version__
from tests.action.conftest import REPO


def _entry(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    return subprocess.run(
        [sys.executable, "-m", "entrypoint", *args],
        env={**clean, **env, "PYTHONPATH": str(REPO)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_arguments_run_the_evalcore_command(tmp_path: Path) -> None:
    version = _entry(["--version"], {"GITHUB_ACTIONS": "true"}, tmp_path)
    validate = _entry(["validate", str(REPO / "examples" / "quickstart" / "suite.yml")], {}, tmp_path)

    assert (version.returncode, version.stdout.strip()) == (0, f"evalcore {__version__}")
    assert validate.returncode == 0 and "is valid" in validate.stdout


def test_no_arguments_outside_a_step_shows_the_commands_help(tmp_path: Path) -> None:
    result = _entry([], {}, tmp_path)

    assert result.returncode == 2
    assert result.stdout.startswith("usage: evalcore")


def test_no_arguments_in_a_step_is_the_action(tmp_path: Path) -> None:
    result = _entry([], {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path)}, tmp_path)

    assert result.returncode == 2
    assert result.stdout.startswith("::error title=evalcore%3A invalid input::input 'suite': required")
