"""Synthetic runs for the history tests: one evaluation section `qa`, one model `m`, items scored by a function."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from evalcore.domain.results import (
    CaseResult,
    CaseWriter,
    MetricScore,
    RunMeta,
    RunResult,
    SectionSummary,
    Usage,
    summarize,
    write_run,
)

MODEL_ID = "anthropic.claude-3-haiku-20240307-v1:0"


def run_dir(
    directory: Path,
    number: int,
    score: Callable[[int], float],
    items: int = 40,
    model_id: str = MODEL_ID,
    suite: str = "codes",
    suite_hash: str = "hash1",
    shard: str | None = None,
) -> Path:
    """A results directory of run `number` (started a week after run number-1), items scored by `score(item)`."""
    cases = []
    for i in range(items):
        value = score(i)
        cases.append(
            CaseResult(
                case_id=f"case{i}",
                section="qa",
                kind="evaluation",
                model="m",
                model_id=model_id,
                item_key=hashlib.sha256(str(i).encode()).hexdigest()[:16],  # as the plan derives it
                status="pass" if value >= 0.5 else "fail",
                metrics=[MetricScore(name="Builtin.Correctness", value=value)],
                usage=Usage(input_tokens=10, output_tokens=5),
                cost_usd=0.001,
            )
        )
    summary = summarize(cases)[("qa", "m")]
    run = RunResult(
        run=RunMeta(
            suite=suite,
            suite_hash=suite_hash,
            run_id=f"run{number:03d}",
            tool_version="0.1.0",
            started_at=1_764_000_000.0 + number * 7 * 86400,
            git_sha=hashlib.sha1(str(number).encode()).hexdigest(),
            git_ref="refs/heads/main",
            shard=shard,
        ),
        sections=[SectionSummary(name="qa", kind="evaluation", planned=items, models=[summary])],
    )
    directory.mkdir(parents=True, exist_ok=True)
    with CaseWriter(directory / "results.jsonl") as writer:
        for case in cases:
            writer.write(case)
    write_run(directory / "results.json", run)
    return directory
