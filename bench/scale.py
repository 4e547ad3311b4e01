"""Scale-out benchmark: one suite of N cases (deterministic metrics only, zero-latency emulator) run as S local
shard processes (`evalcore run --shard i/S`, all at once) plus `evalcore merge`, against one process running all
N cases; and the merge alone (time and peak RSS). Prints the figures and writes bench/out/scale.json. Not a test.

    .venv/bin/python bench/scale.py                       # 100,000 cases, 8 shards
    .venv/bin/python bench/scale.py --cases 20000 --shards 4

Every process talks to one emulator process (bench/direct.py's), so the machine's cores are shared by the
emulator, the shards and the single run alike: on a machine with fewer cores than shards, shards cannot be faster
than one process; what they buy is spreading a suite over machines (a GitHub Actions matrix), which this
benchmark cannot show on one host.
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

from direct import emulator, suite  # bench/direct.py: the emulator process and the deterministic suite

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "scale.json"
EVALCORE = [sys.executable, "-m", "evalcore.app.cli"]
# Runs a command and prints its peak RSS (kB): the maximum over this wrapper's children, which is that one command.
_PEAK_RSS = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)"
)


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one command."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, *command], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: the gate failed, which a benchmark suite without thresholds cannot
        raise RuntimeError(f"{command[3:5]} exited {done.returncode}: {done.stderr[-2000:]}")
    return wall, int(done.stdout.split()[-1]) / 1024


def run_command(suite_path: Path, out: Path, *extra: str) -> list[str]:
    return [*EVALCORE, "run", str(suite_path), "--out", str(out), "--no-cache", "--quiet", *extra]


def sharded(suite_path: Path, work: Path, shards: int, env: dict[str, str]) -> dict[str, Any]:
    """All shards at once, each in its own process; the wall time until the last one ends."""
    started = time.perf_counter()
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _PEAK_RSS,
                *run_command(suite_path, work / f"shard-{i}", "--shard", f"{i}/{shards}"),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(1, shards + 1)
    ]
    peaks = []
    for child in children:
        stdout, stderr = child.communicate()
        if child.returncode not in (0, 1):
            raise RuntimeError(f"a shard exited {child.returncode}: {stderr[-2000:]}")
        peaks.append(int(stdout.split()[-1]) / 1024)
    return {"wall_s": round(time.perf_counter() - started, 1), "peak_rss_mb_per_shard_max": round(max(peaks), 1)}


def outcome(out: Path) -> tuple[str, list[Any]]:
    """What must not depend on sharding: the verdict and each model's counts and metric means."""
    run = json.loads((out / "results.json").read_text())
    models = [
        (section["name"], m["model"], m["counts"], {k: a["mean"] for k, a in m["metrics"].items()})
        for section in run["sections"]
        for m in section["models"]
    ]
    return run["verdict"]["status"], models


def cases_in(out: Path) -> int:
    with (out / "results.jsonl").open() as fh:
        return sum(1 for _ in fh)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--shards", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="evalcore-scale-") as tmp:
        work = Path(tmp)
        suite_path = suite(work / "suite", args.cases, judged=False)
        with emulator(work, 0, args.cases) as emulated:
            env = {**os.environ, **emulated}
            print(f"scale: {args.cases} cases in {args.shards} shard processes...", flush=True)
            shards = sharded(suite_path, work, args.shards, env)
            print(f"  shards: {shards}", flush=True)
            dirs = [str(work / f"shard-{i}") for i in range(1, args.shards + 1)]
            merge_cmd = [*EVALCORE, "merge", *dirs, "--out", str(work / "merged"), "--suite", str(suite_path)]
            merge_wall, merge_rss = measured(merge_cmd, env)
            merge = {"wall_s": round(merge_wall, 1), "peak_rss_mb": round(merge_rss, 1)}
            print(f"  merge of {args.shards} x {args.cases // args.shards}: {merge}", flush=True)
            print(f"scale: {args.cases} cases in one process...", flush=True)
            single_wall, single_rss = measured(run_command(suite_path, work / "single"), env)
            single = {"wall_s": round(single_wall, 1), "peak_rss_mb": round(single_rss, 1)}
            print(f"  single: {single}", flush=True)
        merged_cases, single_cases = cases_in(work / "merged"), cases_in(work / "single")
        same_verdict = outcome(work / "merged") == outcome(work / "single")
    figures = {
        "cases": args.cases,
        "shards": args.shards,
        "cpus": os.cpu_count(),
        "sharded": {**shards, "with_merge_wall_s": round(shards["wall_s"] + merge["wall_s"], 1)},
        "merge": merge,
        "single": single,
        "speedup": round(single["wall_s"] / (shards["wall_s"] + merge["wall_s"]), 2),
        "merged_cases": merged_cases,
        "single_cases": single_cases,
        "same_verdict_counts_and_means": same_verdict,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
