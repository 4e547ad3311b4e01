"""Adaptive concurrency benchmark: one suite run at evalcore's defaults (start 16, ceiling 64) against two emulator
worlds with every Converse call taking 250 ms: one without limits, where the level should approach the ceiling,
and one with a requests-per-minute quota (the emulator's `throttle` fault with `rpm`), where the run should approach
the quota without errors. Records the levels from results.json (`run.concurrency`), the errors, the calls
retried (each case's attempts) and the cases per minute achieved. Writes bench/out/concurrency.json. Not a test.

    .venv/bin/python bench/concurrency.py                       # 3,000 cases; a quota of 600 requests/minute
    .venv/bin/python bench/concurrency.py --cases 1000 --rpm 300

The emulator's quota is a sliding window of 60 s (it throttles a call when `rpm` calls were let through in the last
60 seconds), so a run against it lasts at least (calls / rpm - 1) minutes whatever the concurrency: what counts is
that it gets its quota's worth of calls through each minute, and that no case errs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from direct import MODEL, suite  # bench/direct.py: the deterministic suite
from direct import world as base_world
from emulator_process import emulator_process  # bench/emulator_process.py

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "concurrency.json"
EVALCORE = [sys.executable, "-m", "evalcore.app.cli"]
LATENCY_MS = 250


def measure(work: Path, name: str, cases: int, faults: list[dict[str, Any]]) -> dict[str, Any]:
    world = base_world(LATENCY_MS, 1000) | {"faults": faults}
    suite_path = suite(work / name, cases, judged=False)
    document = yaml.safe_load(suite_path.read_text())
    document["defaults"].pop("concurrency")  # evalcore's defaults: start 16, ceiling 64
    suite_path.write_text(yaml.safe_dump(document, sort_keys=False))
    out = work / f"out-{name}"
    with emulator_process(world, work / f"world-{name}.yml") as env:
        started = time.perf_counter()
        done = subprocess.run(
            [*EVALCORE, "run", str(suite_path), "--out", str(out), "--no-cache", "--quiet"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{name}: exit {done.returncode}: {done.stderr[-2000:]}")
    run = json.loads((out / "results.json").read_text())
    errors = sum(m["counts"]["error"] for s in run["sections"] for m in s["models"])
    attempts = [json.loads(line).get("attempts", 1) for line in (out / "results.jsonl").open()]
    calls = sum(attempts)
    return {
        "cases": cases,
        "wall_s": round(wall, 1),
        "errors": errors,
        "concurrency": run["run"]["concurrency"],
        "calls": calls,
        "retried_calls": calls - cases,
        "cases_per_minute": round(cases / wall * 60, 1),
        "ideal_at_ceiling_s": round(cases * LATENCY_MS / 1000 / run["run"]["concurrency"]["ceiling"], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--rpm", type=int, default=600)
    args = parser.parse_args()
    figures: dict[str, Any] = {"latency_ms": LATENCY_MS, "load_average_at_start": round(os.getloadavg()[0], 1)}
    with tempfile.TemporaryDirectory(prefix="evalcore-concurrency-") as tmp:
        work = Path(tmp)
        figures["unlimited"] = measure(work, "unlimited", args.cases, [])
        print(f"concurrency: without limits: {figures['unlimited']}", flush=True)
        quota = [{"kind": "throttle", "operation": "Converse", "target": MODEL, "rpm": args.rpm}]
        figures["quota"] = {"rpm": args.rpm, **measure(work, "quota", args.cases, quota)}
        print(f"concurrency: {args.rpm} requests/minute: {figures['quota']}", flush=True)
    figures["load_average_at_end"] = round(os.getloadavg()[0], 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
