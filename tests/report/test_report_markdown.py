"""The step summary: what it shows, that foreign text stays inert, and the 1 MiB limit."""

from __future__ import annotations

import re

import pytest

from evalcore.domain.gate import Rule, decide
from evalcore.domain.results import CaseResult, RunResult
from evalcore.report.html import report_data
from evalcore.report.markdown import MAX_BYTES, summary_markdown
from evalcore.report.markdown_escape import ZWSP, cell, code_block, code_span, cut, html_text, inline
from tests.report.report_fixtures import HOSTILE, build_cases, build_run

OUR_TAGS = {"details", "/details", "summary", "/summary", "sub", "/sub", "br"}


@pytest.fixture
def summary(run: RunResult, cases: list[CaseResult]) -> str:
    return summary_markdown(run, cases)


# ---- what it shows ----


def test_the_headline_gives_the_verdict_and_every_reason(summary: str, run: RunResult) -> None:
    first = summary.splitlines()[0]
    assert first == "## ⚠️ evalcore: demo error (exit 3)"
    assert run.verdict is not None
    assert "- safety: block\\_rate &gt;= 0.9: got 0.6667" in summary
    assert len([line for line in summary.splitlines() if line.startswith("- ")]) >= len(run.verdict.reasons)


def test_a_passing_run_says_so() -> None:
    cases = [c for c in build_cases(hostile=False) if c.status == "pass" and c.section != "qa"]
    run = build_run(cases)
    run.sections = [s for s in run.sections if s.status != "not_run"]
    run.verdict = run.verdict.model_copy(update={"status": "passed", "exit_code": 0, "reasons": []})  # type: ignore[union-attr]
    assert summary_markdown(run, cases).startswith("## ✅ evalcore: demo passed (exit 0)")


def test_the_model_table_marks_each_threshold(summary: str) -> None:
    haiku = next(line for line in summary.splitlines() if line.startswith("| haiku |"))
    assert "0.620 [0.14, 1.00] ❌ ≥ 0.7" in haiku
    assert "16.7% ❌ ≤ 0" in haiku
    other = next(line for line in summary.splitlines() if line.startswith("| &lt;b&gt;"))
    assert "0.0% ✅ ≤ 0" in other


def test_each_section_says_which_rule_gated_it(summary: str) -> None:
    sections = summary.split("\n### ")
    gates = {s.split(" ", 1)[0]: line for s in sections for line in s.splitlines() if line.startswith("gated by: ")}
    assert gates == {
        "qa": "gated by: 1 threshold and no errors (error_rate <= 0, the default)",
        "safety": "gated by: 1 threshold",
        "support": "gated by: every case must pass (no thresholds)",
    }


def test_a_threshold_on_an_aggregate_outside_the_table_adds_one_column_for_every_model() -> None:
    cases = build_cases(hostile=False)
    run = build_run(cases)
    run.verdict = decide(run, [Rule("qa", "latency_ms.p95", "max", 5000.0, None, 3)])
    header = next(line for line in summary_markdown(run, cases).splitlines() if line.startswith("| model |"))
    assert header.count("latency\\_ms.p95") == 1
    assert [c["name"] for c in report_data(run, cases)["sections"][0]["columns"]].count("latency_ms.p95") == 1


def test_one_chart_per_section_compares_the_models_metric_by_metric(summary: str) -> None:
    assert summary.count("```mermaid") == 1  # only qa has two models
    chart = summary[summary.index("```mermaid") :]
    chart = chart[: chart.index("```", 3) + 3]
    assert "xychart-beta" in chart
    assert 'title "qa: mean score by metric and model"' in chart
    assert 'x-axis ["Correctness haiku", "Correctness _b__org/team_/b__x", "contains haiku", ' in chart
    assert "bar [0.620, 0.633, 0.600, 0.667]" in chart


def test_the_guardrail_confusion_matrix_counts_expected_against_observed(summary: str) -> None:
    assert "| blocked | **2** | 0 | 1 |" in summary
    assert "| allowed | 1 | 0 | **1** |" in summary
    assert "| anonymized | 0 | **1** | 0 |" in summary


def test_agent_tests_show_their_pass_rates(summary: str) -> None:
    assert "| file\\_claim | 3 | 2 | 66.7% | ❌ |" in summary
    assert "| check\\_status | 1 | 1 | 100.0% | ✅ |" in summary


def test_tokens_cost_and_time_are_totalled(summary: str) -> None:
    assert "| **total** | | 1,440 | 600 | 0 | $0.0012 | | |" in summary
    assert "42.5 s" in summary.splitlines()[2]


def test_a_section_that_did_not_run_says_why(summary: str) -> None:
    assert (
        "⏭️ did not run: preflight: the bucket 'evals' cannot be reached: &lt;b&gt;Could not connect&lt;/b&gt;"
        in summary
    )


def test_the_worst_cases_come_in_details_errors_first(summary: str) -> None:
    blocks = re.findall(r"<details><summary>(.*?)</summary>", summary)
    qa = [b for b in blocks if b.startswith(("⚠️ qa", "❌ qa"))]
    assert qa[0].startswith("⚠️ qa · haiku")
    assert summary.count("<details>") == summary.count("</details>")


# ---- foreign text stays inert ----


def test_no_raw_html_but_our_own_tags(summary: str) -> None:
    tags = {m.lower() for m in re.findall(r"<(/?[A-Za-z][A-Za-z0-9]*)", summary)}
    assert tags <= OUR_TAGS


