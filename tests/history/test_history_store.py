"""The history store: `evalcore history record` appends one compact record of a run to a file or an S3 prefix;
appends from two writers at once stay whole; a cut last line is skipped with a warning, a corrupt one fails."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from evalcore.app.cli import main
from evalcore.app.history_store import HistoryStore
from evalcore.domain.history import HistoryRecord
from tests.history.history_fixtures import MODEL_ID, run_dir


def _score(i: int) -> float:
    return [0.0, 0.5, 1.0, 0.75][i % 4]


def test_history_record_appends_a_compact_record_of_the_run(tmp_path: Path) -> None:
    results = run_dir(tmp_path / "r1", 1, _score)
    store = tmp_path / "hist" / "history.jsonl"
    assert main(["history", "record", str(results), "--store", str(store)]) == 0
    lines = store.read_text().splitlines()
    assert len(lines) == 1
    record = HistoryRecord.model_validate_json(lines[0])
    assert (record.suite, record.suite_hash, record.run_id, record.ref) == (
        "codes",
        "hash1",
        "run001",
        "refs/heads/main",
    )
    assert record.commit == hashlib.sha1(b"1").hexdigest()
    entry = record.entries[0]
    assert (entry.section, entry.model, entry.model_id, entry.cases, entry.tokens) == ("qa", "m", MODEL_ID, 40, 600)
    assert entry.cost_usd == pytest.approx(0.04)
    assert entry.error_rate == 0 and entry.pass_rate == pytest.approx(0.75)
    correctness = entry.metrics["Builtin.Correctness"]
    assert correctness.n == 40 and correctness.mean == pytest.approx(0.5625)
    assert correctness.low is not None and correctness.high is not None and correctness.label.startswith("95% ")
    assert "pass_rate" in entry.metrics
    scores = entry.item_scores("Builtin.Correctness")
    assert len(scores) == 40 and sorted(set(scores.values())) == [0.0, 0.5, 0.75, 1.0]
    assert set(entry.item_scores("error_rate").values()) == {0}
    assert ",1," in lines[0] and ",1.0," not in lines[0]  # whole scores are written as integers, not 1.0
    assert lines[0].startswith('{"history":1,')  # the format's version


def test_a_second_record_is_appended_after_the_first(tmp_path: Path) -> None:
    store = tmp_path / "history.jsonl"
    for n in (1, 2):
        assert main(["history", "record", str(run_dir(tmp_path / f"r{n}", n, _score)), "--store", str(store)]) == 0
    assert [r.run_id for r in HistoryStore(str(store)).read()] == ["run001", "run002"]
    assert [r.run_id for r in HistoryStore(str(store)).read(last=1)] == ["run002"]
    assert HistoryStore(str(store)).read(suite="other") == []


def _append_many(store: str, record_json: str, writer: int) -> None:
    record = HistoryRecord.model_validate_json(record_json)
    for i in range(40):
        HistoryStore(store).append(record.model_copy(update={"run_id": f"w{writer}-{i}"}))


def test_two_writers_appending_at_once_leave_every_record_whole(tmp_path: Path) -> None:
    store = tmp_path / "history.jsonl"
    main(["history", "record", str(run_dir(tmp_path / "r1", 1, _score, items=400)), "--store", str(store)])
    record = store.read_text()
    store.unlink()
    ctx = multiprocessing.get_context("spawn")
    writers = [ctx.Process(target=_append_many, args=(str(store), record, w)) for w in range(2)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(60)
        assert w.exitcode == 0
    runs = [json.loads(line)["run_id"] for line in store.read_text().splitlines()]
    assert sorted(runs) == sorted(f"w{w}-{i}" for w in range(2) for i in range(40))


def test_a_cut_last_record_is_skipped_with_a_warning_and_cut_before_the_next_append(tmp_path: Path) -> None:
    store = tmp_path / "history.jsonl"
    main(["history", "record", str(run_dir(tmp_path / "r1", 1, _score)), "--store", str(store)])
    with store.open("a") as fh:
        fh.write('{"history":1,"suite":"codes","run_id":"cut')
    warnings: list[str] = []
    assert [r.run_id for r in HistoryStore(str(store), warn=warnings.append).read()] == ["run001"]
    assert len(warnings) == 1 and "cut short" in warnings[0] and ":2:" in warnings[0]
    main(["history", "record", str(run_dir(tmp_path / "r2", 2, _score)), "--store", str(store)])
    assert [r.run_id for r in HistoryStore(str(store)).read()] == ["run001", "run002"]


def test_a_corrupt_record_inside_the_history_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "history.jsonl"
    store.write_text('{"not": "a record"}\n')
    main(["history", "record", str(run_dir(tmp_path / "r1", 1, _score)), "--store", str(store)])
    capsys.readouterr()
    assert main(["history", str(store)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{store}:1: not a history record" in err
    store.write_text('{"history":2,"suite":"codes","run_id":"x","started_at":0}\n')
    assert main(["history", str(store)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{store}:1: history format 2" in err


def test_a_shard_is_not_recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = run_dir(tmp_path / "r1", 1, _score, shard="1/2")
    assert main(["history", "record", str(results), "--store", str(tmp_path / "h.jsonl")]) == 2
    assert "a shard (1/2)" in capsys.readouterr().err
    assert not (tmp_path / "h.jsonl").exists()


def test_a_directory_without_results_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "record", str(tmp_path), "--store", str(tmp_path / "h.jsonl")]) == 2
    assert "results.json: not found" in capsys.readouterr().err


@mock_aws
def test_an_s3_history_keeps_one_object_per_run_and_reads_the_newest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="evals")
    store = HistoryStore("s3://evals/history/", s3=s3)
    first = run_dir(tmp_path / "r1", 1, _score)
    main(["history", "record", str(first), "--store", str(tmp_path / "h.jsonl")])
    record = HistoryStore(str(tmp_path / "h.jsonl")).read()[0]
    for n in range(5):  # five runs started at the same moment: five objects, none overwritten
        store.append(record.model_copy(update={"run_id": f"run-{n}"}))
    later = record.model_copy(update={"run_id": "later", "started_at": record.started_at + 60})
    store.append(later)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="evals")["Contents"]]
    assert len(keys) == 6 and all(k.startswith("history/codes/") for k in keys)
    assert [r.run_id for r in store.read("codes", last=2)] == ["run-4", "later"]
    assert len(store.read()) == 6
    assert store.read("other") == []


@mock_aws
def test_the_cli_records_to_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="evals")
    assert main(["history", "record", str(run_dir(tmp_path / "r1", 1, _score)), "--store", "s3://evals/h"]) == 0
    assert [o["Key"].split("/")[1] for o in s3.list_objects_v2(Bucket="evals")["Contents"]] == ["codes"]
    assert main(["history", "record", str(run_dir(tmp_path / "r1", 1, _score)), "--store", "s3://nobucket/h"]) == 3


@mock_aws
def test_an_s3_history_keeps_apart_suites_whose_names_share_a_key_prefix(tmp_path: Path) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="evals")
    store = HistoryStore("s3://evals/", s3=s3)
    main(["history", "record", str(run_dir(tmp_path / "r1", 1, _score)), "--store", str(tmp_path / "h.jsonl")])
    record = HistoryStore(str(tmp_path / "h.jsonl")).read()[0]
    store.append(record.model_copy(update={"suite": "a b"}))
    store.append(record.model_copy(update={"suite": "a-b", "run_id": "other"}))
    assert [r.suite for r in store.read("a b")] == ["a b"]
