"""`evalcore history`: record a run in a history store, print and render its trends, check the latest run for
drift. The commands' work, called by evalcore.app.cli (and `run --history`) and by the Action."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from evalcore.app.history_store import HistoryError, HistoryStore
from evalcore.domain.drift import Drift, detect_drift
from evalcore.domain.gate import EXIT_FAILED, EXIT_INFRA
from evalcore.domain.results import CASES_FILE, RUN_FILE, ResultsFile, RunResult, read_run
from evalcore.report.plain import visible

DriftMode = Literal["off", "warn", "fail"]


def _stderr(line: str) -> None:
    print(visible(line), file=sys.stderr)


def _warning(line: str) -> None:
    _stderr(f"warning: {line}")


def open_store(spec: str, warn: Callable[[str], None] = _stderr, region: str | None = None) -> HistoryStore:
    s3: Any = None
    if spec.startswith("s3://"):
        from evalcore.bedrock.clients import Aws

        s3 = Aws(region=region).client("s3")
    return HistoryStore(spec, s3=s3, warn=warn)


def record_run(directory: Path, store: HistoryStore, run: RunResult | None = None) -> str:
    """Append the record of the run in `directory` (results.json and results.jsonl). Raises HistoryError."""
    from evalcore.domain.history import history_record

    if run is None:
        path = directory / RUN_FILE
        if not path.is_file():
            raise HistoryError(f"{path}: not found (give a directory written by `evalcore run`)")
        try:
            run = read_run(path)
        except ValueError as exc:
            raise HistoryError(f"{path}: {exc}") from None
    if run.run.shard:
        raise HistoryError(
            f"{directory}: a shard ({run.run.shard}) is part of a run: record the merged run (`evalcore merge`)"
        )
    try:
        record = history_record(run, ResultsFile(directory / CASES_FILE))
    except ValueError as exc:
        raise HistoryError(f"{directory / CASES_FILE}: {exc}") from None
    return store.append(record)


def show(store: HistoryStore, suite: str | None, last: int | None, out: Path | None) -> list[Path]:
    """Print the trend tables; with `out`, write history.md and history.html there. Returns the files written."""
    from evalcore.report.trend import trend_series, trend_text

    records = store.read(suite, last)
    series = trend_series(records)
    print(trend_text(series))
    if out is None:
        return []
    from evalcore.report.trend_html import trend_html
    from evalcore.report.trend_markdown import trend_markdown

    out.mkdir(parents=True, exist_ok=True)
    written = [out / "history.md", out / "history.html"]
    written[0].write_text(trend_markdown(series), encoding="utf-8")
    written[1].write_text(trend_html(series), encoding="utf-8")
    return written


@dataclass
class DriftOutcome:
    exit_code: int
    drift: Drift | None
    lines: list[str]  # what was said: findings first
    findings: list[str]  # one line per drift to the worse (the warning annotations of the Action)


def check(
    store: HistoryStore, suite: str | None, window: int, mode: DriftMode, min_effect: float = 0.02
) -> DriftOutcome:
    """The latest run of `suite` (or of the store's newest suite) against the `window` runs before it."""
    from evalcore.report.drift_text import drift_lines, finding_line

    if suite is None:
        newest = store.read(None, 1)
        suite = newest[0].suite if newest else None
    records = store.read(suite, window + 1) if suite is not None else []
    drift = detect_drift(records[-1 - window :], window, min_effect)
    if drift is None:
        return DriftOutcome(0, None, ["evalcore: drift: no earlier run in the history to compare with"], [])
    findings = [finding_line(d) for d in drift.worse]
    lines = drift_lines(drift)
    code = EXIT_FAILED if findings and mode == "fail" else 0
    return DriftOutcome(code, drift, lines, findings)


@dataclass
class HistoryGate:
    """`run --history STORE [--drift warn|fail]` (and the Action's `history`/`drift` inputs on branches): the run is
    recorded and checked for drift before its verdict is written, so every output that reports the verdict (exit code,
    results.json, JUnit, summary, comment, the Action's outputs) says the same."""

    store: str
    drift: DriftMode = "off"
    window: int = 8
    region: str | None = None
    say: Callable[[str], None] = _stderr  # the drift report's lines
    warn: Callable[[str], None] = _warning  # one line per drift to the worse, and a store's warnings


def gate_history(out: Path, run: RunResult, gate: HistoryGate) -> None:
    """Record `run` (its cases are `out`/results.jsonl) and check it for drift, folding the outcome into `run.verdict`
    (not yet written): a store that fails makes a passed run an infrastructure error (exit 3), the reason says why;
    with `fail`, a drift to the worse fails a passed run (exit 1), one reason per finding; with `warn` the findings
    are warnings and the verdict stands."""
    verdict = run.verdict
    if verdict is None:
        return
    try:
        store = open_store(gate.store, gate.warn, region=gate.region)
        gate.say(f"evalcore: history: recorded in {record_run(out, store, run)}")
        if gate.drift == "off":
            return
        outcome = check(store, run.run.suite, gate.window, gate.drift)
    except HistoryError as exc:
        verdict.reasons.append(f"history: {exc}")
        if verdict.status == "passed":
            verdict.status, verdict.exit_code = "error", EXIT_INFRA
        return
    for line in outcome.lines:
        if line not in outcome.findings:
            gate.say(line)
    for finding in outcome.findings:
        gate.warn(finding)
    if gate.drift == "fail" and outcome.findings:
        verdict.reasons.extend(f"drift: {finding}" for finding in outcome.findings)
        if verdict.status == "passed":
            verdict.status, verdict.exit_code = "failed", EXIT_FAILED
