"""render_reports and `evalcore report`: the three files from a results directory, nothing but the results."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalcore.app.cli import main
from evalcore.domain.results import CASES_FILE, RUN_FILE, CaseResult, CaseWriter, RunResult, write_run
from evalcore.report.render import render_reports
from tests.report.report_fixtures import build_cases, build_run


def results_dir(tmp_path: Path, run: RunResult, cases: list[CaseResult]) -> Path:
    with CaseWriter(tmp_path / CASES_FILE) as writer:
        for case in cases:
            writer.write(case)
    write_run(tmp_path / RUN_FILE, run)
    return tmp_path


def test_all_three_reports_are_written(tmp_path: Path, run: RunResult, cases: list[CaseResult]) -> None:
    written = render_reports(tmp_path, run, None, cases=cases)
    assert [p.name for p in written] == ["junit.xml", "summary.md", "report.html"]
    assert all(p.stat().st_size > 1000 for p in written)


def test_one_format_writes_one_file(tmp_path: Path, run: RunResult, cases: list[CaseResult]) -> None:
    assert [p.name for p in render_reports(tmp_path, run, "markdown", cases=cases)] == ["summary.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.md"]


def test_an_unknown_format_is_refused(tmp_path: Path, run: RunResult) -> None:
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        render_reports(tmp_path, run, "pdf", cases=[])


def test_reports_are_a_pure_function_of_the_results(tmp_path: Path, run: RunResult, cases: list[CaseResult]) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = {p.name: p.read_bytes() for p in render_reports(tmp_path / "a", run, None, cases=cases)}
    again = {p.name: p.read_bytes() for p in render_reports(tmp_path / "b", run, None, cases=cases[::-1])}
    assert first == again


def test_without_cases_the_results_file_is_read_and_the_last_result_of_a_case_wins(
    tmp_path: Path, run: RunResult, cases: list[CaseResult]
) -> None:
    errored = cases[0].model_copy(update={"status": "error", "reason": "first try: throttled"})
    directory = results_dir(tmp_path, run, [errored, *cases])
    render_reports(directory, run, "markdown")
    summary = (directory / "summary.md").read_text(encoding="utf-8")
    assert "first try" not in summary
    assert "22 cases" in summary


def test_the_report_command_re_renders_a_results_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run: RunResult, cases: list[CaseResult]
) -> None:
    directory = results_dir(tmp_path, run, cases)
    assert main(["report", str(directory), "--format", "all"]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(directory / n) for n in ("junit.xml", "summary.md", "report.html")]
    assert main(["report", str(directory), "--format", "junit"]) == 0
    assert "<testsuites" in (directory / "junit.xml").read_text(encoding="utf-8")


def test_the_report_command_refuses_a_broken_results_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run: RunResult
) -> None:
    directory = results_dir(tmp_path, run, [])
    (directory / CASES_FILE).write_text("not json\n", encoding="utf-8")
    assert main(["report", str(directory)]) == 2
    assert "not a case result" in capsys.readouterr().err


def test_the_report_command_needs_a_results_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "results.json: not found" in capsys.readouterr().err


def test_a_run_without_a_verdict_still_renders(tmp_path: Path) -> None:
    cases = build_cases(hostile=False, n=2)
    run = build_run(cases)
    run.verdict = None
    written = render_reports(tmp_path, run, None, cases=cases)
    assert "no verdict was recorded" in written[1].read_text(encoding="utf-8")


def test_lone_surrogates_and_non_characters_from_a_tampered_file_do_not_break_any_report(tmp_path: Path) -> None:
    cases = build_cases(hostile=False, n=2)
    bad = "x\ud800y\ufffez\U0010ffff"
    cases[0] = cases[0].model_copy(update={"output": bad, "model": bad, "item_key": bad, "reason": bad})
    run = build_run(cases)
    for path in render_reports(tmp_path, run, None, cases=cases):
        text = path.read_bytes().decode("utf-8")
        assert "\ufffe" not in text and "\U0010ffff" not in text
