"""Run every benchmark of the project, one after the other, each as it is (its own command line, its defaults) under
a time limit; read what each wrote to bench/out/<name>.json; write bench/results.json and the table in
bench/README.md (between the markers, regenerated). Not a test.

    .venv/bin/python bench/run.py                          # everything
    .venv/bin/python bench/run.py direct:latency agents    # some
    .venv/bin/python bench/run.py --table-only             # re-render the table from bench/out/ as it is

A benchmark that fails or runs out of time keeps the figures it wrote before, marked stale with their date: the
table never passes an old figure off as this run's. Ratios are read as each benchmark measured them, in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
RESULTS = HERE / "results.json"
README = HERE / "README.md"
BEGIN, END = "<!-- bench/run.py: begin -->", "<!-- bench/run.py: end -->"


@dataclass(frozen=True)
class Benchmark:
    name: str  # how run.py names it
    script: str
    args: tuple[str, ...]
    out: str  # the file it writes under bench/out/
    timeout_s: float
    section: str | None = None  # the part of the out file this run writes (direct.py keeps one per benchmark)


BENCHMARKS = (
    Benchmark("direct:latency", "direct.py", ("latency",), "direct.json", 300, "latency"),
    Benchmark("direct:throughput", "direct.py", ("throughput",), "direct.json", 300, "throughput"),
    Benchmark("direct:warm", "direct.py", ("warm",), "direct.json", 300, "warm"),
    Benchmark("rag", "rag.py", (), "rag.json", 300),
    Benchmark("agents", "agents.py", (), "agents.json", 600),
    Benchmark("emulator_capacity", "emulator_capacity.py", (), "emulator_capacity.json", 300),
    Benchmark("faults:quota", "faults.py", (), "faults.json", 600, "quota"),
    Benchmark("compare_stats", "compare_stats.py", (), "compare_stats.json", 600),
    Benchmark("container", "container.py", (), "container.json", 600),
    Benchmark("concurrency", "concurrency.py", (), "concurrency.json", 900),
    Benchmark("memory:dataset", "memory.py", (), "memory.json", 1800),
    Benchmark("memory:full", "memory.py", ("--full", "25000,100000,1000000"), "memory_full.json", 3600),
    Benchmark("intervals", "intervals.py", (), "intervals.json", 300),
    Benchmark("direct:memory", "direct.py", ("memory",), "direct.json", 1200, "memory"),  # the longest two last
    Benchmark("scale", "scale.py", (), "scale.json", 1500),
)


@dataclass
class Outcome:
    name: str
    status: str  # "ok" | "failed" | "timed out" | "not run"
    seconds: float | None = None
    detail: str | None = None  # the last line of a failure's output
    figures_from: str | None = None  # when the figures read were written (UTC)
    fresh: bool = False  # the figures were written by this run
    figures: dict[str, Any] = field(default_factory=dict)


def run(bench: Benchmark) -> Outcome:
    started = time.time()
    command = [sys.executable, str(HERE / bench.script), *bench.args]
    print(f"bench/run.py: {bench.name}: {' '.join(command[1:])} (limit {bench.timeout_s:.0f} s)", flush=True)
    # Its own process group: on timeout the benchmark goes with everything it started (emulators, runs).
    proc = subprocess.Popen(
        command, cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = proc.communicate(timeout=bench.timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return Outcome(bench.name, "timed out", round(time.time() - started, 1), f"over {bench.timeout_s:.0f} s")
    seconds = round(time.time() - started, 1)
    if proc.returncode != 0:
        lines = (stderr or stdout).strip().splitlines() or [f"exit code {proc.returncode}"]
        return Outcome(bench.name, "failed", seconds, lines[-1][:300])
    return Outcome(bench.name, "ok", seconds)


def read(bench: Benchmark, outcome: Outcome, since: float) -> None:
    """The benchmark's figures from its out file; fresh when this run wrote them."""
    path = OUT / bench.out
    if not path.exists():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    part = data.get(bench.section) if bench.section else data
    if part is None:
        return
    mtime = path.stat().st_mtime
    outcome.figures_from = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(mtime))
    outcome.fresh = outcome.status == "ok" and mtime >= since
    outcome.figures = part


# ---- the table: one row per claim, figures normalised from each benchmark's own format ----


def _direct_latency(f: dict[str, Any]) -> tuple[str, str]:
    bare = f["bare_boto3_wall_s"] / f["ideal_s"]
    return (
        f"{f['ratio']:.2f}x ideal ({f['wall_s']} s for {f['cases']:,} cases at {f['latency_ms']:.0f} ms, "
        f"ideal {f['ideal_s']} s); a bare boto3 pool: {bare:.2f}x",
        f"<= {f['target_s']} s: {'met' if f['met'] else 'not met'}",
    )


