"""Benchmarks of direct evaluations against the emulator, run in a separate process so that its work does not
share evalcore's interpreter. Prints the figures and writes them to bench/out/direct.json. Not a test.

    .venv/bin/python bench/direct.py            # all four
    .venv/bin/python bench/direct.py latency warm --cases 500

1. latency:    N cases x (1 model call + 1 judge call), 100 ms emulator latency, concurrency 32: wall time against
               the ideal (calls x latency / concurrency). Target: <= 1.2 x ideal + 1 s.
2. throughput: zero latency: evalcore's calls per second against a bare boto3 thread pool making the same Converse
               calls on the same emulator. Target: >= 0.8 x.
3. memory:     25k / 50k / 100k cases with deterministic metrics only: peak RSS of the `evalcore run` process.
               Target: <= 300 MB, flat as cases grow.
4. warm:       a warm-cache re-run of N cases. Target: <= 2 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from emulator_process import emulator_process

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "direct.json"
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
JUDGE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
CONCURRENCY = 32


def world(latency_ms: float, questions: int) -> dict[str, Any]:
    return {
        "seed": 7,
        "answers": {
            f"What is the code of item {i}?": f"The code of item {i} is K{i * 7919 % 10007}." for i in range(questions)
        },
        "models": {
            MODEL: {"quality": 0.8, "latency_ms": latency_ms},
            JUDGE: {"quality": 0.95, "latency_ms": latency_ms},
        },
    }


@contextlib.contextmanager
def emulator(folder: Path, latency_ms: float, questions: int) -> Iterator[dict[str, str]]:
    """`evalcore emulator` in its own process; yields the environment that points boto3 at it."""
    with emulator_process(world(latency_ms, questions), folder / f"world-{latency_ms:g}.yml") as env:
        yield env


def suite(folder: Path, cases: int, judged: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "data.jsonl").open("w") as fh:
        for i in range(cases):
            prompt = f"What is the code of item {i}?"
            fh.write(
                json.dumps({"prompt": prompt, "referenceResponse": f"The code of item {i} is K{i * 7919 % 10007}."})
                + "\n"
            )
    metrics: list[Any] = ["token_f1", "exact_match", {"contains": "{{referenceResponse}}"}]
    if judged:
        metrics = ["token_f1", "Builtin.Correctness"]
    document = {
        "version": 1,
        "name": "bench",
        "defaults": {"concurrency": CONCURRENCY, "judge": JUDGE, "inference": {"max_tokens": 128, "temperature": 0.0}},
        "models": {"m": MODEL},
        "evaluations": [{"name": "qa", "dataset": "data.jsonl", "models": ["m"], "metrics": metrics}],
    }
    path = folder / "suite.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@dataclass
class Timing:
    wall_s: float  # the whole command: load, plan, run, aggregate, reports
    cases_s: float  # from the start of the run to the last case's result
    cpu_s: float  # this process's CPU time (all threads) over the command


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_evalcore(env: dict[str, str], suite_path: Path, out: Path, cache: Path | None) -> Timing:
    """`evalcore run` in this process (imports already warm)."""
    from evalcore.app.orchestrate import RunOptions, run_suite

    os.environ.update(env)
    options = RunOptions(suite=suite_path, out=out, cache_dir=cache, progress=False, log=lambda line: None)
    started, cpu_started, epoch = time.perf_counter(), cpu(), time.time()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):  # the console summary
        outcome = run_suite(options)
    wall, cpu_used = time.perf_counter() - started, cpu() - cpu_started
    assert outcome.run is not None and all(m.counts.error == 0 for s in outcome.run.sections for m in s.models)
    last = max(json.loads(line)["finished_at"] for line in (out / "results.jsonl").read_text().splitlines())
    return Timing(round(wall, 2), round(last - epoch, 2), round(cpu_used, 2))


def bench_latency(work: Path, cases: int) -> dict[str, Any]:
    latency = 0.1
    with emulator(work, latency * 1000, cases) as env:
        timing = run_evalcore(env, suite(work / "latency", cases, judged=True), work / "latency-out", None)
        pairs = list(zip(*[iter(same_requests(work / "latency-out"))] * 2, strict=True))
        bare, _ = bare_boto3(env, pairs)
    calls = 2 * cases
    ideal = calls * latency / CONCURRENCY
    return {
        "cases": cases,
        "calls": calls,
        "latency_ms": latency * 1000,
        "concurrency": CONCURRENCY,
        **asdict(timing),
        "bare_boto3_wall_s": round(bare, 2),
        "ideal_s": round(ideal, 2),
        "ratio": round(timing.wall_s / ideal, 3),
        "target_s": round(1.2 * ideal + 1, 2),
        "met": timing.wall_s <= 1.2 * ideal + 1,
    }


def same_requests(out: Path) -> list[dict[str, Any]]:
    """The Converse calls a run made: each case's model call, then the judge call on the model's answer."""
    from evalcore.metrics.judge import Exchange, judge_request
    from evalcore.metrics.judge_prompts import BUILTIN

    requests = []
    for line in (out / "results.jsonl").read_text().splitlines():
        case = json.loads(line)
        requests.append(
            {
                "modelId": MODEL,
                "messages": [{"role": "user", "content": [{"text": case["prompt"]}]}],
                "inferenceConfig": {"maxTokens": 128, "temperature": 0.0},
            }
        )
        exchange = Exchange(case["prompt"], case["output"], case.get("reference"), {}, case.get("repeat", 0))
        requests.append(judge_request(BUILTIN["Builtin.Correctness"], exchange, JUDGE))
    return requests


def bare_boto3(env: dict[str, str], tasks: list[tuple[dict[str, Any], ...]]) -> tuple[float, float]:
    """(wall, CPU) seconds for a plain thread pool with one shared boto3 client to make each task's calls in turn."""
    import boto3
    from botocore.config import Config

    session = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_REGION"],
    )
    client = session.client(
        "bedrock-runtime",
        endpoint_url=env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"],
        config=Config(max_pool_connections=CONCURRENCY, retries={"total_max_attempts": 1}),
    )

    def task(requests: tuple[dict[str, Any], ...]) -> None:
        for request in requests:
            client.converse(**request)

    started, cpu_started = time.perf_counter(), cpu()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for _ in pool.map(task, tasks):
            pass
    return time.perf_counter() - started, cpu() - cpu_started