def test_mentions_and_references_are_neutralised(summary: str) -> None:
    assert not re.search(r"@(?!\u200b)\w", summary)
    assert not re.search(r"(?<!&)#(?!\u200b)\d", summary)  # `&#124;` is our entity for `|`


def test_terminal_escapes_and_nul_are_gone(summary: str) -> None:
    assert "\x1b" not in summary and "\x00" not in summary and "[31m" not in summary


def test_every_table_row_has_as_many_cells_as_its_header(summary: str) -> None:
    lines = summary.splitlines()
    unescaped_pipes = re.compile(r"(?<!\\)\|")
    tables = 0
    for i, line in enumerate(lines):
        if line.startswith("|---") or line.startswith("|:--"):
            tables += 1
            width = len(unescaped_pipes.findall(lines[i - 1]))
            j = i + 1
            while j < len(lines) and lines[j].startswith("|"):
                assert len(unescaped_pipes.findall(lines[j])) == width, lines[j]
                j += 1
    assert tables >= 6


def test_code_fences_are_balanced(summary: str) -> None:
    open_fence: str | None = None
    for line in summary.splitlines():
        fence = re.match(r"^(`{3,})", line)
        if not fence:
            continue
        if open_fence is None:
            open_fence = fence.group(1)
        elif line == open_fence:
            open_fence = None
    assert open_fence is None


# ---- the escaping functions ----


def test_inline_escapes_html_markdown_and_mentions() -> None:
    text = inline(HOSTILE)
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in text
    assert f"@{ZWSP}org/team" in text and f"\\#{ZWSP}123" in text
    assert "\\| pipes \\|" in text
    assert "\\`\\`\\`js" in text
    assert "\x1b" not in text and "\x00" not in text


def test_a_cell_keeps_one_row() -> None:
    assert cell("a|b\nc\r\nd") == "a&#124;b<br>c<br>d"


def test_a_code_span_is_fenced_past_the_longest_backtick_run() -> None:
    assert code_span("a `` b") == "```a `` b```"
    assert code_span("`x`") == "`` `x` ``"
    assert code_span("a|b", in_table=True) == "`a\\|b`"


def test_a_code_block_cannot_be_closed_by_its_text() -> None:
    block = code_block("before\n```\n<!-- evalcore:demo -->\n````\nafter")
    fence = block.splitlines()[0].removesuffix("text")
    assert fence == "`````"
    assert block.endswith("\n`````")
    assert "<!--" not in block


def test_long_text_is_cut_with_a_note() -> None:
    assert cut("x" * 50, 10) == "xxxxxxxxxx… (40 more characters: see the HTML report)"
    assert inline("word " * 500, 100).endswith("\\(2,399 more characters: see the HTML report\\)")


def test_html_text_escapes_for_html_blocks() -> None:
    assert html_text('<b a="1">@x #1</b>') == f"&lt;b a=&quot;1&quot;&gt;@{ZWSP}x #{ZWSP}1&lt;/b&gt;"


def test_html_text_keeps_the_entities_it_writes_whole() -> None:
    assert html_text("it's") == "it&#x27;s"


# ---- the 1 MiB limit ----


def _big_run() -> tuple[RunResult, list[CaseResult]]:
    """Fifteen sections of long failing answers: several MiB of case details."""
    cases: list[CaseResult] = []
    base = [c for c in build_cases(hostile=True, n=30) if c.section == "qa"]
    for s in range(15):
        for c in base:
            cases.append(
                c.model_copy(
                    update={
                        "section": f"qa{s:02d}",
                        "status": "fail" if c.status != "error" else "error",
                        "output": ("long answer " + HOSTILE) * 200,
                        "prompt": ("long prompt " + HOSTILE) * 200,
                    }
                )
            )
    return build_run(cases), cases


def test_a_summary_over_1_mib_is_cut_at_a_block_with_a_note() -> None:
    run, cases = _big_run()
    text = summary_markdown(run, cases)
    size = len(text.encode("utf-8"))
    assert size <= MAX_BYTES
    assert size > MAX_BYTES * 0.9  # it is filled, not emptied
    assert "This summary was cut to fit GitHub's 1 MiB limit" in text
    assert "report.html in the results directory" in text.splitlines()[-1]
    assert text.count("<details>") == text.count("</details>")
    for s in range(15):  # every section's table is kept: details go first
        assert f"### qa{s:02d} <sub>evaluation</sub>" in text
    kept = text.count("<details>")
    assert f"{15 * 20 - kept} of {15 * 20} case details left out" in text


def test_a_tiny_limit_keeps_the_headline_and_says_what_is_missing(run: RunResult, cases: list[CaseResult]) -> None:
    text = summary_markdown(run, cases, max_bytes=2000)
    assert len(text.encode("utf-8")) <= 2000
    assert text.startswith("## ⚠️ evalcore: demo error")
    assert "parts of the summary and every case detail left out" in text


def test_a_summary_under_the_limit_is_not_cut(summary: str) -> None:
    assert "cut to fit" not in summary


def test_every_interval_in_the_summary_names_its_level_method_and_items() -> None:
    cases = build_cases()
    text = summary_markdown(build_run(cases), cases)
    assert "Intervals over items (each item's repeats averaged first): 95% wilson, n=6 items: pass rate" in text
    assert "95% t-wilson, n=5 items: Builtin.Correctness" in text
    # a failed threshold names the interval it was judged with
    assert "got 0.62 \\(\\[0.144, 1.000\\], 95% t-wilson, n=5 items\\)" in text
