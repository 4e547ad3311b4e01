"""A run that stops before its reports are written must not leave an earlier run's reports in its output directory:
a later step (a test reporter, an upload) would show that earlier verdict as this run's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPORTS = ("junit.xml", "summary.md", "report.html", "results.json")


def _evalcore(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evalcore.app.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_a_run_that_stops_without_credentials_leaves_no_earlier_report_behind(tmp_path: Path) -> None:
    suite = Path(__file__).resolve().parents[2] / "examples" / "quickstart" / "suite.yml"
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    passed = _evalcore("run", str(suite), "--emulator", "--no-cache", "--out", str(out), env=env)
    assert passed.returncode == 0, passed.stderr
    assert all((out / name).exists() for name in REPORTS)

    no_credentials = {
        **env,
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": "us-east-1",
    }
    stopped = _evalcore("run", str(suite), "--no-cache", "--out", str(out), env=no_credentials)

    assert stopped.returncode == 3, stopped.stderr
    assert [name for name in REPORTS if (out / name).exists()] == []
