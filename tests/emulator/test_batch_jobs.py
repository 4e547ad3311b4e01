"""Batch inference (model invocation jobs) through boto3 over HTTP, records in and out of moto's S3."""

from __future__ import annotations

import functools
import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from evalcore_emulator import Emulator
from evalcore_emulator.world import load_world

ROLE = "arn:aws:iam::123456789012:role/BedrockBatch"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TERMINAL = {"Completed", "PartiallyCompleted", "Failed", "Stopped"}


def _anthropic(text: str) -> dict[str, Any]:
    return {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
    }


_BASE_WORLD = load_world()


@functools.cache
def _client(emulator: Emulator, service: str) -> Any:
    """One client per service for the session's emulator (clients are thread-safe and costly to build)."""
    return emulator.client(service)


@pytest.fixture
def batch(emulator: Emulator) -> Emulator:
    world = _BASE_WORLD.model_copy(deep=True)
    world.models[HAIKU].quality = 1.0
    world.jobs = world.jobs.model_copy(update={"duration_seconds": 0.05, "batch_min_records": 3})
    emulator.set_world(world)
    return emulator


@pytest.fixture
def bucket(batch: Emulator) -> str:
    name = f"batch-{uuid.uuid4().hex[:12]}"
    _client(batch, "s3").create_bucket(Bucket=name)
    return name


def _put(emulator: Emulator, bucket: str, key: str, records: list[dict[str, Any]]) -> None:
    body = "\n".join(json.dumps(r) for r in records).encode()
    _client(emulator, "s3").put_object(Bucket=bucket, Key=key, Body=body)


def _create(emulator: Emulator, bucket: str, input_key: str, name: str | None = None, **extra: Any) -> str:
    return _client(emulator, "bedrock").create_model_invocation_job(
        jobName=name or f"batch-{uuid.uuid4().hex[:8]}",
        roleArn=ROLE,
        modelId=HAIKU,
        inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{bucket}/{input_key}"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}/output/"}},
        **extra,
    )["jobArn"]


def _wait(emulator: Emulator, arn: str) -> dict:
    client = _client(emulator, "bedrock")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        job = client.get_model_invocation_job(jobIdentifier=arn)
        if job["status"] in TERMINAL:
            return job
        time.sleep(0.02)
    raise AssertionError(f"{arn} did not finish")


