"""The cost estimate before a run: `evalcore validate` prints it per section, role and model (calls x expected
tokens x price, the judge on its own rows), `evalcore run --dry-run` puts the same rows in its JSON and prints the
table on stderr. A model without a price is "unknown" with a note, never $0. The printed table is a golden file:
regenerate it with `EVALCORE_GOLDEN=update` and read the diff."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUITE = "tests/cost_golden/suite.yml"
GOLDEN = REPO / "tests/cost_golden/estimate.txt"


def evalcore(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evalcore.app.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def _table(text: str) -> str:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("estimated cost"))
    return "\n".join(lines[start:]) + "\n"


def test_validate_prints_the_estimated_cost_per_section_and_model_as_the_golden_file() -> None:
    done = evalcore("validate", SUITE)
    assert done.returncode == 0, done.stderr
    table = _table(done.stdout)
    if os.environ.get("EVALCORE_GOLDEN") == "update":
        GOLDEN.write_text(table, encoding="utf-8")
    assert table == GOLDEN.read_text(encoding="utf-8")


def test_an_unpriced_model_costs_unknown_never_zero() -> None:
    table = _table(evalcore("validate", SUITE).stdout)
    (premier,) = [line for line in table.splitlines() if "us.amazon.nova-premier-v1:0" in line]
    assert " unknown " in premier and "no price" in premier and "0.0000" not in premier
    assert "unknown)" in table.splitlines()[-2]  # the total says a row is unknown


def test_the_dry_run_json_holds_the_same_estimate_and_the_judge_apart() -> None:
    done = evalcore("run", SUITE, "--dry-run")
    assert done.returncode == 0, done.stderr
    estimate = json.loads(done.stdout)["estimated_cost"]
    rows = {(r["section"], r["role"], r["model"]): r for r in estimate["rows"]}
    judge = rows[("qa", "judge", "anthropic.claude-3-5-sonnet-20240620-v1:0")]
    assert judge["calls"] == 24 and judge["usd"] > 0
    assert rows[("qa", "model", "anthropic.claude-3-haiku-20240307-v1:0")]["calls"] == 8
    assert rows[("qa", "model", "us.amazon.nova-premier-v1:0")]["usd"] == "unknown"
    assert rows[("probes", "-", "-")]["usd"] == "unknown"
    assert "characters / 4" in estimate["method"]
    assert _table(done.stderr) == GOLDEN.read_text(encoding="utf-8")
