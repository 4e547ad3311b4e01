"""Evaluation jobs through boto3 over HTTP, with datasets and results in moto's S3."""

from __future__ import annotations

import functools
import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from evalcore_emulator import Emulator, World
from evalcore_emulator.world import load_world

ROLE = "arn:aws:iam::123456789012:role/BedrockEval"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
JUDGE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
RECORDS = [
    {
        "prompt": "What is the capital of France?",
        "referenceResponse": "The capital of France is Paris.",
        "category": "geo",
    },
    {"prompt": "Who painted the Mona Lisa?", "referenceResponse": "Leonardo da Vinci painted the Mona Lisa."},
    {"prompt": "Tell me something nice."},
]
TERMINAL = {"Completed", "Failed", "Stopped"}


def _fast_world(**jobs: Any) -> World:
    world = _BASE_WORLD.model_copy(deep=True)
    world.models[HAIKU].quality = 1.0
    world.jobs = world.jobs.model_copy(update={"duration_seconds": 0.05, **jobs})
    return world


_BASE_WORLD = load_world()


@functools.cache
def _client(emulator: Emulator, service: str) -> Any:
    """One client per service for the session's emulator (clients are thread-safe and costly to build)."""
    return emulator.client(service)


@pytest.fixture
def jobs(emulator: Emulator) -> Emulator:
    emulator.set_world(_fast_world())
    return emulator


@pytest.fixture
def bucket(jobs: Emulator) -> str:
    name = f"evals-{uuid.uuid4().hex[:12]}"
    _client(jobs, "s3").create_bucket(Bucket=name)
    return name


def _put(emulator: Emulator, bucket: str, key: str, lines: list[Any] | str) -> str:
    body = lines if isinstance(lines, str) else "\n".join(json.dumps(line) for line in lines)
    _client(emulator, "s3").put_object(Bucket=bucket, Key=key, Body=body.encode())
    return f"s3://{bucket}/{key}"


def _create(
    emulator: Emulator,
    name: str,
    dataset_uri: str,
    output_uri: str,
    metrics: list[str],
    model: dict[str, Any] | None = None,
    task_type: str = "QuestionAndAnswer",
    token: str | None = None,
    **automated: Any,
) -> str:
    config = {
        "datasetMetricConfigs": [
            {
                "taskType": task_type,
                "dataset": {"name": "qa", "datasetLocation": {"s3Uri": dataset_uri}},
                "metricNames": metrics,
            }
        ],
        **automated,
    }
    return _client(emulator, "bedrock").create_evaluation_job(
        jobName=name,
        roleArn=ROLE,
        evaluationConfig={"automated": config},
        inferenceConfig={"models": [model or {"bedrockModel": {"modelIdentifier": HAIKU, "inferenceParams": "{}"}}]},
        outputDataConfig={"s3Uri": output_uri},
        **({"clientRequestToken": token} if token else {}),
    )["jobArn"]


def _wait(emulator: Emulator, arn: str, timeout_s: float = 10.0) -> dict:
    client = _client(emulator, "bedrock")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get_evaluation_job(jobIdentifier=arn)
        if job["status"] in TERMINAL:
            return job
        time.sleep(0.02)
    raise AssertionError(f"{arn} did not finish")


def _outputs(emulator: Emulator, bucket: str, prefix: str) -> dict[str, list[dict]]:
    s3 = _client(emulator, "s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    return {
        key: [json.loads(line) for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()]
        for key in keys
    }


def _scores(record: dict) -> dict[str, float | None]:
    return {s["metricName"]: s["result"] for s in record["automatedEvaluationResult"]["scores"]}


