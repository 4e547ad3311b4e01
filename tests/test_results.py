"""The results format: appended lines that survive a cancelled run, a versioned run file, honest aggregates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalcore.domain.results import (
    SCHEMA_VERSION,
    CaseResult,
    CaseWriter,
    MetricScore,
    RunMeta,
    RunResult,
    read_cases,
    read_run,
    summarize,
    write_run,
)


def _case(
    i: int, status: str = "pass", score: float | None = 1.0, item: str | None = None, repeat: int = 0
) -> CaseResult:
    return CaseResult(
        case_id=f"c{i}-{repeat}",
        section="qa",
        kind="evaluation",
        model="haiku",
        item_key=item or f"item{i}",
        repeat=repeat,
        status=status,  # type: ignore[arg-type]
        metrics=[MetricScore(name="token_f1", value=score)],
        latency_ms=10.0 * (i + 1),
    )


def test_case_results_round_trip_through_results_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    written = [_case(i) for i in range(3)]
    with CaseWriter(path) as writer:
        for case in written:
            writer.write(case)
    assert list(read_cases(path)) == written


def test_a_line_cut_short_by_a_cancelled_run_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    with CaseWriter(path) as writer:
        writer.write(_case(0))
    with path.open("a") as fh:
        fh.write('{"case_id": "c1", "sec')
    assert [c.case_id for c in read_cases(path)] == ["c0-0"]


def test_the_run_file_round_trips_and_carries_its_schema_version(tmp_path: Path) -> None:
    run = RunResult(run=RunMeta(suite="demo", run_id="r1", tool_version="0", started_at=1.0))
    write_run(tmp_path / "results.json", run)
    assert json.loads((tmp_path / "results.json").read_text())["schema_version"] == SCHEMA_VERSION
    assert read_run(tmp_path / "results.json") == run


def test_a_run_file_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text(json.dumps({"schema_version": 99, "run": {}}))
    with pytest.raises(ValueError, match="schema_version 99"):
        read_run(tmp_path / "results.json")


def test_a_metric_that_did_not_apply_is_not_averaged_as_zero() -> None:
    summary = summarize([_case(0, score=1.0), _case(1, score=None)])[("qa", "haiku")]
    assert summary.metrics["token_f1"].mean == 1.0
    assert summary.metrics["token_f1"].n == 1


def test_repeats_of_one_item_are_averaged_before_the_mean_over_items() -> None:
    cases = [_case(0, score=1.0, item="a", repeat=r) for r in range(3)] + [_case(1, score=0.0, item="b")]
    summary = summarize(cases)[("qa", "haiku")]
    assert summary.metrics["token_f1"].mean == 0.5
    assert summary.metrics["token_f1"].n == 2


def test_errors_count_against_the_pass_rate_and_in_the_error_rate() -> None:
    summary = summarize([_case(0), _case(1, status="fail"), _case(2, status="error", score=None), _case(3)])[
        ("qa", "haiku")
    ]
    assert summary.pass_rate == 0.5
    assert summary.error_rate == 0.25
    assert summary.counts.passed == 2 and summary.counts.failed == 1 and summary.counts.error == 1


def test_the_confidence_interval_brackets_the_mean() -> None:
    cases = [_case(i, score=s) for i, s in enumerate([0.2, 0.4, 0.6, 0.8, 1.0])]
    agg = summarize(cases)[("qa", "haiku")].metrics["token_f1"]
    assert agg.ci_low is not None and agg.ci_high is not None
    assert agg.ci_low < agg.mean < agg.ci_high
    assert agg.ci_high - agg.mean == pytest.approx(2.776 * agg.stderr)


def test_latency_percentiles_leave_out_errored_cases() -> None:
    summary = summarize([_case(0), _case(1), _case(9, status="error")])[("qa", "haiku")]
    assert summary.latency_ms["max"] == 20.0