def _read_lines(emulator: Emulator, bucket: str, key: str) -> list[dict]:
    body = _client(emulator, "s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return [json.loads(line) for line in body.splitlines()]


def test_batch_job_answers_every_record_and_writes_out_files_and_manifest(batch: Emulator, bucket: str) -> None:
    questions = ["What is 2 + 2?", "What is the capital of Japan?", "Who painted the Mona Lisa?"]
    records = [{"recordId": f"rec-{i}", "modelInput": _anthropic(q)} for i, q in enumerate(questions)]
    _put(batch, bucket, "input/questions.jsonl", records)

    arn = _create(batch, bucket, "input/questions.jsonl")
    job = _wait(batch, arn)

    assert job["status"] == "Completed"
    assert (job["totalRecordCount"], job["processedRecordCount"], job["successRecordCount"]) == (3, 3, 3)
    job_id = arn.rsplit("/", 1)[-1]
    out = _read_lines(batch, bucket, f"output/{job_id}/questions.jsonl.out")
    assert [line["recordId"] for line in out] == ["rec-0", "rec-1", "rec-2"]
    assert out[0]["modelInput"] == records[0]["modelInput"]
    assert out[1]["modelOutput"]["content"][0]["text"] == "The capital of Japan is Tokyo."
    (manifest,) = _read_lines(batch, bucket, f"output/{job_id}/manifest.json.out")
    assert manifest["successRecordCount"] == 3 and manifest["errorRecordCount"] == 0
    assert manifest["outputTokenCount"] > 0


def test_records_the_model_cannot_read_get_an_error_line(batch: Emulator, bucket: str) -> None:
    records = [{"recordId": str(i), "modelInput": _anthropic("What is 2 + 2?")} for i in range(3)]
    records.append({"recordId": "broken", "modelInput": {"unexpected": True}})
    _put(batch, bucket, "in/mixed.jsonl", records)

    arn = _create(batch, bucket, "in/mixed.jsonl")
    job = _wait(batch, arn)

    assert job["status"] == "PartiallyCompleted"
    assert job["errorRecordCount"] == 1
    broken = _read_lines(batch, bucket, f"output/{arn.rsplit('/', 1)[-1]}/mixed.jsonl.out")[-1]
    assert broken["recordId"] == "broken" and "modelOutput" not in broken
    assert broken["error"]["errorCode"] == 400


def test_converse_invocation_type_takes_converse_requests(batch: Emulator, bucket: str) -> None:
    converse = {"messages": [{"role": "user", "content": [{"text": "What is 2 + 2?"}]}]}
    _put(batch, bucket, "in/c.jsonl", [{"recordId": str(i), "modelInput": converse} for i in range(3)])

    arn = _create(batch, bucket, "in/c.jsonl", modelInvocationType="Converse")
    _wait(batch, arn)

    first = _read_lines(batch, bucket, f"output/{arn.rsplit('/', 1)[-1]}/c.jsonl.out")[0]
    assert first["modelOutput"]["output"]["message"]["content"] == [{"text": "2 + 2 equals 4."}]
    assert first["modelOutput"]["stopReason"] == "end_turn"


def test_fewer_records_than_the_minimum_is_a_validation_error(batch: Emulator, bucket: str) -> None:
    _put(batch, bucket, "in/small.jsonl", [{"recordId": "1", "modelInput": _anthropic("hi")}])

    with pytest.raises(ClientError) as caught:
        _create(batch, bucket, "in/small.jsonl")

    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "minimum of 3 records" in caught.value.response["Error"]["Message"]


def test_stop_and_list(batch: Emulator, bucket: str) -> None:
    batch.set_world(
        batch.world.model_copy(update={"jobs": batch.world.jobs.model_copy(update={"duration_seconds": 5})})
    )
    _put(batch, bucket, "in/q.jsonl", [{"recordId": str(i), "modelInput": _anthropic("hi")} for i in range(3)])
    name = f"stop-{uuid.uuid4().hex[:8]}"
    arn = _create(batch, bucket, "in/q.jsonl", name=name)
    client = _client(batch, "bedrock")

    assert client.get_model_invocation_job(jobIdentifier=arn)["status"] == "Submitted"
    client.stop_model_invocation_job(jobIdentifier=arn)

    assert _wait(batch, arn)["status"] == "Stopped"
    (summary,) = client.list_model_invocation_jobs(nameContains=name)["invocationJobSummaries"]
    assert (summary["jobArn"], summary["status"], summary["modelId"]) == (arn, "Stopped", HAIKU)


def test_unknown_model_and_missing_input_are_validation_errors(batch: Emulator, bucket: str) -> None:
    client = _client(batch, "bedrock")

    for model, key in [("acme.unknown-v1", "in/q.jsonl"), (HAIKU, "in/missing.jsonl")]:
        with pytest.raises(ClientError) as caught:
            client.create_model_invocation_job(
                jobName=f"bad-{uuid.uuid4().hex[:8]}",
                roleArn=ROLE,
                modelId=model,
                inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{bucket}/{key}"}},
                outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}/output/"}},
            )
        assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_a_job_is_found_by_its_arn_and_by_its_12_character_id(batch: Emulator, bucket: str) -> None:
    _put(batch, bucket, "in/records.jsonl", [{"recordId": f"r{i}", "modelInput": _anthropic("hi")} for i in range(3)])
    arn = _create(batch, bucket, "in/records.jsonl")
    job_id = arn.rsplit("/", 1)[1]
    client = _client(batch, "bedrock")

    by_arn, by_id = (
        client.get_model_invocation_job(jobIdentifier=arn),
        client.get_model_invocation_job(jobIdentifier=job_id),
    )

    assert len(job_id) == 12 and by_arn["jobArn"] == by_id["jobArn"] == arn