def _rag(f: dict[str, Any]) -> tuple[str, str]:
    return (
        f"{f['ratio']:.2f}x ideal ({f['wall_s']} s for {f['cases']:,} retrieve-and-generate cases, {f['calls']:,} "
        f"calls at {f['latency_ms']:.0f} ms, ideal {f['ideal_s']} s) (load {f['load_average_at_start']})",
        f"<= {f['target_s']} s: {'met' if f['met'] else 'not met'}",
    )


def _direct_throughput(f: dict[str, Any]) -> tuple[str, str]:
    return (
        f"{f['ratio']:.2f}x a bare boto3 loop's calls/s ({f['evalcore']['calls_per_s']} vs "
        f"{f['bare_boto3']['calls_per_s']}); cold cache {f['ratio_cold_cache']:.2f}x; CPU per call "
        f"{f['cpu_per_call_ms']['evalcore']} vs {f['cpu_per_call_ms']['bare_boto3']} ms",
        f">= 0.8x: {'met' if f['met'] else 'not met'}",
    )


def _direct_warm(f: dict[str, Any]) -> tuple[str, str]:
    warm, cold = f["warm"]["wall_s"], f["cold"]["wall_s"]
    return (
        f"{warm} s warm vs {cold} s cold for {f['cases']:,} judged cases ({warm / cold:.2f}x)",
        f"<= 2 s: {'met' if f['met'] else 'not met'}",
    )


def _direct_memory(f: dict[str, Any]) -> tuple[str, str]:
    runs = sorted(f["runs"], key=lambda r: r["cases"])
    peaks = " / ".join(f"{r['peak_rss_mb']:,.0f}" for r in runs)
    cases = " / ".join(f"{r['cases'] // 1000}k" for r in runs)
    until = " / ".join(f"{r['peak_rss_mb_until_last_case']:,.0f}" for r in runs)
    largest = runs[-1]
    return (
        f"peak RSS {peaks} MB at {cases} cases (until the last case's result: {until} MB)",
        f"<= 300 MB at {largest['cases']:,}: {'met' if largest['peak_rss_mb'] <= 300 else 'not met'}",
    )


def _agents(f: dict[str, Any]) -> tuple[str, str]:
    parts = [
        f"{r['latency_ms']:.0f} ms: {r['evalcore_speedup']}x wall ({r['agenteval_seconds']} vs "
        f"{r['evalcore_seconds']} s), {r['evalcore_cpu_ratio']}x CPU, at 45 in flight {r['evalcore_c45_speedup']}x; "
        f"verdicts {'identical' if r['verdicts_identical'] else 'DIFFER'}"
        for r in f["runs"]
    ]
    met = all(r["evalcore_speedup"] >= 10 for r in f["runs"])
    return "; ".join(parts), f">= 10x: {'met' if met else 'not met'}"


def _capacity(f: dict[str, Any]) -> tuple[str, str]:
    held = [c["connections"] for c in f["concurrency_at_latency"] if c["failures"] == 0]
    return (
        f"{f['converse_rps_boto3_clients']} Converse/s to boto3 clients, {f['converse_rps_raw_http_clients']}/s to raw "
        f"HTTP clients, {f['server_cpu_ms_per_converse']} ms server CPU per call; "
        f"{max(held) if held else 0} connections at once without a failure",
        "not the bottleneck of a boto3 benchmark",
    )


def _container(f: dict[str, Any]) -> tuple[str, str]:
    run, bare = f["docker_run_version"]["median_s"], f["docker_run_bare_python"]["median_s"]
    return (
        f"`docker run --version` {run:.2f} s median vs {bare:.2f} s for the base image's bare python "
        f"({run / bare:.2f}x); the process inside {f['version_inside_container']['median_s']} s; "
        f"image adds {f['added_mb']} MB to its base",
        "-",
    )


def _faults_quota(f: dict[str, Any]) -> tuple[str, str]:
    runs = {r["run"]: r for r in f["runs"]}
    parts = [
        f"{name}: {r['errors']} of {r['cases']} cases errored, {r['wall_s']} s, {r['throttled_calls']} of "
        f"{r['converse_calls']} calls throttled"
        for name, r in runs.items()
    ]
    default = runs.get("default-budget")
    met = default is not None and default["errors"] == 0
    return (
        f"{f['cases']} cases x {f['calls_per_case']} calls at {f['rpm']} requests/minute: " + "; ".join(parts),
        f"default budget, no errors: {'met' if met else 'not met'}",
    )


