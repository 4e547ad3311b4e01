"""Managed evaluation jobs as AWS runs them, where evalcore and its emulator used to agree with each other instead:
the judge jobs' task type, Robustness's scale and direction, the generator model ids Bedrock accepts, and
knowledge-base (RAG) metrics, which suites cannot declare yet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from botocore.exceptions import ClientError

from evalcore.app.cli import main
from evalcore.domain.compare import compare
from evalcore.domain.results import CaseResult, MetricScore, ModelSummary, RunMeta, RunResult, SectionSummary
from evalcore_emulator import Emulator
from tests.runners.test_eval_jobs import QA, ROLE, SONNET, _cases, _jobs, _run, _suite, aws, bucket  # noqa: F401

GLOBAL_SONNET_4 = "global.anthropic.claude-sonnet-4-20250514-v1:0"


def test_judge_and_custom_metric_jobs_default_to_the_general_task_type(
    aws: Emulator,  # noqa: F811
    bucket: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    # aws-samples/amazon-bedrock-samples evaluation-observe/bedrock-llm-as-judge-evaluation/model-as-a-judge.ipynb:
    # `task_type: str = "General" # must be General for LLMaaJ`
    politeness = {
        "name": "politeness",
        "instructions": "Rate how polite the response is. {{prompt}} {{prediction}}",
        "rating_scale": [{"definition": "Polite", "value": 1.0}, {"definition": "Rude", "value": 0.0}],
    }
    suite = _suite(tmp_path, bucket, records=QA[:2], metrics=["Builtin.Correctness", politeness])
    assert _run(suite, tmp_path / "out").exit_code == 0

    (recorded,) = _jobs(tmp_path / "out")
    job = aws.client("bedrock").get_evaluation_job(jobIdentifier=recorded["arn"])
    (config,) = job["evaluationConfig"]["automated"]["datasetMetricConfigs"]
    assert config["taskType"] == "General"


def test_an_automatic_job_keeps_question_and_answer_and_an_explicit_task_type_wins(
    aws: Emulator,  # noqa: F811
    bucket: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    _run(_suite(tmp_path, bucket, records=QA[:2]), tmp_path / "auto")
    _run(
        _suite(tmp_path, bucket, records=QA[:2], metrics=["Builtin.Correctness"], task_type="Summarization"),
        tmp_path / "judge",
    )

    bedrock = aws.client("bedrock")
    for out, expected in (("auto", "QuestionAndAnswer"), ("judge", "Summarization")):
        (recorded,) = _jobs(tmp_path / out)
        job = bedrock.get_evaluation_job(jobIdentifier=recorded["arn"])
        assert job["evaluationConfig"]["automated"]["datasetMetricConfigs"][0]["taskType"] == expected


def test_robustness_is_a_percentage_change_where_an_unchanged_answer_scores_zero(
    aws: Emulator,  # noqa: F811
    bucket: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    # Bedrock user guide, model-evaluation-report-programmatic: Robustness is the change of the output under small
    # perturbations of the prompt, in percent; lower is better (a real output shows 17.878).
    outcome = _run(_suite(tmp_path, bucket, metrics=["Builtin.Robustness"]), tmp_path / "out")

    assert outcome.exit_code == 0
    values = [m.value for c in _cases(tmp_path / "out") for m in c.metrics if m.name == "Builtin.Robustness"]
    assert values and all(v is not None and 0.0 <= v <= 100.0 for v in values)
    assert 0.0 in values  # the emulator's deterministic answers to a question do not change when it is upper-cased


def _summary_run() -> RunResult:
    return RunResult(
        run=RunMeta(suite="s", run_id="r", tool_version="0", started_at=0.0, suite_hash="h"),
        sections=[SectionSummary(name="qa", kind="evaluation", models=[ModelSummary(model="m", model_id="m-v1")])],
    )


def _robustness_cases(values: list[float]) -> list[CaseResult]:
    return [
        CaseResult(
            case_id=f"c{i}",
            section="qa",
            kind="evaluation",
            model="m",
            item_key=f"item{i}",
            status="pass",
            metrics=[MetricScore(name="Builtin.Robustness", value=v)],
        )
        for i, v in enumerate(values)
    ]


def test_a_rise_in_robustness_is_a_regression() -> None:
    base = [5.0 + (i % 3) for i in range(30)]
    head = [b + 20.0 for b in base]  # answers change 20 points more under perturbation: worse
    cmp = compare(_summary_run(), _robustness_cases(base), _summary_run(), _robustness_cases(head))

    (difference,) = [d for d in cmp.differences if d.metric == "Builtin.Robustness"]
    assert difference.lower_is_better and difference.verdict == "regression"


def _job_suite(tmp_path: Path, model_id: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "qa.jsonl").write_text(json.dumps(QA[0]) + "\n")
    suite = {
        "name": "ids",
        "models": {"sonnet4": model_id},
        "evaluations": [
            {
                "name": "qa",
                "mode": "bedrock-job",
                "dataset": "qa.jsonl",
                "models": ["sonnet4"],
                "metrics": ["Builtin.Accuracy"],
                "job": {"role_arn": ROLE, "s3_uri": "s3://evals-bucket/evals"},
            }
        ],
    }
    path = tmp_path / "suite.yml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def test_a_global_profile_id_as_a_job_model_is_refused_at_its_line_with_the_arn_to_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # botocore's bedrock model: EvaluationBedrockModelIdentifier takes a profile id only with a 2-4 letter
    # prefix (us., eu., apac.), but any profile as an inference-profile ARN.
    code = main(["validate", str(_job_suite(tmp_path, GLOBAL_SONNET_4))])

    err = capsys.readouterr().err
    assert code == 2
    (line,) = [x for x in err.splitlines() if GLOBAL_SONNET_4 in x]
    assert line.startswith(f"{tmp_path / 'suite.yml'}:3:")
    assert f"arn:aws:bedrock:<region>:<account>:inference-profile/{GLOBAL_SONNET_4}" in line


def test_a_us_profile_id_and_a_global_profile_arn_are_accepted(tmp_path: Path) -> None:
    assert main(["validate", str(_job_suite(tmp_path / "us", "us.anthropic.claude-sonnet-4-20250514-v1:0"))]) == 0
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{GLOBAL_SONNET_4}"
    assert main(["validate", str(_job_suite(tmp_path / "arn", arn))]) == 0


def test_the_emulator_refuses_a_global_profile_id_as_bedrock_does(
    aws: Emulator,  # noqa: F811
    bucket: str,  # noqa: F811
) -> None:
    request = {
        "jobName": "global-id",
        "roleArn": ROLE,
        "evaluationConfig": {
            "automated": {
                "datasetMetricConfigs": [
                    {
                        "taskType": "QuestionAndAnswer",
                        "dataset": {"name": "qa", "datasetLocation": {"s3Uri": f"s3://{bucket}/qa.jsonl"}},
                        "metricNames": ["Builtin.Accuracy"],
                    }
                ]
            }
        },
        "inferenceConfig": {"models": [{"bedrockModel": {"modelIdentifier": GLOBAL_SONNET_4}}]},
        "outputDataConfig": {"s3Uri": f"s3://{bucket}/out/"},
    }
    with pytest.raises(ClientError) as raised:
        aws.client("bedrock").create_evaluation_job(**request)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "modelIdentifier" in raised.value.response["Error"]["Message"]


def test_the_schema_lists_no_metric_a_suite_cannot_declare(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = capsys.readouterr().out
    assert "Builtin.Correctness" in schema and "Builtin.Robustness" in schema
    # RAG metrics are declared in knowledge_bases sections only: an evaluation's metric names never list them.
    defs = json.loads(schema)["$defs"]
    for mode in ("DirectEvaluation", "BatchEvaluation", "JobEvaluation", "ResponsesJobEvaluation"):
        evaluation = json.dumps(defs[mode]["properties"]["metrics"])
        assert "Builtin.ContextRelevance" not in evaluation and "Builtin.CitationPrecision" not in evaluation
    assert schema.strip() == Path(__file__).parent.parent.parent.joinpath("evalcore.schema.json").read_text().strip()
