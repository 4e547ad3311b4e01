"""The case index: reports read a results file one case at a time, in the report's order, and say the same as
they would from the cases in memory."""

from __future__ import annotations

import json
from pathlib import Path

from evalcore.domain.results import CASES_FILE, CaseResult, CaseWriter, RunResult
from evalcore.report.case_index import CaseIndex
from evalcore.report.html import report_data
from evalcore.report.render import render_reports
from tests.report.report_fixtures import build_cases, build_run, shuffled


def _write(path: Path, cases: list[CaseResult]) -> Path:
    with CaseWriter(path) as writer:
        for case in cases:
            writer.write(case)
    return path


def test_a_file_index_reads_back_each_cases_last_result_in_the_reports_order(
    tmp_path: Path, run: RunResult, cases: list[CaseResult]
) -> None:
    retried = cases[3].model_copy(update={"status": "error", "reason": "first try"})
    path = _write(tmp_path / CASES_FILE, [retried, *shuffled(cases)])
    from_file = list(CaseIndex.of_file(run, path).cases())
    in_memory = list(CaseIndex.of_cases(run, cases).cases())
    assert [c.model_dump() for c in from_file] == [c.model_dump() for c in in_memory]


def test_a_file_index_keeps_only_the_selected_cases_and_ignores_a_cut_last_line(
    tmp_path: Path, run: RunResult, cases: list[CaseResult]
) -> None:
    path = _write(tmp_path / CASES_FILE, cases)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(cases[0].model_dump_json()[:40])  # a cancelled run's half-written line
    keep = {c.case_id for c in cases[:5]}
    index = CaseIndex.of_file(run, path, keep.__contains__)
    assert sorted(c.case_id for c in index.cases()) == sorted(keep)


def test_the_worst_cases_are_errors_then_failures_by_lowest_score(run: RunResult, cases: list[CaseResult]) -> None:
    index = CaseIndex.of_cases(run, cases)
    worst = list(index.read(index.worst("qa", 3)))
    assert worst[0].status == "error"
    scores = [sum(m.value or 0 for m in c.metrics) / max(1, len(c.metrics)) for c in worst if c.status == "fail"]
    assert scores == sorted(scores)


def test_reports_from_the_results_file_match_reports_from_memory(
    tmp_path: Path, run: RunResult, cases: list[CaseResult]
) -> None:
    (tmp_path / "file").mkdir()
    (tmp_path / "memory").mkdir()
    _write(tmp_path / "file" / CASES_FILE, shuffled(cases))
    from_file = {p.name: p.read_bytes() for p in render_reports(tmp_path / "file", run, None)}
    from_memory = {p.name: p.read_bytes() for p in render_reports(tmp_path / "memory", run, None, cases=cases)}
    assert from_file == from_memory


def _many(n: int) -> tuple[RunResult, list[CaseResult]]:
    base = [c for c in build_cases(hostile=False, n=n) if c.section == "qa"]
    return build_run(base), base


def test_the_html_report_embeds_whole_items_failures_first_up_to_its_limit() -> None:
    run, cases = _many(40)
    data = report_data(run, cases, limit=10)
    embedded = data["cases"]
    assert len(embedded) <= 10
    assert data["omitted"] == len(cases) - len(embedded)
    items = {(c["section"], c["item_key"], c["repeat"]) for c in embedded}
    for case in cases:  # every model's case of an embedded item is there
        if (case.section, case.item_key, case.repeat) in items:
            assert any(c["item_key"] == case.item_key and c["model"] == case.model for c in embedded)
    bad = sorted({(c.item_key, c.repeat) for c in cases if c.status in ("fail", "error")})
    assert all(c["status"] in ("fail", "error") or (c["item_key"], c["repeat"]) in bad for c in embedded)
    assert json.dumps(data)  # still plain JSON


def test_the_html_report_embeds_every_case_under_its_limit(run: RunResult, cases: list[CaseResult]) -> None:
    data = report_data(run, cases)
    assert data["omitted"] == 0
    assert len(data["cases"]) == len(cases)