def _concurrency(f: dict[str, Any]) -> tuple[str, str]:
    free, quota = f["unlimited"], f["quota"]
    level = free["concurrency"]
    return (
        f"{free['cases']:,} cases at {f['latency_ms']} ms a call, start {level['start']}: without limits reached "
        f"{level['reached']} of {level['ceiling']} ({free['wall_s']} s, {free['errors']} errors); at {quota['rpm']} "
        f"requests/minute {quota['cases_per_minute']} cases/minute, level reached {quota['concurrency']['reached']}, "
        f"ended {quota['concurrency']['final']}, {quota['retried_calls']} throttled calls retried, "
        f"{quota['errors']} errors (load {f['load_average_at_start']})",
        "quota approached, no errors: "
        + ("met" if quota["errors"] == 0 and quota["cases_per_minute"] >= 0.9 * quota["rpm"] else "not met"),
    )


def _memory_dataset(f: dict[str, Any]) -> tuple[str, str]:
    runs = "; ".join(
        f"run of {r['planned_cases']:,} planned cases (shard {r['shard']}, {r['cases_run']:,} run) "
        f"{r['peak_rss_mb']:.0f} MB"
        for r in f["runs"]
    )
    return (
        f"{f['dataset_mb']} MB dataset ({f['records']:,} records): validate {f['validate']['peak_rss_mb']:.0f} MB; "
        f"{runs} (load {f['load_average_at_start']})",
        f"< 300 MB: {'met' if f['met'] else 'not met'}",
    )


def _memory_full(f: dict[str, Any]) -> tuple[str, str]:
    runs = " / ".join(f"{r['peak_rss_mb']:.0f}" for r in f["runs"])
    sizes = " / ".join(f"{r['cases'] // 1000}k" for r in f["runs"])
    largest = f["largest"]
    measured = largest["cases"] >= 1_000_000
    peak = largest["peak_rss_mb"] if measured else f["projected_1m_mb"]
    slope = f["slope_mb_per_100k_cases"]
    trend = "one size, no slope" if slope is None else f"slope {slope} MB per 100,000 cases"
    if measured:
        million = "measured"
    elif peak is None:
        million = "neither run nor projected (give two sizes)"
    else:
        million = f"projected {peak:.0f} MB (not run: see bench/README.md)"
    verdict = "not shown" if peak is None else "met" if peak < 300 else "not met"
    return (
        f"whole runs in one process: peak RSS {runs} MB at {sizes} cases; {trend}, 1,000,000 {million} "
        f"(load {f['load_average_at_start']})",
        f"< 300 MB at 1,000,000: {verdict}{'' if measured else ' (projected)'}",
    )


def _scale(f: dict[str, Any]) -> tuple[str, str]:
    return (
        f"{f['cases']:,} cases: {f['shards']} shards + merge {f['sharded']['with_merge_wall_s']} s vs one process "
        f"{f['single']['wall_s']} s ({f['speedup']}x on {f['cpus']} CPUs); merge alone {f['merge']['wall_s']} s, "
        f"{f['merge']['peak_rss_mb']} MB; same verdicts: {f['same_verdict_counts_and_means']}",
        "-",
    )


def _compare_stats(f: dict[str, Any]) -> tuple[str, str]:
    rows = f["false_alarms_per_row"]
    comment, cats = f["false_alarms_per_comment"], f["category_effect"]
    power = {(r["kind"], r["items"], r["repeats"]): r["power"] for r in f["power_at_0_05"]}
    mde = " / ".join(f"{r['kind']} {r['items']}: {r['mde']:.3f} ({r['power_at_mde']:.0%})" for r in f["mde_check"])
    worst = max(r["flagged"] for r in rows)
    return (
        f"unchanged system: per row {min(r['flagged'] for r in rows):.1%}-{worst:.1%} flagged, a 30-row comment "
        f"{comment['mean_false_flags']:.2f} false flags, {comment['share_flagging_anything']:.1%} flag anything; "
        f"category effect averaging zero {cats['unclustered']['flagged']:.0%}, clustered "
        f"{cats['cluster_by_category']['flagged']:.1%}; power at +0.05, 200 binary items "
        f"{power[('binary', 200, 1)]:.0%}, with 5 fresh repeats {power[('binary', 200, 5)]:.0%}; "
        f"MDE (power simulated at it) {mde}",
        f"false alarms <= 5% (+2 points of simulation noise): {'met' if worst <= 0.07 and comment['share_flagging_anything'] <= 0.07 else 'not met'}",
    )


def _intervals(f: dict[str, Any]) -> tuple[str, str]:
    rows = f["coverage"]
    parts = [f"{r['scenario']}: {r['after']:.1%} (before {r['before']:.0%})" for r in rows]
    met = all(r["after"] >= 0.93 for r in rows)
    return f"{f['sims']:,} seeded simulations each; " + "; ".join(parts), f">= 93% each: {'met' if met else 'not met'}"