def test_automatic_job_completes_and_writes_bedrocks_output_layout(jobs: Emulator, bucket: str) -> None:
    dataset = _put(jobs, bucket, "datasets/qa.jsonl", RECORDS)
    arn = _create(jobs, "auto-qa", dataset, f"s3://{bucket}/results/", ["Builtin.Accuracy", "Builtin.Toxicity"])

    assert _client(jobs, "bedrock").get_evaluation_job(jobIdentifier=arn)["status"] == "InProgress"
    job = _wait(jobs, arn)

    assert job["status"] == "Completed"
    assert job["jobType"] == "Automated" and job["roleArn"] == ROLE
    job_id = arn.rsplit("/", 1)[-1]
    outputs = _outputs(jobs, bucket, "results/auto-qa/")
    marker = "results/auto-qa/amazon-bedrock-evaluations-permission-check"
    (result_key,) = [k for k in outputs if k != marker]
    assert marker in outputs
    prefix = f"results/auto-qa/{job_id}/models/{HAIKU}/taskTypes/QuestionAndAnswer/datasets/qa/"
    assert result_key.startswith(prefix) and result_key.endswith("_output.jsonl")
    records = outputs[result_key]
    assert [r["inputRecord"] for r in records] == RECORDS
    assert records[0]["modelResponses"] == [{"modelIdentifier": HAIKU, "response": "The capital of France is Paris."}]
    assert [_scores(r) for r in records] == [
        {"Accuracy": 1.0, "Toxicity": 0.0},
        {"Accuracy": 1.0, "Toxicity": 0.0},
        {"Accuracy": None, "Toxicity": 0.0},
    ]


def test_judge_and_custom_metrics_carry_evaluator_details(jobs: Emulator, bucket: str) -> None:
    dataset = _put(jobs, bucket, "qa.jsonl", RECORDS[:2])
    evaluator = {"bedrockEvaluatorModels": [{"modelIdentifier": JUDGE}]}
    custom = {
        "customMetrics": [
            {
                "customMetricDefinition": {
                    "name": "politeness",
                    "instructions": "Rate how polite the response is.",
                    "ratingScale": [
                        {"definition": "Polite", "value": {"stringValue": "polite"}},
                        {"definition": "Rude", "value": {"stringValue": "rude"}},
                    ],
                }
            }
        ],
        "evaluatorModelConfig": evaluator,
    }
    arn = _create(
        jobs,
        "judged",
        dataset,
        f"s3://{bucket}/out",
        ["Builtin.Correctness", "Builtin.Refusal", "politeness"],
        evaluatorModelConfig=evaluator,
        customMetricConfig=custom,
    )

    assert _wait(jobs, arn)["status"] == "Completed"
    (records,) = [v for k, v in _outputs(jobs, bucket, "out/judged/").items() if k.endswith("_output.jsonl")]
    scores = records[0]["automatedEvaluationResult"]["scores"]
    assert [s["metricName"] for s in scores] == ["Builtin.Correctness", "Builtin.Refusal", "politeness"]
    assert [s["result"] for s in scores] == [1.0, 0.0, 1.0]
    assert all(s["evaluatorDetails"][0]["modelIdentifier"] == JUDGE for s in scores)
    assert all(s["evaluatorDetails"][0]["explanation"] for s in scores)
    (definition,) = [v for k, v in _outputs(jobs, bucket, "out/judged/").items() if "/custom_metrics/" in k]
    assert definition[0]["customMetricDefinition"]["name"] == "politeness"
    summary = _client(jobs, "bedrock").list_evaluation_jobs(nameContains="judged")["jobSummaries"][0]
    assert summary["evaluatorModelIdentifiers"] == [JUDGE]


