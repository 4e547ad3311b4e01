"""The AWS CLI (PyPI ``awscli``, in a virtual environment of its own because it pins botocore) against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evalcore_emulator import Emulator

VENV = Path.home() / ".cache" / "evalcore-test-venvs" / "awscli"


@pytest.fixture(scope="session")
def aws_cli() -> Path:
    """The ``aws`` executable, installed into its own venv on first use. No network means a failure, not a skip."""
    aws = VENV / "bin" / "aws"
    if aws.exists():
        return aws
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(VENV)],
        [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "awscli"],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            pytest.fail(f"could not set up the AWS CLI venv ({' '.join(step)}):\n{result.stderr[-3000:]}")
    return aws


def _run(aws: Path, emulator: Emulator, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **emulator.env(),
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    return subprocess.run(
        [str(aws), *args, "--endpoint-url", emulator.endpoint, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.slow
def test_aws_bedrock_runtime_converse(aws_cli: Path, emulator: Emulator, tmp_path: Path) -> None:
    messages = json.dumps([{"role": "user", "content": [{"text": "Say hello."}]}])

    result = _run(
        aws_cli,
        emulator,
        tmp_path,
        "bedrock-runtime",
        "converse",
        "--model-id",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "--messages",
        messages,
    )

    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["output"]["message"]["content"] == [{"text": "Hello! How can I help you today?"}]
    assert output["stopReason"] == "end_turn"
    assert emulator.requests("Converse")[0].status == 200


@pytest.mark.slow
def test_aws_cli_reports_an_unknown_model_like_bedrock(aws_cli: Path, emulator: Emulator, tmp_path: Path) -> None:
    messages = json.dumps([{"role": "user", "content": [{"text": "hi"}]}])

    result = _run(
        aws_cli, emulator, tmp_path, "bedrock-runtime", "converse", "--model-id", "nope", "--messages", messages
    )

    assert result.returncode == 255  # AWS CLI v1: a service error
    assert "ValidationException" in result.stderr
    assert "The provided model identifier is invalid." in result.stderr


@pytest.mark.slow
def test_aws_bedrock_get_evaluation_job(aws_cli: Path, emulator: Emulator, tmp_path: Path) -> None:
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket="cli-evals")
    s3.put_object(Bucket="cli-evals", Key="qa.jsonl", Body=b'{"prompt": "What is 2 + 2?", "referenceResponse": "4"}\n')
    arn = emulator.client("bedrock").create_evaluation_job(
        jobName="cli-job",
        roleArn="arn:aws:iam::123456789012:role/Eval",
        evaluationConfig={
            "automated": {
                "datasetMetricConfigs": [
                    {
                        "taskType": "QuestionAndAnswer",
                        "dataset": {"name": "qa", "datasetLocation": {"s3Uri": "s3://cli-evals/qa.jsonl"}},
                        "metricNames": ["Builtin.Accuracy"],
                    }
                ]
            }
        },
        inferenceConfig={"models": [{"bedrockModel": {"modelIdentifier": "anthropic.claude-3-haiku-20240307-v1:0"}}]},
        outputDataConfig={"s3Uri": "s3://cli-evals/out/"},
    )["jobArn"]

    result = _run(aws_cli, emulator, tmp_path, "bedrock", "get-evaluation-job", "--job-identifier", arn)

    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert (output["jobArn"], output["jobName"], output["jobType"]) == (arn, "cli-job", "Automated")
    assert output["status"] in {"InProgress", "Completed"}
    assert output["evaluationConfig"]["automated"]["datasetMetricConfigs"][0]["metricNames"] == ["Builtin.Accuracy"]


@pytest.mark.slow
def test_aws_bedrock_runtime_invoke_model_writes_the_body(aws_cli: Path, emulator: Emulator, tmp_path: Path) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "Say hello."}],
    }
    outfile = tmp_path / "answer.json"

    result = _run(
        aws_cli,
        emulator,
        tmp_path,
        "bedrock-runtime",
        "invoke-model",
        "--model-id",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "--body",
        json.dumps(body),
        str(outfile),
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"contentType": "application/json"}
    assert json.loads(outfile.read_text())["content"] == [{"type": "text", "text": "Hello! How can I help you today?"}]


@pytest.mark.slow
def test_aws_bedrock_runtime_apply_guardrail(aws_cli: Path, emulator: Emulator, tmp_path: Path) -> None:
    content = json.dumps([{"text": {"text": "Which stocks should I buy?"}}])

    result = _run(
        aws_cli,
        emulator,
        tmp_path,
        "bedrock-runtime",
        "apply-guardrail",
        "--guardrail-identifier",
        "grdemo",
        "--guardrail-version",
        "DRAFT",
        "--source",
        "INPUT",
        "--content",
        content,
    )

    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["action"] == "GUARDRAIL_INTERVENED"
    assert output["assessments"][0]["topicPolicy"]["topics"][0]["name"] == "Investment advice"
