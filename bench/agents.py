"""Agent tests: evalcore against agenteval 0.4.1 (PyPI `agent-evaluation`) on the same plan and the same emulator.
Prints the figures and writes bench/out/agents.json. Not a test.

    .venv/bin/python bench/agents.py                 # 45 tests x 3 steps, at 0 and 100 ms
    .venv/bin/python bench/agents.py --tests 10 --latency 0

The plan: TESTS tests of three steps each against the emulator's claims agent (one in three expects a result the
agent never gives, so verdicts are mixed), run as it is by `agenteval run` (its own venv, its defaults: one thread
per test up to 45) and by `evalcore run` on a suite whose section is `plan: agenteval.yml` (its defaults:
concurrency 16, a cold response cache), and once more by evalcore at agenteval's parallelism (`--concurrency 45`).
Both run as commands, start-up included, against one emulator process whose every call is delayed by the latency
given (a `latency` fault on all operations). Wall seconds and the CPU seconds each command used are reported (the
CPU figure does not move with the machine's load). Target: evalcore >= 10x faster, with identical verdicts.

    .venv/bin/python bench/agents.py --agentcore     # evalcore only: the same tests on the Bedrock agent and on
                                                     # the AgentCore Runtime that runs its dialog (JSON and SSE)

agenteval has no AgentCore target, so the AgentCore row compares evalcore with itself: the plan's tests as a native
section on the `bedrock-agent` target and on the `agentcore-runtime` target (the emulator's claims runtime), with
the verdicts of the two compared. One more run calls the tools of the emulator's MCP server on AgentCore Runtime
(`agentcore-mcp`, no evaluator): as many `tool:` tests, one MCP session (3 InvokeAgentRuntime calls) each, one in
three expecting a status the claim has not, so its verdicts have the plan's pattern and are compared too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from emulator_process import emulator_process

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "agents.json"
AGENTEVAL_VENV = Path.home() / ".cache" / "evalcore-test-venvs" / "agenteval"
_VERDICT = re.compile(r"^- \[(🟢|🔴) (\S+)\]", re.MULTILINE)


def agenteval_command() -> Path:
    """The `agenteval` executable in its own venv, installed on first use (as tests/emulator does)."""
    executable = AGENTEVAL_VENV / "bin" / "agenteval"
    if not executable.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(AGENTEVAL_VENV)], check=True)
        pip = [str(AGENTEVAL_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "agent-evaluation==0.4.1"], check=True)
    return executable


def plan(tests: int) -> dict[str, Any]:
    cases = {}
    for n in range(tests):
        claim = f"claim-{100 + n:03d}"
        expected = (
            "The agent says the claims were approved and paid."
            if n % 3 == 2
            else f"The agent returns the missing documents for {claim}."
        )
        cases[f"test_{n:02d}"] = {
            "steps": [
                f"Ask agent for a list of missing documents for {claim}.",
                "Ask agent for the status of the open claims.",
                "Ask agent how to file a claim.",
            ],
            "expected_results": [expected],
            "max_turns": 3,
        }
    return {
        "evaluator": {"model": "claude-3"},
        "target": {"type": "bedrock-agent", "bedrock_agent_id": "CLAIMAGENT", "bedrock_agent_alias_id": "TSTALIASID"},
        "tests": cases,
    }


@contextlib.contextmanager
def emulator(folder: Path, latency_ms: float) -> Iterator[dict[str, str]]:
    """`evalcore emulator` in its own process with the default world, every call delayed by `latency_ms`."""
    from evalcore_emulator import load_world

    world = load_world().model_dump(mode="json", exclude_defaults=True)
    if latency_ms:
        world["faults"] = [{"kind": "latency", "operation": "*", "latency_ms": latency_ms}]
    with emulator_process(world, folder / f"world-{latency_ms:g}.yml") as env:
        yield env


def timed(
    command: list[str], folder: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run `command`: (its outcome, wall seconds, CPU seconds of the command)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env={**os.environ, **env}, capture_output=True, text=True, timeout=3600)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return done, elapsed, cpu


def run_suite(folder: Path, env: dict[str, str], options: Sequence[str]) -> tuple[float, float, dict[str, str]]:
    """`evalcore run` of folder/suite.yml: its wall and CPU seconds and each test's status by its source."""
    command = [sys.executable, "-m", "evalcore.app.cli", "run", "suite.yml", "--out", "out", "--cache-dir", "cache"]
    done, elapsed, cpu = timed([*command, "--quiet", *options], folder, env)
    results = folder / "out" / "results.jsonl"
    if not results.exists():
        raise RuntimeError(f"evalcore wrote no results (exit {done.returncode}):\n{done.stderr[-2000:]}")
    verdicts = {}
    for line in results.read_text().splitlines():
        case = json.loads(line)
        verdicts[case["source"]] = case["status"]
    return elapsed, cpu, verdicts


