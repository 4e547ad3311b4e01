"""Fault benchmark: a judged direct run under a per-minute request quota. Prints the figures and writes them to
bench/out/faults.json. Not a test.

    .venv/bin/python bench/faults.py                       # the quota scenario, budgets 16 s and the default
    .venv/bin/python bench/faults.py --before ../main      # also an older checkout of evalcore, as it was

Quota: 60 cases x (a model call + a judge call) = 120 Converse calls against an emulator that throttles every call
past 60 let through in the last 60 seconds (the world's `rpm: 60` throttle fault, docs/emulator.md), as a Bedrock
account's requests-per-minute quota would. Half the calls must wait for the window to move on, up to a minute.
Each run gets a fresh emulator process (a fresh window). Runs: `--retry-budget 16` (about the 16 s of backoff the
former fixed 8 attempts allowed), the default budget (300 s), and with `--before DIR` that checkout's `evalcore run`
(its own retry rule). Figures: errored cases, wall time, Converse calls and how many were throttled (the
emulator's request log).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from emulator_process import emulator_process

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "faults.json"
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
JUDGE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
CASES = 60
RPM = 60


def world(cases: int, rpm: int) -> dict[str, Any]:
    from evalcore_emulator.world import load_world

    data = load_world().model_dump(mode="json", exclude_defaults=True)
    data["answers"] = {**data.get("answers", {}), **{f"What is {i} + {i}?": str(2 * i) for i in range(cases)}}
    data["faults"] = [{"kind": "throttle", "operation": "Converse", "rpm": rpm}]
    return data


@contextlib.contextmanager
def emulator(folder: Path, cases: int, rpm: int) -> Iterator[tuple[dict[str, str], Path]]:
    """`evalcore emulator` in its own process; yields the environment pointing boto3 at it and its request log."""
    log = folder / "requests.jsonl"
    with emulator_process(world(cases, rpm), folder / "world.yml", log) as env:
        yield env, log


def suite(folder: Path, cases: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [json.dumps({"prompt": f"What is {i} + {i}?", "referenceResponse": str(2 * i)}) for i in range(cases)]
    (folder / "data.jsonl").write_text("\n".join(rows) + "\n")
    document = {
        "version": 1,
        "name": "bench-quota",
        "defaults": {"judge": JUDGE},
        "models": {"haiku": MODEL},
        "evaluations": [
            {"name": "qa", "dataset": "data.jsonl", "models": ["haiku"], "metrics": ["Builtin.Correctness"]}
        ],
    }
    path = folder / "suite.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def run(work: Path, name: str, args: list[str], pythonpath: str | None, cases: int, rpm: int) -> dict[str, Any]:
    folder = work / name
    folder.mkdir(parents=True)
    suite_path = suite(folder, cases)
    with emulator(folder, cases, rpm) as (env, log):
        environ = {**os.environ, **env}
        if pythonpath is not None:
            environ["PYTHONPATH"] = pythonpath
        command = [sys.executable, "-m", "evalcore.app.cli", "run", str(suite_path), "--out", str(folder / "out")]
        started = time.perf_counter()
        proc = subprocess.run(
            [*command, "--no-cache", "--quiet", *args], env=environ, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - started
    results = [json.loads(line) for line in (folder / "out" / "results.jsonl").read_text().splitlines()]
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    reasons = sorted({r.get("reason", "")[:160] for r in results if r["status"] == "error"})
    return {
        "run": name,
        "args": args,
        "exit_code": proc.returncode,
        "cases": len(results),
        "errors": sum(r["status"] == "error" for r in results),
        "wall_s": round(wall, 1),
        "converse_calls": len(calls),
        "throttled_calls": sum(c.get("fault") == "throttle" for c in calls),
        "error_reasons": reasons[:3],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=CASES)
    parser.add_argument("--rpm", type=int, default=RPM)
    parser.add_argument("--before", type=Path, help="an older evalcore checkout to run too (PYTHONPATH)")
    args = parser.parse_args()
    plans: list[tuple[str, list[str], str | None]] = [
        ("budget-16s", ["--retry-budget", "16"], None),
        ("default-budget", [], None),
    ]
    if args.before is not None:
        plans.insert(0, ("before", [], str(args.before.resolve())))
    runs = []
    with tempfile.TemporaryDirectory(prefix="evalcore-bench-faults-") as tmp:
        for name, extra, pythonpath in plans:
            print(f"{name}...", flush=True)
            runs.append(run(Path(tmp), name, extra, pythonpath, args.cases, args.rpm))
            print(json.dumps(runs[-1], indent=2), flush=True)
    figures = {
        "quota": {"cases": args.cases, "calls_per_case": 2, "rpm": args.rpm, "runs": runs},
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        },
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
