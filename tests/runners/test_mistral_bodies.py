"""Mistral's two InvokeModel bodies (Bedrock user guide): Mistral Large 2 (24.07) and Pixtral Large take the chat
`messages` body and answer `choices` (model-parameters-mistral-large-2407, model-parameters-mistral-pixtral-large);
the older models take a `prompt` and answer `outputs` (model-parameters-mistral-text-completion). Neither answer
reports token counts, so what a batch job's answers cost is unknown, never $0."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from evalcore_emulator import Emulator, load_world
from tests.direct_suite import records, results, run, use_emulator, world, write_suite

ROLE = "arn:aws:iam::123456789012:role/BedrockBatchRole"
LARGE_2 = "mistral.mistral-large-2407-v1:0"
MISTRAL_7B = "mistral.mistral-7b-instruct-v0:2"


@pytest.fixture
def bucket(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"batch-{uuid.uuid4().hex[:12]}"
    models = {**load_world().model_dump(exclude_none=True)["models"], LARGE_2: {}, MISTRAL_7B: {}}
    emulator.set_world(world(jobs={"duration_seconds": 0.05, "batch_min_records": 5}, buckets=[name], models=models))
    use_emulator(monkeypatch, emulator)
    return name


def test_mistral_large_2_gets_the_chat_body_and_no_mistral_answer_is_priced_at_zero(
    emulator: Emulator, bucket: str, tmp_path: Path
) -> None:
    suite = write_suite(
        tmp_path,
        metrics=["token_f1"],
        models={"large2": LARGE_2, "small": MISTRAL_7B},
        rows=records(5),
        mode="batch",
        batch={"role_arn": ROLE, "s3_uri": f"s3://{bucket}/batch", "poll_seconds": 0.2, "min_records": 5},
    )

    run(suite, tmp_path / "out")

    cases = list(results(tmp_path / "out").values())
    assert len(cases) == 10
    for case in cases:
        assert case.status in ("pass", "fail"), case.reason
        assert case.output and case.stop_reason == "end_turn"
        assert case.cost_usd is None  # the bodies report no tokens: unknown, not $0
    jobs = json.loads((tmp_path / "out" / "jobs.json").read_text())["jobs"]
    s3 = emulator.client("s3")
    inputs = {
        job["model"]: json.loads(s3.get_object(Bucket=bucket, Key=job["dataset_key"])["Body"].read().splitlines()[0])
        for job in jobs
    }
    chat = inputs["large2"]["modelInput"]
    assert "prompt" not in chat and chat["messages"][-1]["role"] == "user" and chat["max_tokens"] == 128
    assert inputs["small"]["modelInput"]["prompt"].startswith("<s>[INST] ")


def test_the_emulator_refuses_a_text_completion_body_for_mistral_large_2(emulator: Emulator) -> None:
    models = {**load_world().model_dump(exclude_none=True)["models"], LARGE_2: {}}
    emulator.set_world(world(models=models))
    runtime = emulator.client("bedrock-runtime")

    with pytest.raises(runtime.exceptions.ValidationException):
        runtime.invoke_model(modelId=LARGE_2, body=json.dumps({"prompt": "<s>[INST] Hi [/INST]", "max_tokens": 50}))
    response = runtime.invoke_model(
        modelId=LARGE_2, body=json.dumps({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 50})
    )
    body = json.loads(response["body"].read())
    (choice,) = body["choices"]
    assert choice["message"]["role"] == "assistant" and choice["message"]["content"]
    assert choice["stop_reason"] in ("stop", "length")