def run_agenteval(folder: Path, env: dict[str, str]) -> tuple[float, float, dict[str, str]]:
    done, elapsed, cpu = timed([str(agenteval_command()), "run"], folder, env)
    summary = folder / "agenteval_summary.md"
    if not summary.exists():
        raise RuntimeError(f"agenteval wrote no summary (exit {done.returncode}):\n{done.stderr[-2000:]}")
    verdicts = {name: "pass" if icon == "🟢" else "fail" for icon, name in _VERDICT.findall(summary.read_text())}
    return elapsed, cpu, verdicts


def run_evalcore(folder: Path, env: dict[str, str], *options: str) -> tuple[float, float, dict[str, str]]:
    suite = {"version": 1, "name": "bench-agents", "agents": [{"name": "plan", "plan": "agenteval.yml"}]}
    (folder / "suite.yml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return run_suite(folder, env, options)


MCP_TARGET = {
    "type": "agentcore-mcp",
    "agent_runtime_arn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/claims_tools-Mc0123abcd",
}


AGENTCORE_TARGETS = {
    "evalcore_agent": plan(0)["target"],
    "evalcore_agentcore": {
        "type": "agentcore-runtime",
        "agent_runtime_arn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/claims_agent-Rt0123abcd",
    },
    "evalcore_agentcore_sse": {
        "type": "agentcore-runtime",
        "agent_runtime_arn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/claims_agent-Rt0123abcd",
        "stream": True,
    },
    "evalcore_agentcore_mcp": MCP_TARGET,
}


def mcp_tool_tests(tests: int) -> dict[str, Any]:
    """`tool:` tests of the emulator's get_claim_status: an open claim, an unknown one (an error, expected), and
    every third a closed claim expected open (a fail), as the plan's every third test fails."""
    cases: dict[str, Any] = {}
    for n in range(tests):
        if n % 3 == 1:
            tool = {"name": "get_claim_status", "arguments": {"claimId": f"claim-{900 + n}"}, "expect_error": True}
        else:
            claim = "claim-006" if n % 3 == 0 else "claim-001"
            tool = {
                "name": "get_claim_status",
                "arguments": {"claimId": claim},
                "checks": [{"contains": claim}],
                "expected": {"$.structuredContent.status": "open"},
            }
        cases[f"test_{n:02d}"] = {"tool": tool}
    return cases


def native_section(target: dict[str, Any], tests: int) -> dict[str, Any]:
    if target["type"] == "agentcore-mcp":
        return {"name": "native", "target": target, "tests": mcp_tool_tests(tests)}
    return {"name": "native", "evaluator": {"model": "claude-3"}, "target": target, "tests": plan(tests)["tests"]}


def run_evalcore_native(
    folder: Path, env: dict[str, str], target: dict[str, Any], tests: int
) -> tuple[float, float, dict[str, str]]:
    section = native_section(target, tests)
    (folder / "suite.yml").write_text(yaml.safe_dump({"version": 1, "name": "bench-agentcore", "agents": [section]}))
    return run_suite(folder, env, ())


def bench_agentcore(work: Path, tests: int, latency_ms: float) -> dict[str, Any]:
    figures: dict[str, Any] = {"latency_ms": latency_ms, "tests": tests, "steps": 3}
    verdicts = {}
    with emulator(work, latency_ms) as env:
        for tool, target in AGENTCORE_TARGETS.items():
            folder = work / f"{tool}-{latency_ms:g}"
            folder.mkdir()
            seconds, cpu, verdicts[tool] = run_evalcore_native(folder, env, target, tests)
            figures[f"{tool}_seconds"] = round(seconds, 2)
            figures[f"{tool}_cpu_seconds"] = round(cpu, 2)
    figures["load_average"] = round(os.getloadavg()[0], 1)
    figures["passed"] = {tool: sum(v == "pass" for v in found.values()) for tool, found in verdicts.items()}
    figures["verdicts_identical"] = len({json.dumps(v, sort_keys=True) for v in verdicts.values()}) == 1
    return figures


def bench(work: Path, tests: int, latency_ms: float) -> dict[str, Any]:
    with emulator(work, latency_ms) as env:
        figures: dict[str, Any] = {"latency_ms": latency_ms, "tests": tests, "steps": 3}
        verdicts = {}
        runs = (
            ("agenteval", lambda folder: run_agenteval(folder, env)),
            ("evalcore", lambda folder: run_evalcore(folder, env)),
            ("evalcore_c45", lambda folder: run_evalcore(folder, env, "--concurrency", "45")),
        )
        for tool, runner in runs:
            folder = work / f"{tool}-{latency_ms:g}"
            folder.mkdir()
            (folder / "agenteval.yml").write_text(yaml.safe_dump(plan(tests), sort_keys=False))
            seconds, cpu, verdicts[tool] = runner(folder)
            figures[f"{tool}_seconds"] = round(seconds, 2)
            figures[f"{tool}_cpu_seconds"] = round(cpu, 2)
    for tool in ("evalcore", "evalcore_c45"):
        figures[f"{tool}_speedup"] = round(figures["agenteval_seconds"] / figures[f"{tool}_seconds"], 1)
        figures[f"{tool}_cpu_ratio"] = round(figures["agenteval_cpu_seconds"] / figures[f"{tool}_cpu_seconds"], 1)
    figures["load_average"] = round(os.getloadavg()[0], 1)
    figures["passed"] = {tool: sum(v == "pass" for v in found.values()) for tool, found in verdicts.items()}
    figures["verdicts_identical"] = verdicts["agenteval"] == verdicts["evalcore"] == verdicts["evalcore_c45"]
    if not figures["verdicts_identical"]:
        figures["differences"] = {
            name: [found.get(name) for found in verdicts.values()]
            for name in sorted(set(verdicts["agenteval"]) | set(verdicts["evalcore"]))
            if len({found.get(name) for found in verdicts.values()}) > 1
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=45)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 100.0], help="emulator latency (ms)")
    parser.add_argument("--agentcore", action="store_true", help="evalcore on the Bedrock agent vs AgentCore Runtime")
    args = parser.parse_args()
    if args.agentcore:
        main_agentcore(args.tests, args.latency)
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="evalcore-bench-agents-") as tmp:
        for latency in args.latency:
            row = bench(Path(tmp), args.tests, latency)
            rows.append(row)
            print(
                f"{args.tests} tests x 3 steps at {latency:g} ms (load {row['load_average']}): "
                f"agenteval {row['agenteval_seconds']:.2f} s ({row['agenteval_cpu_seconds']:.1f} s CPU), "
                f"evalcore {row['evalcore_seconds']:.2f} s ({row['evalcore_cpu_seconds']:.1f} s CPU) "
                f"= {row['evalcore_speedup']:g}x, evalcore --concurrency 45 {row['evalcore_c45_seconds']:.2f} s "
                f"= {row['evalcore_c45_speedup']:g}x; passed {row['passed']}; verdicts identical: "
                f"{row['verdicts_identical']}"
            )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"bench": "agents", "cpus": os.cpu_count(), "runs": rows}, indent=2) + "\n")
    print(f"written to {OUT.relative_to(HERE.parent)}")


def main_agentcore(tests: int, latencies: list[float]) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="evalcore-bench-agentcore-") as tmp:
        for latency in latencies:
            row = bench_agentcore(Path(tmp), tests, latency)
            rows.append(row)
            print(
                f"{tests} tests x 3 steps at {latency:g} ms (load {row['load_average']}): "
                + ", ".join(
                    f"{tool} {row[f'{tool}_seconds']:.2f} s ({row[f'{tool}_cpu_seconds']:.1f} s CPU)"
                    for tool in AGENTCORE_TARGETS
                )
                + f"; passed {row['passed']}; verdicts identical: {row['verdicts_identical']}"
            )
    out = OUT.with_name("agentcore.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"bench": "agentcore", "cpus": os.cpu_count(), "runs": rows}, indent=2) + "\n")
    print(f"written to {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
