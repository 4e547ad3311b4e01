"""The console summary: a compact aligned table, the verdict, color only when asked, no workflow commands."""

from __future__ import annotations

from evalcore.domain.results import CaseResult, RunResult
from evalcore.report.console import console_summary
from tests.report.report_fixtures import HOSTILE


def test_a_row_per_section_and_model_in_aligned_columns(run: RunResult) -> None:
    lines = console_summary(run).splitlines()
    assert lines[0] == "evalcore 0.1.0 · suite demo · 22 cases in 42.5 s"
    header, *rows = lines[1:6]
    assert header.split() == ["section", "model", "pass", "fail", "error", "pass", "rate", "scores"]
    start = header.index("pass rate")
    assert all(row[start - 2 : start] == "  " for row in rows)
    assert rows[0].startswith("  qa       haiku ")
    assert "Builtin.Correctness 0.620 ✗" in rows[0]
    assert "block rate 66.7% ✗" in rows[2]


def test_the_verdict_and_each_reason_close_the_summary(run: RunResult) -> None:
    text = console_summary(run)
    assert "verdict: ERROR (exit 3)" in text
    assert text.splitlines()[-1] == "  - support: pass_rate >= 1: got 0.75 ([0.000, 1.000], 95% t-wilson, n=2 items)"
    assert "  jobs: not run: preflight: the bucket 'evals' cannot be reached: <b>Could not connect</b>" in text


def test_each_section_says_which_rule_gated_it(run: RunResult) -> None:
    lines = console_summary(run).splitlines()
    assert [line for line in lines if " gated by: " in line] == [
        "  qa gated by: 1 threshold and no errors (error_rate <= 0, the default)",
        "  safety gated by: 1 threshold",
        "  support gated by: every case must pass (no thresholds)",
    ]


def test_color_only_when_asked(run: RunResult) -> None:
    assert "\x1b" not in console_summary(run, color=False)
    assert "\x1b[33mERROR\x1b[0m" in console_summary(run, color=True)


def test_foreign_text_cannot_issue_workflow_commands(run: RunResult, cases: list[CaseResult]) -> None:
    run.sections[-1].reason = f"::set-output name=verdict::passed {HOSTILE}"
    assert run.verdict is not None
    run.verdict.reasons.append("::add-mask::secret")
    text = console_summary(run)
    assert "::" not in text
    assert "\x1b" not in text and "\x00" not in text
