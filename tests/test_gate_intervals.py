"""Confidence-aware gating (issue 21): a bound on an end of the aggregate's 95% interval, `min: {value: 0.85,
on: ci_low}`, and every check carrying the interval it was judged with."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalcore.domain.gate import EXIT_FAILED, EXIT_PASSED, decide, describe, rules_for
from evalcore.domain.results import CaseResult, MetricScore, RunMeta, RunResult, SectionSummary, summarize
from evalcore.suite.load import load_suite
from evalcore.suite.problems import InputError

SUITE = """\
version: 1
name: ci-gate
models:
  haiku: anthropic.claude-3-haiku-20240307-v1:0
evaluations:
  - name: qa
    dataset: qa.jsonl
    models: [haiku]
    metrics: [exact_match]
    thresholds:
      exact_match: {min: %s}
"""


def _run(tmp_path: Path, bound: str, correct: int, items: int = 30) -> RunResult:
    (tmp_path / "qa.jsonl").write_text('{"prompt": "2+2?", "referenceResponse": "4"}\n', encoding="utf-8")
    (tmp_path / "suite.yml").write_text(SUITE % bound, encoding="utf-8")
    loaded = load_suite(tmp_path / "suite.yml")
    cases = [
        CaseResult(
            case_id=f"c{i}",
            section="qa",
            kind="evaluation",
            model="haiku",
            item_key=f"i{i}",
            status="pass" if i < correct else "fail",
            metrics=[MetricScore(name="exact_match", value=float(i < correct))],
        )
        for i in range(items)
    ]
    summary = summarize(cases)[("qa", "haiku")]
    meta = RunMeta(suite="ci-gate", run_id="r", tool_version="0", started_at=0.0)
    run = RunResult(run=meta, sections=[SectionSummary(name="qa", kind="evaluation", planned=items, models=[summary])])
    run.verdict = decide(run, rules_for(loaded))
    return run


def test_a_minimum_on_ci_low_fails_an_estimate_above_it_whose_interval_reaches_below(tmp_path: Path) -> None:
    plain = _run(tmp_path, "0.85", correct=27)  # 0.90 over 30 items: Wilson [0.74, 0.97]
    assert plain.verdict is not None and plain.verdict.exit_code == EXIT_PASSED
    strict = _run(tmp_path, "{value: 0.85, on: ci_low}", correct=27)
    assert strict.verdict is not None and strict.verdict.exit_code == EXIT_FAILED
    check = next(c for c in strict.verdict.checks if c.metric == "exact_match")
    assert check.on == "ci_low" and check.interval is not None
    assert check.value == pytest.approx(check.interval.ci_low)


def test_a_minimum_on_ci_high_fails_only_when_the_whole_interval_is_below(tmp_path: Path) -> None:
    lenient = _run(tmp_path, "{value: 0.85, on: ci_high}", correct=24)  # 0.80: [0.63, 0.90]
    assert lenient.verdict is not None and lenient.verdict.exit_code == EXIT_PASSED
    clearly_below = _run(tmp_path, "{value: 0.85, on: ci_high}", correct=18)  # 0.60: [0.42, 0.75]
    assert clearly_below.verdict is not None and clearly_below.verdict.exit_code == EXIT_FAILED


def test_a_failed_check_names_its_interval_level_method_and_items(tmp_path: Path) -> None:
    run = _run(tmp_path, "{value: 0.85, on: ci_low}", correct=27)
    assert run.verdict is not None
    line = describe(next(c for c in run.verdict.checks if c.metric == "exact_match"))
    assert "exact_match >= 0.85 on ci_low: got 0.7" in line
    assert "(ci_low of 0.9 [0.7" in line and "95% wilson, n=30 items)" in line


def test_an_interval_bound_on_an_aggregate_without_an_interval_is_refused(tmp_path: Path) -> None:
    (tmp_path / "qa.jsonl").write_text('{"prompt": "2+2?", "referenceResponse": "4"}\n', encoding="utf-8")
    text = (SUITE % "0.5").replace("exact_match: {min: 0.5}", "latency_ms.p95: {max: {value: 900, on: ci_high}}")
    (tmp_path / "suite.yml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="has no confidence interval"):
        load_suite(tmp_path / "suite.yml")