def test_bring_your_own_inference_scores_the_given_responses(jobs: Emulator, bucket: str) -> None:
    records = [
        {**RECORDS[0], "modelResponses": [{"response": "Paris is the capital.", "modelIdentifier": "my-rag"}]},
        {**RECORDS[1], "modelResponses": [{"response": "You idiot.", "modelIdentifier": "my-rag"}]},
    ]
    dataset = _put(jobs, bucket, "byoi.jsonl", records)
    source = {"precomputedInferenceSource": {"inferenceSourceIdentifier": "my-rag"}}
    arn = _create(jobs, "byoi", dataset, f"s3://{bucket}/o/", ["Builtin.Accuracy", "Builtin.Toxicity"], model=source)

    assert _wait(jobs, arn)["status"] == "Completed"
    (key, written) = next((k, v) for k, v in _outputs(jobs, bucket, "o/byoi/").items() if k.endswith(".jsonl"))
    assert "/models/my-rag/" in key
    assert written[0]["inputRecord"]["modelResponses"] == records[0]["modelResponses"]
    assert [_scores(r)["Toxicity"] for r in written] == [0.0, 1.0]
    assert 0 < _scores(written[0])["Accuracy"] < 1  # type: ignore[operator]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Could not read the dataset"),
        ('{"prompt": "ok"}\n{not json}\n', "line 2"),
        ('{"referenceResponse": "no prompt"}\n', "'prompt'"),
    ],
)
def test_unreadable_dataset_fails_the_job_with_failure_messages(
    jobs: Emulator, bucket: str, content: str | None, message: str
) -> None:
    uri = _put(jobs, bucket, "bad.jsonl", content) if content is not None else f"s3://{bucket}/missing.jsonl"
    arn = _create(jobs, f"bad-data-{uuid.uuid4().hex[:8]}", uri, f"s3://{bucket}/out/", ["Builtin.Accuracy"])

    job = _wait(jobs, arn)

    assert job["status"] == "Failed"
    assert message in job["failureMessages"][0]


def test_world_job_settings_fail_or_hold_jobs_by_name(jobs: Emulator, bucket: str) -> None:
    jobs.set_world(_fast_world(fail_name_pattern="^doomed", never_finish_name_pattern="^forever"))
    dataset = _put(jobs, bucket, "qa.jsonl", RECORDS)
    doomed = _create(jobs, "doomed-1", dataset, f"s3://{bucket}/out/", ["Builtin.Accuracy"])
    forever = _create(jobs, "forever-1", dataset, f"s3://{bucket}/out/", ["Builtin.Accuracy"])

    failed = _wait(jobs, doomed)
    time.sleep(0.2)

    assert failed["failureMessages"] == ["Internal error while running the job."]
    assert _client(jobs, "bedrock").get_evaluation_job(jobIdentifier=forever)["status"] == "InProgress"
    _client(jobs, "bedrock").stop_evaluation_job(jobIdentifier=forever)
    assert _wait(jobs, forever)["status"] == "Stopped"


def test_stop_moves_a_running_job_to_stopped_and_a_second_stop_conflicts(jobs: Emulator, bucket: str) -> None:
    jobs.set_world(_fast_world(duration_seconds=5))
    arn = _create(jobs, "to-stop", _put(jobs, bucket, "qa.jsonl", RECORDS), f"s3://{bucket}/out/", ["Builtin.Accuracy"])
    client = _client(jobs, "bedrock")

    client.stop_evaluation_job(jobIdentifier=arn)
    job = _wait(jobs, arn, timeout_s=2)

    assert job["status"] == "Stopped"
    with pytest.raises(ClientError) as caught:
        client.stop_evaluation_job(jobIdentifier=arn)
    assert caught.value.response["Error"]["Code"] == "ConflictException"
    assert not [k for k in _outputs(jobs, bucket, "out/to-stop/") if k.endswith("_output.jsonl")]


def test_list_paginates_filters_and_sorts_newest_first(jobs: Emulator, bucket: str) -> None:
    dataset = _put(jobs, bucket, "qa.jsonl", RECORDS)
    tag = uuid.uuid4().hex[:8]
    arns = [_create(jobs, f"page-{tag}-{i}", dataset, f"s3://{bucket}/out/", ["Builtin.Accuracy"]) for i in range(5)]
    for arn in arns:
        _wait(jobs, arn)
    client = _client(jobs, "bedrock")

    pages = list(
        client.get_paginator("list_evaluation_jobs").paginate(
            nameContains=tag, statusEquals="Completed", PaginationConfig={"PageSize": 2}
        )
    )

    assert [len(p["jobSummaries"]) for p in pages] == [2, 2, 1]
    listed = [s["jobArn"] for p in pages for s in p["jobSummaries"]]
    assert listed == list(reversed(arns))
    ascending = client.list_evaluation_jobs(nameContains=tag, sortOrder="Ascending")["jobSummaries"]
    assert [s["jobArn"] for s in ascending] == arns
    assert ascending[0]["evaluationTaskTypes"] == ["QuestionAndAnswer"]
    assert ascending[0]["modelIdentifiers"] == [HAIKU]
    assert client.list_evaluation_jobs(nameContains=tag, statusEquals="Failed")["jobSummaries"] == []
    created = ascending[2]["creationTime"]
    later = client.list_evaluation_jobs(nameContains=tag, creationTimeAfter=created, sortOrder="Ascending")
    assert [s["jobArn"] for s in later["jobSummaries"]] == arns[3:]


