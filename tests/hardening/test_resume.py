"""`--resume` survives what actually happens: a last line cut by a full disk or a killed writer, a suite changed
between the run and its resume (each result carries a fingerprint of its case's inputs; the cases whose inputs
changed run again), and a directory that is not there (an error, not a fresh run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from evalcore.app.cli import main
from evalcore.domain.results import CaseResult, read_cases
from evalcore_emulator import Emulator
from tests.direct_suite import HAIKU, SONNET, results, use_emulator, write_suite


@pytest.fixture
def suite(tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_emulator(monkeypatch, emulator)
    return write_suite(tmp_path / "suite")  # 10 questions x 2 models = 20 cases


def run(*args: str) -> int:
    return main(["run", *args, "--no-cache", "--quiet"])


def edit_suite(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_a_cut_last_line_is_dropped_before_the_resume_appends_and_report_and_merge_work(
    suite: Path, tmp_path: Path
) -> None:
    shards = [tmp_path / "s1", tmp_path / "s2"]
    for i, directory in enumerate(shards, start=1):
        assert run(str(suite), "--out", str(directory), "--shard", f"{i}/2") == 0
    path = shards[0] / "results.jsonl"
    data = path.read_bytes()
    cut = len(data) - len(data.splitlines()[-1]) // 2 - 1  # the last line loses its second half and its newline
    path.write_bytes(data[:cut])

    assert run(str(suite), "--resume", str(shards[0]), "--shard", "1/2") == 0

    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert all(line.endswith("\n") for line in lines)
    assert all(CaseResult.model_validate_json(line) for line in lines)
    assert main(["report", str(shards[0])]) == 0
    assert main(["merge", *map(str, shards), "--out", str(tmp_path / "merged")]) == 0
    assert len(results(tmp_path / "merged")) == 20


def test_resume_reruns_the_cases_whose_inputs_changed_and_says_how_many(
    suite: Path, tmp_path: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert run(str(suite), "--out", str(out)) == 0
    before = results(out)
    assert all(r.fingerprint for r in before.values())

    # nothing changed: nothing runs again
    emulator.clear_requests()
    capsys.readouterr()
    assert run(str(suite), "--resume", str(out)) == 0
    assert "resuming: 20 of 20 cases already done" in capsys.readouterr().err
    assert not emulator.requests("Converse")

    # another model id behind the name `haiku`: its ten cases run again, sonnet's are kept
    edit_suite(suite, lambda d: d["models"].update(haiku=SONNET))
    assert run(str(suite), "--resume", str(out)) == 0
    err = capsys.readouterr().err
    assert "resuming: 10 of 20 cases already done; 10 run again because their inputs changed" in err
    after = results(out)
    assert {r.model_id for r in after.values() if r.model == "haiku"} == {SONNET}
    assert all(after[i].fingerprint != before[i].fingerprint for i in after if after[i].model == "haiku")
    assert all(after[i] == before[i] for i in after if after[i].model == "sonnet")

    # a changed check: every case runs again
    edit_suite(suite, lambda d: d["evaluations"][0].update(metrics=["token_f1", "exact_match"]))
    assert run(str(suite), "--resume", str(out)) == 0
    assert "20 run again because their inputs changed" in capsys.readouterr().err
    assert all({m.name for m in r.metrics} == {"token_f1", "exact_match"} for r in results(out).values())

    # a changed prompt template: every case runs again
    edit_suite(suite, lambda d: d["evaluations"][0].update(prompt="Answer briefly. {{prompt}}"))
    assert run(str(suite), "--resume", str(out)) == 0
    assert "20 run again because their inputs changed" in capsys.readouterr().err


def test_a_changed_threshold_reruns_nothing(suite: Path, tmp_path: Path, emulator: Emulator) -> None:
    out = tmp_path / "out"
    assert run(str(suite), "--out", str(out)) == 0
    edit_suite(suite, lambda d: d["evaluations"][0].update(thresholds={"token_f1": {"min": 0.0}}))
    emulator.clear_requests()
    assert run(str(suite), "--resume", str(out)) == 0
    assert not emulator.requests("Converse")


def test_results_without_fingerprints_from_an_older_version_run_again(
    suite: Path, tmp_path: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    edit_suite(suite, lambda d: d["models"].update(haiku=HAIKU))
    assert run(str(suite), "--out", str(out)) == 0
    old = [json.loads(c.model_dump_json(exclude={"fingerprint"})) for c in read_cases(out / "results.jsonl")]
    (out / "results.jsonl").write_text("".join(json.dumps(o) + "\n" for o in old), encoding="utf-8")
    emulator.clear_requests()
    capsys.readouterr()

    assert run(str(suite), "--resume", str(out)) == 0

    assert "20 run again because their inputs changed" in capsys.readouterr().err
    assert len(emulator.requests("Converse")) == 20
    assert all(r.fingerprint for r in results(out).values())


def test_resume_of_a_missing_directory_is_an_error_and_starts_nothing(
    suite: Path, tmp_path: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert run(str(suite), "--resume", str(missing)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(missing) in err[0] and "--out" in err[0]
    assert not missing.exists()
    assert not emulator.requests("Converse")

    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(str(suite), "--resume", str(empty)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(empty) in err[0]
    assert not emulator.requests("Converse")
