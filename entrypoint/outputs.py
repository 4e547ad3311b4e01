"""The step's outputs, computed from the run's `results.json` (RunResult) and the files the core wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from entrypoint.workspace import repo_path
from evalcore.domain.results import RUN_FILE, RunResult
from evalcore.report.formats import FORMATS


def step_outputs(
    run: RunResult | None, out_dir: Path, workspace: Path, suites: list[dict[str, Any]] | None = None
) -> dict[str, str]:
    """Every output of action.yml; paths are relative to the workspace (later steps run there) or empty if absent.
    `suites` is the per-suite list (`suite_entry`), the `suites` output.

    Without a run (it stopped before producing results) the verdict is `error` and every path is empty: files in
    `out_dir` are an earlier run's, and naming them would pass their verdict off as this one's."""
    verdict = run.verdict.status if run is not None and run.verdict is not None else "error"
    outputs = {
        "verdict": verdict,
        "passed": "true" if verdict == "passed" else "false",
        "pass-rate": _pass_rate(run),
        "results-path": _existing(out_dir / RUN_FILE, workspace) if run is not None else "",
    }
    outputs.update(
        {
            fmt.action_output: _existing(out_dir / fmt.file, workspace) if run is not None else ""
            for fmt in FORMATS.values()
        }
    )
    outputs["scores"] = json.dumps(scores(run), separators=(",", ":"), sort_keys=True)
    outputs["suites"] = json.dumps(suites or [], separators=(",", ":"))
    outputs["cost-usd"] = _cost(run)
    return outputs


def suite_entry(
    suite_file: str, status: str, exit_code: int, reason: str | None, run: RunResult | None, out_dir: Path | None
) -> dict[str, Any]:
    """One suite's item of the `suites` output: its file, verdict (`skipped` too), exit code, why (skipped or
    stopped), its results folder and report paths, pass rate and scores (as the one-suite outputs)."""
    entry: dict[str, Any] = {"suite": suite_file, "verdict": status, "exit-code": exit_code, "reason": reason or ""}
    one = step_outputs(run, out_dir or Path(), Path.cwd())  # without a run every path is empty
    entry["out-dir"] = repo_path(out_dir) if out_dir is not None else ""
    entry.update({k: v for k, v in one.items() if k.endswith("-path") or k in ("pass-rate", "cost-usd")})
    entry["scores"] = scores(run)
    return entry


def aggregate_pass_rate(runs: list[RunResult]) -> str:
    """Passed over decided cases across several suites' runs (as `pass-rate`)."""
    passed = decided = 0
    for run in runs:
        p, d = _counts(run)
        passed, decided = passed + p, decided + d
    return f"{passed / decided:.4f}".rstrip("0").rstrip(".") if decided else ""


def aggregate_cost(costs: list[str]) -> str:
    """Several suites' `cost-usd` summed: `unknown` if any is, empty when none ran."""
    known = [c for c in costs if c]
    if "unknown" in known:
        return "unknown"
    return f"{sum(map(float, known)):.6f}" if known else ""


def _cost(run: RunResult | None) -> str:
    """USD the run's model and judge calls cost, to 6 decimals: as its cost budget counted it (calls of cases it
    left not run included), else from the cases; `unknown` when tokens were spent on a model without a price
    (never a made-up 0); empty without a run."""
    if run is None:
        return ""
    if run.run.cost_usd is not None:
        return f"{run.run.cost_usd:.6f}"
    total = 0.0
    for section in run.sections:
        for m in section.models:
            for cost, usage in ((m.cost_usd, m.usage), (m.judge_cost_usd, m.judge_usage)):
                if cost is None and usage.input_tokens + usage.output_tokens:
                    return "unknown"
                total += cost or 0.0
    return f"{total:.6f}"


def scores(run: RunResult | None) -> dict[str, dict[str, dict[str, float | None]]]:
    """`{section: {model: {metric mean..., pass_rate, error_rate}}}`; a section without models keys `-`."""
    table: dict[str, dict[str, dict[str, float | None]]] = {}
    for section in run.sections if run is not None else []:
        per_model = table.setdefault(section.name, {})
        for summary in section.models:
            values: dict[str, float | None] = {name: agg.mean for name, agg in summary.metrics.items()}
            values.update(summary.rates)
            values["pass_rate"] = summary.pass_rate
            values["error_rate"] = summary.error_rate
            per_model[summary.model or "-"] = values
    return table


def _pass_rate(run: RunResult | None) -> str:
    """Passed over decided cases (pass + fail + error) across the run, to 4 decimals; empty when none decided."""
    return "" if run is None else aggregate_pass_rate([run])


def _counts(run: RunResult) -> tuple[int, int]:
    passed = decided = 0
    for section in run.sections:
        for summary in section.models:
            passed += summary.counts.passed
            decided += summary.counts.passed + summary.counts.failed + summary.counts.error
    return passed, decided


def _existing(path: Path, workspace: Path) -> str:
    return repo_path(path) if (workspace / path).is_file() else ""