def test_batch_delete_removes_finished_jobs_and_reports_the_rest(jobs: Emulator, bucket: str) -> None:
    dataset = _put(jobs, bucket, "qa.jsonl", RECORDS)
    done = _create(jobs, "delete-me", dataset, f"s3://{bucket}/out/", ["Builtin.Accuracy"])
    _wait(jobs, done)
    missing = done[:-12] + "zzzzzzzzzzzz"
    client = _client(jobs, "bedrock")

    response = client.batch_delete_evaluation_job(jobIdentifiers=[done, missing])

    assert response["evaluationJobs"] == [{"jobIdentifier": done, "jobStatus": "Deleting"}]
    assert [e["jobIdentifier"] for e in response["errors"]] == [missing]
    with pytest.raises(ClientError) as caught:
        client.get_evaluation_job(jobIdentifier=done)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


JUDGE_CONFIG = {"bedrockEvaluatorModels": [{"modelIdentifier": JUDGE}]}


@pytest.mark.parametrize(
    ("change", "code", "fragment"),
    [
        ({"jobName": "Bad_Name"}, "ValidationException", "jobName"),
        ({"roleArn": "arn:aws:iam::123:user/x"}, "ValidationException", "roleArn"),
        ({"metrics": ["Builtin.Correctness"]}, "ValidationException", "automatic"),
        ({"metrics": ["Builtin.Accuracy"], "evaluator": JUDGE_CONFIG}, "ValidationException", "model-as-a-judge"),
        ({"metrics": ["undefined-metric"]}, "ValidationException", "undefined-metric"),
        ({"model": "acme.unknown-model-v1"}, "ValidationException", "model identifier"),
        ({"inferenceParams": "not json"}, "ValidationException", "inferenceParams"),
        ({"taskType": "Poetry"}, "ValidationException", "taskType"),
        (
            {"datasets": 6},
            "ValidationException",
            "datasetMetricConfigs' failed to satisfy constraint: Member must have length less than or equal to 5",
        ),
    ],
)
def test_invalid_requests_are_rejected_like_bedrock(
    jobs: Emulator, change: dict[str, Any], code: str, fragment: str
) -> None:
    config = {
        "taskType": change.get("taskType", "General"),
        "dataset": {"name": "qa", "datasetLocation": {"s3Uri": "s3://bucket/qa.jsonl"}},
        "metricNames": change.get("metrics", ["Builtin.Accuracy"]),
    }
    automated: dict[str, Any] = {"datasetMetricConfigs": [config] * change.get("datasets", 1)}
    if "evaluator" in change:
        automated["evaluatorModelConfig"] = change["evaluator"]
    model = {"modelIdentifier": change.get("model", HAIKU), "inferenceParams": change.get("inferenceParams", "{}")}

    with pytest.raises(ClientError) as caught:
        _client(jobs, "bedrock").create_evaluation_job(
            jobName=change.get("jobName", "valid-name"),
            roleArn=change.get("roleArn", ROLE),
            evaluationConfig={"automated": automated},
            inferenceConfig={"models": [{"bedrockModel": model}]},
            outputDataConfig={"s3Uri": "s3://bucket/out/"},
        )

    assert caught.value.response["Error"]["Code"] == code
    assert fragment in caught.value.response["Error"]["Message"]


