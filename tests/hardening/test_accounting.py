"""Every planned case is accounted for: a run, a resume or a merge whose results file holds fewer final results
than the plan has cases fails the gate (exit 3, verdict `error`, how many are missing), and an output directory is
owned by one run at a time (a second `run`, `--resume` or `merge --out` on it is refused with one line, exit 3)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from evalcore.app.cli import main
from evalcore_emulator import Emulator
from tests.direct_suite import cli, results, use_emulator, world, write_suite

SLOW = [{"kind": "latency", "operation": "Converse", "latency_ms": 400}]


@pytest.fixture
def suite(tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_emulator(monkeypatch, emulator)
    return write_suite(tmp_path / "suite")  # 10 questions x 2 models = 20 cases


def verdict_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "results.json").read_text(encoding="utf-8"))["verdict"]


def wait_for_lines(path: Path, count: int, proc: Any) -> None:
    deadline = time.monotonic() + 60
    while not (path.exists() and len(path.read_text(encoding="utf-8").splitlines()) >= count):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)


@pytest.mark.parametrize("resume", [False, True], ids=["run", "resume"])
def test_a_results_file_cut_while_the_run_writes_fails_the_gate_with_the_missing_count(
    suite: Path, tmp_path: Path, emulator: Emulator, resume: bool
) -> None:
    out = tmp_path / "out"
    if resume:  # a cancelled run's directory with half of the cases done: the resume runs the rest
        assert main(["run", str(suite), "--out", str(out), "--no-cache", "--quiet"]) == 0
        lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
        (out / "results.jsonl").write_text("".join(lines[:10]), encoding="utf-8")
    emulator.set_world(world(faults=SLOW))
    args = ["--resume", str(out)] if resume else ["--out", str(out)]
    proc = cli(emulator, "run", str(suite), *args, "--no-cache", "--quiet", "--concurrency", "2")
    wait_for_lines(out / "results.jsonl", 11 if resume else 1, proc)
    os.truncate(out / "results.jsonl", 0)  # someone else empties the file while the run appends to it
    stdout, stderr = proc.communicate(timeout=120)

    assert proc.returncode == 3, stdout + stderr
    assert "Traceback" not in stderr
    verdict = verdict_of(out)
    assert verdict["status"] == "error" and verdict["exit_code"] == 3
    done = len(results(out))
    assert 0 < done < 20
    assert f"qa: {20 - done} of 20 planned cases have no result" in verdict["reasons"]
    assert f"qa: {20 - done} of 20 planned cases have no result" in stdout


def test_a_merge_whose_shard_lost_results_fails_and_names_the_shard(
    suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shards = [tmp_path / "s1", tmp_path / "s2"]
    for i, directory in enumerate(shards, start=1):
        assert main(["run", str(suite), "--out", str(directory), "--shard", f"{i}/2", "--quiet"]) == 0
    lines = (shards[1] / "results.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    planned = len(lines)
    (shards[1] / "results.jsonl").write_text(lines[0], encoding="utf-8")  # the shard kept one result
    capsys.readouterr()

    merged = tmp_path / "merged"
    code = main(["merge", *map(str, shards), "--out", str(merged)])

    out = capsys.readouterr().out
    assert code == 3
    verdict = verdict_of(merged)
    assert verdict["status"] == "error"
    missing = planned - 1
    assert f"qa: {missing} of 20 planned cases have no result" in verdict["reasons"]
    assert f"shard 2/2 ({shards[1]}): {missing} of {planned} planned cases have no result" in verdict["reasons"]
    assert "planned cases have no result" in out
    section = json.loads((merged / "results.json").read_text(encoding="utf-8"))["sections"][0]
    assert section["planned"] == 20 and section["status"] == "partial"
    # the report of the directory agrees with the merge: it is re-rendered from the same results.json
    assert main(["report", str(merged)]) == 0
    assert "planned cases have no result" in (merged / "summary.md").read_text(encoding="utf-8")


def test_a_shard_directory_holding_another_shards_results_does_not_fill_the_gap(
    suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shards = [tmp_path / "s1", tmp_path / "s2"]
    for i, directory in enumerate(shards, start=1):
        assert main(["run", str(suite), "--out", str(directory), "--shard", f"{i}/2", "--quiet"]) == 0
    # shard 2 lost every result but its directory holds shard 1's (a copy gone wrong)
    first = (shards[0] / "results.jsonl").read_text(encoding="utf-8")
    lost = len((shards[1] / "results.jsonl").read_text(encoding="utf-8").splitlines())
    (shards[1] / "results.jsonl").write_text(first, encoding="utf-8")

    assert main(["merge", *map(str, shards), "--out", str(tmp_path / "merged")]) == 3
    reasons = verdict_of(tmp_path / "merged")["reasons"]
    assert f"shard 2/2 ({shards[1]}): {lost} of {lost} planned cases have no result" in reasons


def test_a_second_run_on_a_directory_in_use_is_refused_until_the_owner_is_gone(
    suite: Path, tmp_path: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    shards = [tmp_path / "s1", tmp_path / "s2"]
    for i, directory in enumerate(shards, start=1):
        assert main(["run", str(suite), "--out", str(directory), "--shard", f"{i}/2", "--quiet"]) == 0
    capsys.readouterr()
    out = tmp_path / "busy"
    emulator.set_world(world(faults=SLOW))
    owner = cli(emulator, "run", str(suite), "--out", str(out), "--no-cache", "--quiet", "--concurrency", "1")
    wait_for_lines(out / "results.jsonl", 1, owner)

    refused = [
        main(["run", str(suite), "--out", str(out), "--no-cache", "--quiet"]),
        main(["run", str(suite), "--resume", str(out), "--no-cache", "--quiet"]),
        main(["merge", *map(str, shards), "--out", str(out)]),
    ]
    err = capsys.readouterr().err.strip().splitlines()

    assert refused == [3, 3, 3]
    assert len(err) == 3
    for line in err:
        assert str(out) in line and "another evalcore" in line and "Traceback" not in line
    assert (out / "results.jsonl").exists() and owner.poll() is None  # the owner's results were not touched

    owner.send_signal(signal.SIGKILL)  # killed hard: the kernel lets go of the lock
    owner.communicate(timeout=30)
    emulator.set_world(None)
    assert main(["run", str(suite), "--resume", str(out), "--no-cache", "--quiet"]) == 0
    assert len(results(out)) == 20
