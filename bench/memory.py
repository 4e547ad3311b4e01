"""Memory benchmark for large datasets: peak RSS of `evalcore validate` on a 200 MB dataset (366,771 records, the
size issue 23 measured at 1.09 GB), and of `evalcore run --shard` against the emulator with that dataset planned
whole (366,771 cases) and three times over (1,100,313 cases). A shard plans every case and runs its slice, so the
figures cover reading, checking, planning and slicing every case, and running and reporting the slice. Prints the
figures and writes bench/out/memory.json. Not a test.

    .venv/bin/python bench/memory.py                           # 366,771 records (200 MB)
    .venv/bin/python bench/memory.py --records 50000           # a quicker look
    .venv/bin/python bench/memory.py --full 25000,50000,100000  # whole runs in one process (no shard)
    .venv/bin/python bench/memory.py --full 1000000             # a million (27 minutes at load 2-10 on 2 CPUs)

`--full` runs every case of suites of those sizes in ONE process against the emulator (no model latency, cache
off), and prints each peak RSS and the slope of peak RSS against cases (least squares, MB per 100,000 cases), to
bench/out/memory_full.json (row `memory:full` of bench/run.py), with the load average as each run started. Each
run's dataset is written just before it and removed after it (a million records take about 550 MB of disk).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from direct import JUDGE, MODEL, emulator  # bench/direct.py: the emulator process
from scale import EVALCORE, measured  # bench/scale.py: a command's wall time and peak RSS

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "memory.json"
OUT_FULL = HERE / "out" / "memory_full.json"
FILLER = "Context: " + "the quick brown fox jumps over the lazy dog; " * 11  # about 510 bytes a record in all


def write_data(folder: Path, records: int) -> Path:
    """`records` records of about 545 bytes each."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "data.jsonl"
    with path.open("w") as fh:
        for i in range(records):
            record = {"prompt": f"What is the code of item {i}?", "context": FILLER, "referenceResponse": f"K{i}"}
            fh.write(json.dumps(record) + "\n")
    return path


def write_suite(folder: Path, repeats: int) -> Path:
    """A suite over data.jsonl, each record asked `repeats` times, deterministic metrics."""
    document = {
        "version": 1,
        "name": "memory",
        "defaults": {"judge": JUDGE, "inference": {"max_tokens": 64, "temperature": 0.0}, "repeats": repeats},
        "models": {"m": MODEL},
        "evaluations": [
            {"name": "qa", "dataset": "data.jsonl", "models": ["m"], "metrics": ["token_f1", "exact_match"]}
        ],
    }
    path = folder / f"suite-{repeats}.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=366_771)
    parser.add_argument("--full", help="comma-separated case counts: whole runs in one process (see above)")
    args = parser.parse_args()
    if args.full:
        return full([int(n) for n in args.full.split(",")])
    figures: dict[str, Any] = {"records": args.records, "load_average_at_start": round(os.getloadavg()[0], 1)}
    with tempfile.TemporaryDirectory(prefix="evalcore-memory-") as tmp:
        work = Path(tmp)
        data = write_data(work, args.records)
        once, thrice = write_suite(work, 1), write_suite(work, 3)
        figures["dataset_mb"] = round(data.stat().st_size / 1024**2, 1)
        env = dict(os.environ)
        wall, peak = measured([*EVALCORE, "validate", str(once)], env)
        figures["validate"] = {"wall_s": round(wall, 1), "peak_rss_mb": round(peak, 1)}
        print(f"memory: validate {figures['dataset_mb']} MB: {figures['validate']}", flush=True)
        runs = []
        with emulator(work, 0, 1000) as emulated:
            env = {**os.environ, **emulated}
            for suite, shards in ((once, 40), (thrice, 250)):
                cases = args.records * (3 if suite is thrice else 1)
                command = [*EVALCORE, "run", str(suite), "--out", str(work / f"out-{shards}"), "--no-cache", "--quiet"]
                started = time.perf_counter()
                wall, peak = measured([*command, "--shard", f"1/{shards}"], env)
                ran = sum(1 for _ in (work / f"out-{shards}" / "results.jsonl").open())
                run = {"planned_cases": cases, "shard": f"1/{shards}", "cases_run": ran, "wall_s": round(wall, 1),
                       "peak_rss_mb": round(peak, 1)}  # fmt: skip
                runs.append(run)
                print(f"memory: run {run} ({time.perf_counter() - started:.0f} s)", flush=True)
        figures["runs"] = runs
    figures["met"] = max([figures["validate"]["peak_rss_mb"], *(r["peak_rss_mb"] for r in runs)]) < 300
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


def full(sizes: list[int]) -> int:
    """Whole runs of `sizes` cases, each in one process; peak RSS of each and its slope against the cases."""
    figures: dict[str, Any] = {"load_average_at_start": round(os.getloadavg()[0], 1), "runs": []}
    with tempfile.TemporaryDirectory(prefix="evalcore-memory-full-") as tmp, emulator(Path(tmp), 0, 1000) as emulated:
        env = {**os.environ, **emulated}
        for cases in sizes:
            work = Path(tmp) / str(cases)
            write_data(work, cases)
            out = work / "out"
            load = round(os.getloadavg()[0], 1)
            wall, peak = measured([*EVALCORE, "run", str(write_suite(work, 1)), "--out", str(out), "--no-cache",
                                   "--quiet"], env)  # fmt: skip
            ran = sum(1 for _ in (out / "results.jsonl").open())
            shutil.rmtree(work)
            run = {"cases": cases, "cases_run": ran, "wall_s": round(wall, 1), "peak_rss_mb": round(peak, 1),
                   "load_average_at_start": load}  # fmt: skip
            figures["runs"].append(run)
            print(f"memory: full run {run}", flush=True)
    xs, ys = [r["cases"] for r in figures["runs"]], [r["peak_rss_mb"] for r in figures["runs"]]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    # A slope needs two sizes: with one there is none (None), never a made-up 0.
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread if spread else None
    figures["slope_mb_per_100k_cases"] = None if slope is None else round(slope * 100_000, 1)
    figures["intercept_mb"] = None if slope is None else round(mean_y - slope * mean_x, 1)
    figures["projected_1m_mb"] = None if slope is None else round(mean_y + slope * (1_000_000 - mean_x), 1)
    figures["largest"] = max(figures["runs"], key=lambda r: r["cases"])
    trend = (
        "one size: no slope"
        if slope is None
        else f"slope {figures['slope_mb_per_100k_cases']} MB per 100,000 cases; 1,000,000 projected "
        f"{figures['projected_1m_mb']} MB"
    )
    largest = figures["largest"]
    print(f"memory: largest whole run {largest['cases']:,} cases: {largest['peak_rss_mb']} MB; {trend}", flush=True)
    OUT_FULL.parent.mkdir(parents=True, exist_ok=True)
    OUT_FULL.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