ROWS: dict[str, tuple[str, Callable[[dict[str, Any]], tuple[str, str]]]] = {
    "direct:latency": ("direct-mode wall time vs ideal", _direct_latency),
    "direct:throughput": ("overhead vs bare boto3", _direct_throughput),
    "rag": ("knowledge-base (RAG) section wall time vs ideal", _rag),
    "agents": ("agent tests vs agenteval 0.4.1", _agents),
    "direct:memory": ("memory at 100,000 cases", _direct_memory),
    "direct:warm": ("warm cache", _direct_warm),
    "container": ("container cold start and image size", _container),
    "emulator_capacity": ("emulator capacity", _capacity),
    "faults:quota": ("a per-minute quota (retry budget)", _faults_quota),
    "concurrency": ("adaptive concurrency", _concurrency),
    "memory:dataset": ("memory for a 200 MB dataset, 1,100,313 cases", _memory_dataset),
    "memory:full": ("memory of a whole run in one process", _memory_full),
    "compare_stats": ("PR comparison: false alarms, power, MDE", _compare_stats),
    "scale": ("shards + merge", _scale),
    "intervals": ("coverage of the 95% intervals", _intervals),
}


def table(outcomes: list[Outcome], load: str) -> str:
    lines = [
        f"Generated by `bench/run.py` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} CPUs, load average at the start {load}). A stale figure was not measured by this run.",
        "",
        "| claim | figure | target | this run |",
        "|---|---|---|---|",
    ]
    for outcome in outcomes:
        title, render = ROWS[outcome.name]
        try:
            figure, target = render(outcome.figures) if outcome.figures else ("no figures", "-")
        except (KeyError, TypeError, ZeroDivisionError) as exc:
            figure, target = f"unreadable figures ({type(exc).__name__}: {exc})", "-"
        state = outcome.status if outcome.status != "ok" else f"ok, {outcome.seconds} s"
        if outcome.detail:
            state += f": {outcome.detail}"
        if outcome.figures and not outcome.fresh:
            state += f" (figures stale: not measured by this run; its out file was written {outcome.figures_from})"
        lines.append(f"| {title} | {figure} | {target} | {state.replace('|', '/')} |")
    return "\n".join(lines)


def write_readme(text: str) -> None:
    readme = README.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in readme and END in readme:
        readme = readme[: readme.index(BEGIN)] + block + readme[readme.index(END) + len(END) :]
    else:
        heading = "\n## All benchmarks, one run (`bench/run.py`)\n\n"
        first = readme.index("\n## ") if "\n## " in readme else len(readme)
        readme = readme[:first] + heading + block + "\n" + readme[first:]
    README.write_text(readme, encoding="utf-8")


def write(outcomes: list[Outcome], load: str) -> None:
    RESULTS.write_text(
        json.dumps(
            {
                "generated_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "cpus": os.cpu_count(),
                "load_average_at_start": float(load),
                "benchmarks": [asdict(o) for o in outcomes],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    write_readme(table(outcomes, load))


def _recorded() -> dict[str, tuple[str | None, dict[str, Any]]]:
    """The figures bench/results.json holds now, by benchmark: (when they were measured, figures). bench/out/ lives
    only on the machine that ran a benchmark, so a run of some benchmarks elsewhere keeps the others' figures, stale."""
    if not RESULTS.exists():
        return {}
    data = json.loads(RESULTS.read_text(encoding="utf-8"))
    return {b["name"]: (b.get("figures_from"), b["figures"]) for b in data.get("benchmarks", []) if b.get("figures")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    names = [b.name for b in BENCHMARKS]
    parser.add_argument("only", nargs="*", choices=[*names, []], default=[], help="benchmarks to run (default all)")
    parser.add_argument("--table-only", action="store_true", help="run nothing; render bench/out/ as it is")
    args = parser.parse_args()
    load = f"{os.getloadavg()[0]:.1f}"
    started = time.time()
    outcomes = [Outcome(b.name, "not run") for b in BENCHMARKS]
    recorded = _recorded()
    for bench, outcome in zip(BENCHMARKS, outcomes, strict=True):
        read(bench, outcome, float("inf"))  # the figures there before: stale until a benchmark rewrites them
        if not outcome.figures and bench.name in recorded:  # bench/out is not kept: the committed figures are
            outcome.figures_from, outcome.figures = recorded[bench.name]
    for index, bench in enumerate(BENCHMARKS):
        if args.table_only or (args.only and bench.name not in args.only):
            continue
        outcome = run(bench)
        read(bench, outcome, started)
        print(f"bench/run.py: {bench.name}: {outcome.status} {outcome.detail or ''}".rstrip(), flush=True)
        outcomes[index] = outcome
        write(outcomes, load)  # after each benchmark: an interrupted run keeps what it measured
    write(outcomes, load)
    print(f"bench/run.py: wrote {RESULTS.relative_to(HERE.parent)} and the table in {README.relative_to(HERE.parent)}")
    return 0 if all(o.status in ("ok", "not run") for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