def bench_throughput(work: Path, cases: int) -> dict[str, Any]:
    suite_path = suite(work / "throughput", cases, judged=True)
    with emulator(work, 0, cases) as env:
        run_evalcore(env, suite_path, work / "warmup-out", None)  # warm the emulator and both sides' imports
        no_cache = run_evalcore(env, suite_path, work / "throughput-out", None)
        with_cache = run_evalcore(env, suite_path, work / "throughput-cached-out", work / "throughput-cache")
        requests = same_requests(work / "throughput-out")
        bare, bare_cpu = bare_boto3(env, [(r,) for r in requests])
    calls = len(requests)
    return {
        "cases": cases,
        "calls": calls,
        "bare_boto3": {"wall_s": round(bare, 2), "cpu_s": round(bare_cpu, 2), "calls_per_s": round(calls / bare, 1)},
        "evalcore": {**asdict(no_cache), "calls_per_s": round(calls / no_cache.wall_s, 1)},
        "evalcore_cold_cache": {**asdict(with_cache), "calls_per_s": round(calls / with_cache.wall_s, 1)},
        "ratio": round(bare / no_cache.wall_s, 3),
        "ratio_cases_phase": round(bare / no_cache.cases_s, 3),
        "ratio_cold_cache": round(bare / with_cache.wall_s, 3),
        "cpu_per_call_ms": {
            "bare_boto3": round(1000 * bare_cpu / calls, 2),
            "evalcore": round(1000 * no_cache.cpu_s / calls, 2),
        },
        "met": bare / no_cache.wall_s >= 0.8,
    }


_RSS_CHILD = """
import json, os, resource, sys, threading, time, contextlib
from pathlib import Path
from evalcore.app.orchestrate import RunOptions, run_suite

samples = []
stop = threading.Event()

def sample():
    while not stop.wait(0.05):
        with open("/proc/self/status") as fh:
            kb = next(int(l.split()[1]) for l in fh if l.startswith("VmRSS"))
        samples.append((time.time(), kb))

threading.Thread(target=sample, daemon=True).start()
with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
    outcome = run_suite(RunOptions(suite=Path(sys.argv[1]), out=Path(sys.argv[2]), progress=False, log=lambda l: None))
stop.set()
assert outcome.run is not None
with open(Path(sys.argv[2]) / "results.jsonl") as fh:
    last = max(json.loads(line)["finished_at"] for line in fh)
during = max((kb for t, kb in samples if t <= last), default=0)
print(json.dumps({"peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "cases_phase_peak_kb": during}))
"""


def bench_memory(work: Path, sizes: list[int]) -> dict[str, Any]:
    rows = []
    with emulator(work, 0, 0) as env:
        for size in sizes:
            suite_path = suite(work / f"memory-{size}", size, judged=False)
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", _RSS_CHILD, str(suite_path), str(work / f"memory-{size}-out")],
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                check=True,
            )
            elapsed = time.perf_counter() - started
            measured = json.loads(done.stdout.splitlines()[-1])
            rows.append(
                {
                    "cases": size,
                    "peak_rss_mb": round(measured["peak_kb"] / 1024, 1),
                    "peak_rss_mb_until_last_case": round(measured["cases_phase_peak_kb"] / 1024, 1),
                    "wall_s": round(elapsed, 1),
                }
            )
            print(f"  memory: {rows[-1]}", flush=True)
    peak = max(r["peak_rss_mb"] for r in rows)
    return {"runs": rows, "met": peak <= 300}


def bench_warm(work: Path, cases: int) -> dict[str, Any]:
    suite_path = suite(work / "warm", cases, judged=True)
    with emulator(work, 0, cases) as env:
        cold = run_evalcore(env, suite_path, work / "warm-cold-out", work / "warm-cache")
        warm = run_evalcore(env, suite_path, work / "warm-out", work / "warm-cache")
    return {"cases": cases, "cold": asdict(cold), "warm": asdict(warm), "met": warm.wall_s <= 2.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", choices=["latency", "throughput", "memory", "warm", []], default=[])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--memory-sizes", default="25000,50000,100000")
    args = parser.parse_args()
    chosen = args.only or ["latency", "throughput", "memory", "warm"]
    figures: dict[str, Any] = json.loads(OUT.read_text()) if OUT.exists() else {}
    with tempfile.TemporaryDirectory(prefix="evalcore-bench-") as tmp:
        work = Path(tmp)
        for name in chosen:
            print(f"{name}...", flush=True)
            if name == "latency":
                figures[name] = bench_latency(work, args.cases)
            elif name == "throughput":
                figures[name] = bench_throughput(work, args.cases)
            elif name == "memory":
                figures[name] = bench_memory(work, [int(s) for s in args.memory_sizes.split(",")])
            else:
                figures[name] = bench_warm(work, args.cases)
            print(json.dumps(figures[name], indent=2), flush=True)
    figures["machine"] = {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
