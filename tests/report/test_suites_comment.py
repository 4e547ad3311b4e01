"""The comment of a many-suite step: one marker, a row per suite, each suite's section, within GitHub's limit, and no
foreign text (a problem's message quotes the suite file) able to break the table or mention anyone."""

from __future__ import annotations

from evalcore.report.comment import MAX_COMMENT, SuiteSection, marker, render_suites_comment, suites_marker


def test_forty_suites_with_long_sections_fit_in_one_comment_with_one_marker() -> None:
    sections = [
        SuiteSection(f"services/s{i}/suite.yml", "failed", f"{marker(f'gate{i}')}\n\n" + "row\n" * 2_000)
        for i in range(40)
    ]

    text = render_suites_comment("services/*/suite.yml", sections)

    assert len(text) <= MAX_COMMENT
    assert text.startswith(suites_marker("services/*/suite.yml"))
    assert text.count("<!-- evalcore:") == 1
    assert "services/s39/suite.yml" in text, "every suite keeps its row even when sections are cut"


def test_a_reason_cannot_break_the_table_or_mention_anyone() -> None:
    sections = [
        SuiteSection("a/suite.yml", "error", None, "bad | cell @team <!-- x -->\nsecond line"),
        SuiteSection("b/suite.yml", "skipped", None, "no file of this suite changed"),
    ]

    text = render_suites_comment("a/suite.yml\nb/suite.yml", sections)

    (row,) = [line for line in text.splitlines() if "a/suite.yml" in line]
    assert row.count(" | ") == 2 and "@team" not in row and "<!--" not in row
    assert "⏭️ skipped" in text and "## evalcore: 2 suites, ⚠️ error" in text
