"""Shards and merge: n `--shard i/n` runs merged give the results, reports and verdict of one run; merging refuses
missing shards, other suites and runs that are not shards."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evalcore.app.cli import main
from evalcore.app.merge import merge_shards
from evalcore.app.orchestrate import RunOptions, run_suite
from evalcore.domain.results import CASES_FILE, RUN_FILE, read_cases, read_run
from evalcore.suite.problems import InputError
from evalcore_emulator import Emulator

QUICKSTART = Path(__file__).parent.parent / "examples" / "quickstart"


@pytest.fixture
def suite(tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    shutil.copytree(QUICKSTART, tmp_path / "quickstart")
    return tmp_path / "quickstart" / "suite.yml"


def _run(suite: Path, out: Path, shard: str | None = None) -> int:
    return run_suite(RunOptions(suite=suite, out=out, shard=shard, progress=False, cache_dir=None)).exit_code


def _comparable(directory: Path) -> dict[str, tuple]:
    return {
        c.case_id: (c.status, c.output, tuple((m.name, m.value) for m in c.metrics))
        for c in read_cases(directory / CASES_FILE)
    }


def test_merged_shards_equal_a_single_run(suite: Path, tmp_path: Path) -> None:
    single_code = _run(suite, tmp_path / "single")
    shard_dirs = [tmp_path / f"shard{i}" for i in (1, 2, 3)]
    for i, directory in enumerate(shard_dirs, start=1):
        _run(suite, directory, f"{i}/3")
        shard_run = read_run(directory / RUN_FILE)
        assert all(s.status == "ran" for s in shard_run.sections)  # a shard counts only its own cases
    outcome = merge_shards(shard_dirs, tmp_path / "merged")
    assert outcome.exit_code == single_code
    assert _comparable(tmp_path / "merged") == _comparable(tmp_path / "single")
    merged, single = read_run(tmp_path / "merged" / RUN_FILE), read_run(tmp_path / "single" / RUN_FILE)
    assert merged.verdict is not None and single.verdict is not None
    assert merged.verdict.status == single.verdict.status
    assert [c.value for c in merged.verdict.checks] == [c.value for c in single.verdict.checks]
    assert [(s.name, s.status, s.planned) for s in merged.sections] == [
        (s.name, s.status, s.planned) for s in single.sections
    ]


def test_a_missing_shard_is_named_and_the_merge_refused(
    suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(suite, tmp_path / "s1", "1/3")
    _run(suite, tmp_path / "s3", "3/3")
    assert main(["merge", str(tmp_path / "s1"), str(tmp_path / "s3"), "--out", str(tmp_path / "m")]) == 2
    assert "missing shard(s) 2/3" in capsys.readouterr().err


def test_shards_of_a_changed_suite_do_not_merge(suite: Path, tmp_path: Path) -> None:
    _run(suite, tmp_path / "s1", "1/2")
    dataset = suite.parent / "datasets" / "qa.jsonl"
    dataset.write_text(dataset.read_text() + json.dumps({"prompt": "new?", "referenceResponse": "yes"}) + "\n")
    _run(suite, tmp_path / "s2", "2/2")
    with pytest.raises(InputError, match="cannot merge"):
        merge_shards([tmp_path / "s1", tmp_path / "s2"], tmp_path / "m")


def test_a_run_that_is_not_a_shard_is_refused(suite: Path, tmp_path: Path) -> None:
    _run(suite, tmp_path / "whole")
    with pytest.raises(InputError, match="not a shard"):
        merge_shards([tmp_path / "whole"], tmp_path / "m")


def test_merge_writes_junit_with_the_failures_it_is_asked_for(suite: Path, tmp_path: Path) -> None:
    from junitparser import Failure, JUnitXml

    shard_dirs = [tmp_path / f"shard{i}" for i in (1, 2)]
    for i, directory in enumerate(shard_dirs, start=1):
        _run(suite, directory, f"{i}/2")

    def case_failures(out: Path) -> int:
        tests = [c for s in JUnitXml.fromfile(str(out / "junit.xml")) for c in s if not c.name.startswith("threshold ")]
        return sum(isinstance(r, Failure) for c in tests for r in c.result)

    gate = main(["merge", *map(str, shard_dirs), "--out", str(tmp_path / "gate")])
    cases = main(["merge", *map(str, shard_dirs), "--out", str(tmp_path / "cases"), "--junit-failures", "cases"])

    failed = sum(c.status == "fail" for c in read_cases(tmp_path / "cases" / CASES_FILE))
    assert gate == cases == 0 and failed > 0  # the quick start passes its thresholds with some failed cases
    assert case_failures(tmp_path / "gate") == 0
    assert case_failures(tmp_path / "cases") == failed


def test_the_merge_counts_every_shards_dropped_cache_entries(suite: Path, tmp_path: Path) -> None:
    """Each shard found bad response cache entries, removed them and asked again: the merged run says how many in
    all (before, the merge said 0)."""
    cache = tmp_path / "cache"
    for i in (1, 2):
        run_suite(RunOptions(suite=suite, out=tmp_path / f"warm{i}", shard=f"{i}/2", progress=False, cache_dir=cache))
    for entry in (p for p in cache.rglob("*") if p.is_file()):
        entry.write_bytes(entry.read_bytes()[:-5] + b"edit}")  # an edited value: its digest no longer matches
    shard_dirs = [tmp_path / f"shard{i}" for i in (1, 2)]
    for i, directory in enumerate(shard_dirs, start=1):
        run_suite(RunOptions(suite=suite, out=directory, shard=f"{i}/2", progress=False, cache_dir=cache))
    dropped = [read_run(d / RUN_FILE).run.cache_entries_dropped for d in shard_dirs]
    assert all(n > 0 for n in dropped)
    merge_shards(shard_dirs, tmp_path / "merged")
    assert read_run(tmp_path / "merged" / RUN_FILE).run.cache_entries_dropped == sum(dropped)