def test_a_second_job_with_the_same_name_conflicts(jobs: Emulator, bucket: str) -> None:
    dataset = _put(jobs, bucket, "qa.jsonl", RECORDS)
    _create(jobs, "unique-name", dataset, f"s3://{bucket}/out/", ["Builtin.Accuracy"])

    with pytest.raises(ClientError) as caught:
        _create(jobs, "unique-name", dataset, f"s3://{bucket}/out/", ["Builtin.Accuracy"])

    assert caught.value.response["Error"]["Code"] == "ConflictException"


def test_a_retried_create_with_the_same_client_token_returns_the_same_job(jobs: Emulator, bucket: str) -> None:
    dataset = _put(jobs, bucket, "qa.jsonl", RECORDS)
    name = f"idempotent-{uuid.uuid4().hex[:8]}"

    first = _create(jobs, name, dataset, f"s3://{bucket}/out/", ["Builtin.Accuracy"], token="retry-token-1")
    again = _create(jobs, name, dataset, f"s3://{bucket}/out/", ["Builtin.Accuracy"], token="retry-token-1")

    assert again == first


def test_unknown_job_is_not_found(jobs: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        _client(jobs, "bedrock").get_evaluation_job(
            jobIdentifier="arn:aws:bedrock:us-east-1:123456789012:evaluation-job/abcdefabcdef"
        )

    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_knowledge_base_job_scores_retrieval_and_citations(jobs: Emulator, bucket: str) -> None:
    dataset = _put(
        jobs,
        bucket,
        "rag.jsonl",
        [
            {
                "conversationTurns": [
                    {
                        "prompt": {"content": [{"text": "How do I file a claim?"}]},
                        "referenceResponses": [
                            {"content": [{"text": "Complete the claim form with a police report."}]}
                        ],
                    }
                ]
            }
        ],
    )
    rag = {
        "knowledgeBaseConfig": {
            "retrieveAndGenerateConfig": {
                "type": "KNOWLEDGE_BASE",
                "knowledgeBaseConfiguration": {"knowledgeBaseId": "KBCLAIMS01", "modelArn": HAIKU},
            }
        }
    }
    metrics = ["Builtin.CitationPrecision", "Builtin.CitationCoverage", "Builtin.Correctness"]
    arn = _client(jobs, "bedrock").create_evaluation_job(
        jobName="rag-job",
        roleArn=ROLE,
        applicationType="RagEvaluation",
        evaluationConfig={
            "automated": {
                "datasetMetricConfigs": [
                    {
                        "taskType": "QuestionAndAnswer",
                        "dataset": {"name": "rag", "datasetLocation": {"s3Uri": dataset}},
                        "metricNames": metrics,
                    }
                ],
                "evaluatorModelConfig": JUDGE_CONFIG,
            }
        },
        inferenceConfig={"ragConfigs": [rag]},
        outputDataConfig={"s3Uri": f"s3://{bucket}/rag/"},
    )["jobArn"]

    assert _wait(jobs, arn)["status"] == "Completed"
    (key, records) = next((k, v) for k, v in _outputs(jobs, bucket, "rag/rag-job/").items() if k.endswith(".jsonl"))
    # AWS's knowledge-base job layout (aws-samples/amazon-bedrock-samples, rag/knowledge-bases/features-examples/
    # 03-optimizing-accuracy-retrieved-results/custom_chunking_with_json.ipynb): results under
    # <jobName>/<jobId>/inference_configs/0/datasets/<dataset>/, a record's scores in conversationTurns[].results[].
    job_id = arn.rsplit("/", 1)[-1]
    assert key.startswith(f"rag/rag-job/{job_id}/inference_configs/0/datasets/rag/") and key.endswith("_output.jsonl")
    (turn,) = records[0]["conversationTurns"]
    scores = {r["metricName"]: r["result"] for r in turn["results"]}
    assert scores["Builtin.CitationPrecision"] == 1.0
    assert scores["Builtin.CitationCoverage"] == 1.0
    assert 0 < scores["Builtin.Correctness"] <= 1  # type: ignore[operator]
    assert turn["inputRecord"]["prompt"]["content"][0]["text"] == "How do I file a claim?"
    assert turn["output"]["text"].startswith("To file a claim")
    assert turn["output"]["knowledgeBaseIdentifier"] == "KBCLAIMS01"
