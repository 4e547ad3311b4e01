"""`evalcore run --rerun failed|errored|both DIR`: a provider blip errored a few cases of a run; only those run
again, into a fresh directory (only those cases, and the summary says so) or into DIR itself (every attempt kept,
the verdict over all cases with the newest outcomes). A suite changed since DIR was written, or a DIR that is not a
whole run, is refused with one line (exit 2) before anything is called."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from evalcore.app.cli import main
from evalcore.domain.results import read_cases, read_run
from evalcore_emulator import Emulator
from tests.direct_suite import results, use_emulator, world, write_suite


@pytest.fixture
def suite(tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_emulator(monkeypatch, emulator)
    # 10 questions x 2 models = 20 cases; an errored case fails the gate (error_rate <= 0)
    return write_suite(tmp_path / "suite", metrics=["token_f1"], thresholds={"error_rate": {"max": 0.0}})


def run(*args: str) -> int:
    return main(["run", *args, "--no-cache", "--quiet"])


@pytest.fixture
def blipped(suite: Path, tmp_path: Path, emulator: Emulator) -> Path:
    """A run in which the provider refused the first 3 calls: 3 cases errored, the gate failed."""
    emulator.set_world(world(faults=[{"kind": "access_denied", "operation": "Converse", "first": 3}]))
    out = tmp_path / "run"
    assert run(str(suite), "--out", str(out)) == 1
    assert sum(r.status == "error" for r in results(out).values()) == 3
    emulator.set_world(None)
    emulator.clear_requests()
    return out


def test_a_rerun_into_the_same_directory_runs_only_the_errored_cases_and_keeps_their_earlier_attempts(
    suite: Path, blipped: Path, emulator: Emulator
) -> None:
    errored = {i for i, r in results(blipped).items() if r.status == "error"}

    assert run(str(suite), "--rerun", "errored", str(blipped), "--out", str(blipped)) == 0

    assert len(emulator.requests("Converse")) == 3
    run_result = read_run(blipped / "results.json")
    assert run_result.verdict is not None and run_result.verdict.status == "passed"
    assert sum(m.counts.total for s in run_result.sections for m in s.models) == 20  # over all cases
    assert run_result.run.rerun is not None and run_result.run.rerun.in_place
    final = results(blipped)
    assert all(r.status == "pass" or r.status == "fail" for r in final.values())
    for case_id in errored:  # the earlier attempt's outcome is kept with the newest
        assert [a.status for a in final[case_id].earlier_attempts] == ["error"]
        assert "AccessDenied" in (final[case_id].earlier_attempts[0].reason or "")
    assert not any(r.earlier_attempts for i, r in final.items() if i not in errored)
    lines = list(read_cases(blipped / "results.jsonl"))
    assert len(lines) == 23  # nothing of the first run was overwritten


def test_a_rerun_into_a_fresh_directory_holds_only_those_cases_and_the_summary_says_so(
    suite: Path, blipped: Path, tmp_path: Path, emulator: Emulator
) -> None:
    fresh = tmp_path / "fresh"

    assert run(str(suite), "--rerun", "both", str(blipped), "--out", str(fresh)) == 0

    assert len(emulator.requests("Converse")) == 3
    assert len(results(fresh)) == 3
    run_result = read_run(fresh / "results.json")
    assert run_result.run.rerun is not None and not run_result.run.rerun.in_place
    assert run_result.run.rerun.cases == 3
    assert sum(s.planned for s in run_result.sections) == 3
    summary = (fresh / "summary.md").read_text(encoding="utf-8")
    assert "Rerun of 3 failed or errored cases" in summary and "only these cases" in summary
    assert "only the 3 errored cases of" not in summary  # the wording follows what was asked: both


def test_a_rerun_of_failed_cases_when_none_failed_runs_nothing_and_keeps_the_verdict(
    suite: Path, blipped: Path, tmp_path: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(str(suite), "--rerun", "failed", str(blipped), "--out", str(blipped)) == 1
    assert run(str(suite), "--rerun", "failed", str(blipped), "--out", str(tmp_path / "fresh")) == 1
    assert "no failed cases in" in capsys.readouterr().err
    assert not (tmp_path / "fresh").exists()
    assert not emulator.requests("Converse")


def test_a_rerun_after_the_suite_changed_is_refused_with_one_line(
    suite: Path, blipped: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(suite.read_text(encoding="utf-8"))
    data["evaluations"][0]["prompt"] = "Answer briefly. {{prompt}}"
    suite.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    capsys.readouterr()

    assert run(str(suite), "--rerun", "errored", str(blipped), "--out", str(blipped)) == 2

    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "changed since" in err[0]
    assert not emulator.requests("Converse")


@pytest.mark.parametrize("damage", ["no results.json", "a torn results.json", "a planned case without result"])
def test_a_rerun_of_an_incomplete_or_unreadable_directory_is_refused_with_one_line(
    suite: Path, blipped: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    if damage == "no results.json":
        (blipped / "results.json").unlink()
    elif damage == "a torn results.json":
        text = (blipped / "results.json").read_text(encoding="utf-8")
        (blipped / "results.json").write_text(text[: len(text) // 2], encoding="utf-8")
    else:
        lines = (blipped / "results.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if json.loads(line)["status"] != "pass"]
        (blipped / "results.jsonl").write_text("".join(kept[:-1]), encoding="utf-8")
    capsys.readouterr()

    assert run(str(suite), "--rerun", "errored", str(blipped), "--out", str(blipped)) == 2

    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(blipped) in err[0]
    assert "Traceback" not in err[0]
    assert not emulator.requests("Converse")


def test_rerun_with_a_selection_of_its_own_is_bad_input(suite: Path, blipped: Path) -> None:
    assert run(str(suite), "--rerun", "errored", str(blipped), "--sections", "qa") == 2
