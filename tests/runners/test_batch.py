"""Batch inference (`mode: batch|auto`) end to end: evalcore against the emulator's CreateModelInvocationJob,
records and answers in moto's S3, everything through boto3 over HTTP; answers scored as direct mode scores them."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalcore.app.cli import main
from evalcore.domain.plan import build_plan
from evalcore.domain.results import CaseResult
from evalcore.suite.load import load_suite
from evalcore.suite.problems import InputError
from evalcore_emulator import Emulator
from tests.direct_suite import HAIKU, SONNET, records, results, run, use_emulator, world, write_suite

ROLE = "arn:aws:iam::123456789012:role/BedrockBatchRole"
MINIMUM = 5  # the emulator's and the suite's minimum records per job in these tests (Bedrock's is 100)
METRICS: list[Any] = ["token_f1", {"contains": "{{referenceResponse}}"}, "Builtin.Correctness"]


@pytest.fixture
def bucket(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"batch-{uuid.uuid4().hex[:12]}"
    emulator.set_world(_world(buckets=[name]))
    use_emulator(monkeypatch, emulator)
    return name


@pytest.fixture
def in_thread() -> Iterator[Any]:
    threads: list[threading.Thread] = []

    def start(target: Any) -> dict[str, Any]:
        box: dict[str, Any] = {}
        thread = threading.Thread(target=lambda: box.update(outcome=target()), daemon=True)
        thread.start()
        threads.append(thread)
        box["thread"] = thread
        return box

    yield start
    for thread in threads:
        thread.join(30)


def _world(**changes: Any) -> Any:
    jobs = {"duration_seconds": 0.05, "batch_min_records": MINIMUM, **changes.pop("jobs", {})}
    return world(jobs=jobs, **changes)


def _suite(folder: Path, bucket: str, mode: str = "batch", **batch: Any) -> Path:
    settings = {"role_arn": ROLE, "s3_uri": f"s3://{bucket}/batch", "poll_seconds": 0.2, "min_records": MINIMUM}
    return write_suite(folder, metrics=METRICS, mode=mode, batch={**settings, **batch})


def _jobs(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / "jobs.json").read_text())["jobs"]


def _wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_batch_section_sends_one_job_per_model_and_scores_every_case_here(
    emulator: Emulator, bucket: str, tmp_path: Path
) -> None:
    outcome = run(_suite(tmp_path, bucket), tmp_path / "out")

    cases = results(tmp_path / "out")
    assert outcome.exit_code == 0 and len(cases) == 20
    assert len(emulator.requests("CreateModelInvocationJob")) == 2
    assert len(emulator.requests("Converse")) == 20  # only the judge, once a case: the answers came from the jobs
    for case in cases.values():
        assert case.status in ("pass", "fail"), case.reason
        assert case.output and case.stop_reason == "end_turn" and case.latency_ms is None
        assert case.usage.input_tokens > 0 and case.usage.output_tokens > 0
        assert {m.name for m in case.metrics} == {"token_f1", "contains", "Builtin.Correctness"}
    s3 = emulator.client("s3")
    for job in _jobs(tmp_path / "out"):
        found = emulator.client("bedrock").get_model_invocation_job(jobIdentifier=job["arn"])
        assert found["status"] == "Completed" and found["roleArn"] == ROLE
        body = s3.get_object(Bucket=bucket, Key=job["dataset_key"])["Body"].read().decode()
        lines = [json.loads(line) for line in body.splitlines()]
        assert [line["recordId"] for line in lines] == job["case_ids"]
        first = lines[0]["modelInput"]
        assert first["anthropic_version"] == "bedrock-2023-05-31" and first["max_tokens"] == 128
        assert first["messages"][0]["content"][0]["text"] == cases[lines[0]["recordId"]].prompt


def test_batch_results_equal_a_direct_run_of_the_same_suite_on_the_same_world(
    emulator: Emulator, bucket: str, tmp_path: Path
) -> None:
    run(write_suite(tmp_path / "direct", metrics=METRICS), tmp_path / "direct-out")
    run(_suite(tmp_path / "batch", bucket), tmp_path / "batch-out")

    direct, batch = results(tmp_path / "direct-out"), results(tmp_path / "batch-out")

    def seen(case: CaseResult) -> tuple[Any, ...]:
        scores = [(m.name, m.value, m.passed, m.error) for m in case.metrics]
        return case.prompt, case.output, case.status, case.reason, scores, case.usage, case.stop_reason

    assert direct.keys() == batch.keys()
    assert {k: seen(c) for k, c in batch.items()} == {k: seen(c) for k, c in direct.items()}
    for case_id, case in batch.items():
        assert case.cost_usd == pytest.approx(direct[case_id].cost_usd / 2)  # the batch price


def test_auto_batches_a_model_with_enough_cases_and_runs_a_smaller_section_direct(
    emulator: Emulator, bucket: str, tmp_path: Path
) -> None:
    big = _suite(tmp_path / "big", bucket, mode="auto", auto_threshold=10)
    small = write_suite(
        tmp_path / "small",
        metrics=METRICS,
        rows=records(4),
        mode="auto",
        batch={"role_arn": ROLE, "s3_uri": f"s3://{bucket}/batch", "auto_threshold": 10},
    )

    run(big, tmp_path / "big-out")
    assert len(emulator.requests("CreateModelInvocationJob")) == 2
    assert len(emulator.requests("Converse")) == 20  # the judge only
    emulator.clear_requests()
    run(small, tmp_path / "small-out")

    assert emulator.requests("CreateModelInvocationJob") == []
    assert len(emulator.requests("Converse")) == 16  # 8 answers and 8 verdicts
    assert all(c.status in ("pass", "fail") for c in results(tmp_path / "small-out").values())


def test_mode_batch_below_the_minimum_records_is_refused_when_the_suite_loads(bucket: str, tmp_path: Path) -> None:
    suite = _suite(tmp_path, bucket, min_records=100)

    with pytest.raises(InputError) as raised:
        load_suite(suite)

    assert "Bedrock refuses a batch job of fewer than 100 records" in str(raised.value)
    assert "10 case(s) per model" in str(raised.value)


def test_a_failed_record_makes_its_case_an_error_with_the_records_message(
    emulator: Emulator, bucket: str, tmp_path: Path
) -> None:
    fault = {"kind": "model_error", "operation": "ModelInvocationJobRecord", "target": HAIKU, "first": 1}
    emulator.set_world(_world(buckets=[bucket], faults=[fault]))

    run(_suite(tmp_path, bucket), tmp_path / "out")

    cases = results(tmp_path / "out").values()
    (failed,) = [c for c in cases if c.status == "error"]
    assert failed.model_id == HAIKU and failed.metrics == [] and failed.output is None
    assert failed.reason is not None and failed.reason.startswith("model call failed in batch job")
    assert "ModelErrorException: The model returned an error." in failed.reason
    assert sum(c.status in ("pass", "fail") for c in cases) == 19


def test_cancel_stops_the_running_batch_jobs(emulator: Emulator, bucket: str, tmp_path: Path, in_thread: Any) -> None:
    emulator.set_world(_world(buckets=[bucket], jobs={"never_finish_name_pattern": "."}))
    cancel = threading.Event()
    box = in_thread(lambda: run(_suite(tmp_path, bucket), tmp_path / "out", cancel=cancel))
    _wait_for(lambda: len(emulator.requests("GetModelInvocationJob")) >= 2)

    cancel.set()
    box["thread"].join(20)

    assert len(emulator.requests("StopModelInvocationJob")) == 2
    cases = results(tmp_path / "out").values()
    assert len(cases) == 20 and all(c.status == "error" and c.reason == "cancelled; job stopped" for c in cases)
    client = emulator.client("bedrock")
    statuses = {client.get_model_invocation_job(jobIdentifier=j["arn"])["status"] for j in _jobs(tmp_path / "out")}
    assert statuses <= {"Stopping", "Stopped"}
    assert box["outcome"].exit_code == 3


def test_resume_reattaches_to_batch_jobs_left_running_by_a_timeout(
    emulator: Emulator, bucket: str, tmp_path: Path
) -> None:
    emulator.set_world(_world(buckets=[bucket], jobs={"duration_seconds": 1.5}))
    first = run(_suite(tmp_path, bucket, timeout_minutes=0.005), tmp_path / "out")
    assert first.exit_code == 3
    assert all("--resume re-attaches" in (c.reason or "") for c in results(tmp_path / "out").values())
    emulator.clear_requests()

    second = run(_suite(tmp_path, bucket), tmp_path / "out", resume=True)

    assert emulator.requests("CreateModelInvocationJob") == []
    assert len(emulator.requests("GetModelInvocationJob")) >= 2
    assert second.exit_code == 0
    latest = results(tmp_path / "out")
    assert len(latest) == 20 and all(c.status in ("pass", "fail") for c in latest.values())


def test_dry_run_prints_the_batch_job_requests_and_creates_nothing(
    emulator: Emulator, bucket: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _suite(tmp_path, bucket)

    code = main(["run", str(suite), "--out", str(tmp_path / "out"), "--dry-run"])

    assert code == 0
    (section,) = json.loads(capsys.readouterr().out)["sections"]
    requests = sorted((r["input"] for r in section["requests"]), key=lambda r: r["modelId"])
    assert [r["modelId"] for r in requests] == sorted([HAIKU, SONNET]) and all(r["roleArn"] == ROLE for r in requests)
    assert [w["records"] for w in section["writes"]] == [10, 10]
    assert section["calls"] == [{"operation": "bedrock-runtime:Converse (judge)", "target": SONNET, "count": 20}]
    assert emulator.requests() == []
    assert emulator.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    assert not (tmp_path / "out").exists()


def test_the_plan_counts_batch_records_as_jobs_and_only_judge_calls_as_calls(tmp_path: Path) -> None:
    settings = {"role_arn": ROLE, "s3_uri": "s3://evalcore-batch/in", "min_records": MINIMUM, "max_records_per_job": 4}
    batched = write_suite(tmp_path / "batch", metrics=METRICS, mode="batch", batch=settings)
    [section] = build_plan(load_suite(batched)).sections
    assert (section.cases, section.model_calls) == (20, 20)  # 10 items x 2 models, one judge call each
    assert section.note == "6 batch job(s) of 20 records"  # per model: 10 records, at most 4 a job
    direct = write_suite(tmp_path / "auto", metrics=METRICS, mode="auto", batch={**settings, "auto_threshold": 11})
    [section] = build_plan(load_suite(direct)).sections
    assert (section.model_calls, section.note) == (40, "")  # under the auto threshold: every answer a call
