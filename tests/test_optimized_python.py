"""`python -O` strips assert statements: the product must not rely on them. A small suite run end to end as the
`evalcore` command on the emulator, with and without -O, comes to the same verdict and the same case statuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from evalcore_emulator import Emulator
from tests.direct_suite import results, write_suite


def _run(emulator: Emulator, suite: Path, out: Path, *python_flags: str) -> tuple[int, dict[str, object]]:
    env = {**os.environ, **emulator.env(), "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, *python_flags, "-m", "evalcore.app.cli", "run", str(suite), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads((out / "results.json").read_text())


def test_a_suite_run_under_python_O_gets_the_same_verdict(emulator: Emulator, tmp_path: Path) -> None:
    suite = write_suite(
        tmp_path,
        metrics=["token_f1", {"contains": "{{referenceResponse}}"}, "Builtin.Correctness"],
        thresholds={"token_f1": {"min": 0.5}},
        rows=None,
    )
    code, plain = _run(emulator, suite, tmp_path / "plain")
    code_o, optimized = _run(emulator, suite, tmp_path / "optimized", "-O")
    assert code == code_o
    assert plain["verdict"] == optimized["verdict"]
    cases, cases_o = results(tmp_path / "plain"), results(tmp_path / "optimized")
    assert cases, "the suite ran no case"
    assert {k: (c.status, [(m.name, m.value) for m in c.metrics]) for k, c in cases.items()} == {
        k: (c.status, [(m.name, m.value) for m in c.metrics]) for k, c in cases_o.items()
    }
