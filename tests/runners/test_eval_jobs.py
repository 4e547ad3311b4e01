"""Managed evaluation jobs (`mode: bedrock-job`) end to end: evalcore against the emulator's Bedrock control plane,
datasets and results in moto's S3, everything through boto3 over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcore.app.cli import main
from evalcore.app.orchestrate import RunOptions, RunOutcome, run_suite
from evalcore.aws_facts.service_patterns import pattern
from evalcore.domain.results import CaseResult, read_cases, read_run
from evalcore.runners.job_requests import SectionTarget, job_name
from evalcore.suite.load import load_suite
from evalcore.suite.problems import InputError
from evalcore_emulator import Emulator, World
from evalcore_emulator.world import load_world

ROOT = Path(__file__).parent.parent.parent
ROLE = "arn:aws:iam::123456789012:role/BedrockEvaluationRole"
SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
QA = [
    {
        "prompt": "What is the capital of France?",
        "referenceResponse": "The capital of France is Paris.",
        "category": "geo",
    },
    {
        "prompt": "What is the capital of Japan?",
        "referenceResponse": "The capital of Japan is Tokyo.",
        "category": "geo",
    },
    {"prompt": "What is 2 + 2?", "referenceResponse": "2 + 2 equals 4.", "category": "math"},
    {"prompt": "Tell me a story."},  # no reference: Accuracy does not apply
]


def _world(**jobs: Any) -> World:
    world = load_world()
    for model in (SONNET, HAIKU):
        world.models[model].quality = 1.0
    world.jobs = world.jobs.model_copy(update={"duration_seconds": 0.05, **jobs})
    return world


@pytest.fixture
def aws(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator with fast jobs, and this process's AWS environment pointing at it (Bedrock and S3)."""
    emulator.set_world(_world())
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    return emulator


@pytest.fixture
def bucket(aws: Emulator) -> str:
    name = f"evals-{uuid.uuid4().hex[:12]}"
    aws.client("s3").create_bucket(Bucket=name)
    return name


def _suite(
    tmp_path: Path,
    bucket: str,
    records: list[dict[str, Any]] = QA,
    models: list[str] | None = None,
    metrics: list[Any] | None = None,
    job: dict[str, Any] | None = None,
    **section: Any,
) -> Path:
    dataset = tmp_path / "qa.jsonl"
    dataset.write_text("".join(json.dumps(r) + "\n" for r in records))
    suite = {
        "name": "jobs-test",
        "defaults": {"judge": SONNET, "inference": {"max_tokens": 300, "temperature": 0.0}},
        "models": {"sonnet": SONNET, "haiku": HAIKU},
        "evaluations": [
            {
                "name": "qa",
                "mode": "bedrock-job",
                "dataset": "qa.jsonl",
                "models": models or ["sonnet"],
                "metrics": metrics or ["Builtin.Accuracy", "Builtin.Toxicity"],
                "job": {"role_arn": ROLE, "s3_uri": f"s3://{bucket}/evals", "poll_seconds": 0.2, **(job or {})},
                **section,
            }
        ],
    }
    path = tmp_path / "suite.yml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def _run(suite: Path, out: Path, **options: Any) -> RunOutcome:
    return run_suite(RunOptions(suite=suite, out=out, progress=False, log=lambda line: None, **options))


def _cases(out: Path) -> list[CaseResult]:
    return list(read_cases(out / "results.jsonl"))


def _jobs(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / "jobs.json").read_text())["jobs"]


def _keys(aws: Emulator, bucket: str, prefix: str = "") -> list[str]:
    pages = aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


@pytest.fixture
def run_in_thread() -> Iterator[Any]:
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


def _wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# ---- success ---------------------------------------------------------------------------------------------------


def test_an_automatic_job_scores_every_case_and_null_results_stay_not_applicable(
    aws: Emulator, bucket: str, tmp_path: Path
) -> None:
    outcome = _run(_suite(tmp_path, bucket), tmp_path / "out")

    cases = {c.prompt: c for c in _cases(tmp_path / "out")}
    assert outcome.exit_code == 0
    assert len(cases) == 4 and all(c.status == "pass" for c in cases.values())
    paris = cases["What is the capital of France?"]
    assert paris.output == "The capital of France is Paris."
    assert paris.model_id == SONNET and paris.category == "geo"
    assert [(m.name, m.value) for m in paris.metrics] == [("Builtin.Accuracy", 1.0), ("Builtin.Toxicity", 0.0)]
    story = cases["Tell me a story."]
    assert story.metrics[0].name == "Builtin.Accuracy" and story.metrics[0].value is None
    summary = outcome.run.section("qa").models[0]  # type: ignore[union-attr]
    assert summary.metrics["Builtin.Accuracy"].n == 3  # the null is not averaged as 0
    assert summary.metrics["Builtin.Accuracy"].mean == 1.0
    assert {c: a["Builtin.Accuracy"].n for c, a in summary.categories.items()} == {"geo": 2, "math": 1}


def test_the_job_request_is_what_bedrock_expects(aws: Emulator, bucket: str, tmp_path: Path) -> None:
    suite = _suite(tmp_path, bucket, job={"tags": {"team": "qa"}})
    _run(suite, tmp_path / "out")

    (recorded,) = _jobs(tmp_path / "out")
    job = aws.client("bedrock").get_evaluation_job(jobIdentifier=recorded["arn"])
    assert job["status"] == "Completed"
    assert job["roleArn"] == ROLE and job["outputDataConfig"]["s3Uri"] == f"s3://{bucket}/evals"
    (model,) = job["inferenceConfig"]["models"]
    assert json.loads(model["bedrockModel"]["inferenceParams"]) == {
        "inferenceConfig": {"maxTokens": 300, "temperature": 0.0}
    }
    (config,) = job["evaluationConfig"]["automated"]["datasetMetricConfigs"]
    assert config["taskType"] == "QuestionAndAnswer"
    assert config["metricNames"] == ["Builtin.Accuracy", "Builtin.Toxicity"]
    dataset_key = config["dataset"]["datasetLocation"]["s3Uri"].removeprefix(f"s3://{bucket}/")
    run_id = read_run(tmp_path / "out" / "results.json").run.run_id
    assert dataset_key == f"evals/jobs-test/{run_id}/qa/qa-sonnet-1.jsonl"
    body = aws.client("s3").get_object(Bucket=bucket, Key=dataset_key)["Body"].read().decode()
    assert [json.loads(line) for line in body.splitlines()] == QA
    assert recorded["request"]["jobTags"][0] == {"key": "team", "value": "qa"}
    assert {"key": "evalcore:run-id", "value": run_id} in recorded["request"]["jobTags"]


def test_judge_and_custom_metrics_keep_the_judges_explanations(aws: Emulator, bucket: str, tmp_path: Path) -> None:
    politeness = {
        "name": "politeness",
        "instructions": "Rate how polite the response is. {{prompt}} {{prediction}}",
        "rating_scale": [{"definition": "Polite", "value": 1.0}, {"definition": "Rude", "value": 0.0}],
    }
    suite = _suite(tmp_path, bucket, records=QA[:2], metrics=["Builtin.Correctness", politeness])
    outcome = _run(suite, tmp_path / "out")

    assert outcome.exit_code == 0
    for case in _cases(tmp_path / "out"):
        assert case.status == "pass"
        assert [m.name for m in case.metrics] == ["Builtin.Correctness", "politeness"]
        assert all(m.value is not None and m.explanation for m in case.metrics)
    (recorded,) = _jobs(tmp_path / "out")
    automated = aws.client("bedrock").get_evaluation_job(jobIdentifier=recorded["arn"])["evaluationConfig"]["automated"]
    assert automated["evaluatorModelConfig"] == {"bedrockEvaluatorModels": [{"modelIdentifier": SONNET}]}
    (custom,) = automated["customMetricConfig"]["customMetrics"]
    assert custom["customMetricDefinition"]["ratingScale"][0] == {"definition": "Polite", "value": {"floatValue": 1.0}}


def test_bring_your_own_inference_sends_the_responses_file(aws: Emulator, bucket: str, tmp_path: Path) -> None:
    responses = tmp_path / "responses.jsonl"
    responses.write_text(
        json.dumps({"prompt": QA[0]["prompt"], "response": "Paris."})
        + "\n"
        + json.dumps({"prompt": QA[1]["prompt"], "response": "You idiot, it is Tokyo."})
        + "\n"
    )
    suite = _suite(tmp_path, bucket, records=QA[:2], models=["my-rag-app"], responses="responses.jsonl")
    outcome = _run(suite, tmp_path / "out")

    cases = {c.prompt: c for c in _cases(tmp_path / "out")}
    assert outcome.run is not None
    assert cases[QA[0]["prompt"]].output == "Paris."
    assert cases[QA[1]["prompt"]].score("Builtin.Toxicity") == 1.0
    (recorded,) = _jobs(tmp_path / "out")
    job = aws.client("bedrock").get_evaluation_job(jobIdentifier=recorded["arn"])
    assert job["inferenceConfig"]["models"] == [
        {"precomputedInferenceSource": {"inferenceSourceIdentifier": "my-rag-app"}}
    ]
    assert not aws.requests("Converse")


def test_a_direct_runs_results_are_responses_for_a_job(aws: Emulator, bucket: str, tmp_path: Path) -> None:
    direct = tmp_path / "direct"
    direct.mkdir()
    direct_suite = _suite(direct, bucket, mode="direct", metrics=[{"length": {"min": 1}}])
    suite = yaml.safe_load(direct_suite.read_text())
    del suite["evaluations"][0]["job"]
    direct_suite.write_text(yaml.safe_dump(suite))
    assert _run(direct_suite, direct / "out").exit_code == 0
    answers = {c.prompt: c.output for c in _cases(direct / "out")}
    aws.clear_requests()

    suite = _suite(tmp_path, bucket, responses="direct/out/results.jsonl")
    outcome = _run(suite, tmp_path / "out")

    assert outcome.exit_code == 0
    assert {c.prompt: c.output for c in _cases(tmp_path / "out")} == answers
    assert aws.requests("Converse") == []


def test_a_missing_response_is_a_load_error_at_its_file(tmp_path: Path) -> None:
    (tmp_path / "responses.jsonl").write_text(json.dumps({"prompt": QA[0]["prompt"], "response": "Paris."}) + "\n")
    suite = _suite(tmp_path, "some-bucket", records=QA[:2], models=["my-app"], responses="responses.jsonl")

    with pytest.raises(InputError) as raised:
        load_suite(suite)
    assert "no response from 'my-app' for the prompt 'What is the capital of Japan?'" in str(raised.value.problems)


def test_what_bedrock_would_refuse_is_reported_before_anything_runs(tmp_path: Path) -> None:
    suite = _suite(
        tmp_path,
        "some-bucket",
        records=[*QA, {"prompt": " "}],
        metrics=["Builtin.Accuracy", "Builtin.Toxicity", "Builtin.Correctness"],
        system="Be brief.",
        task_type="Classification",
        job={"s3_uri": "s3://some-bucket/with space", "tags": {"bad{tag}": "x"}},
    )

    with pytest.raises(InputError) as raised:
        load_suite(suite)
    problems = {p.message: p for p in raised.value.problems}
    assert "not both: split them into two sections" in " ".join(problems)
    assert "managed jobs send only the prompt" in " ".join(problems)
    assert "in the path of an S3 URI" in " ".join(problems)
    assert "tag keys (1-128)" in " ".join(problems)
    assert "for Classification, not Toxicity" in " ".join(problems)
    empty = next(p for m, p in problems.items() if "is empty for this record" in m)
    assert empty.line == 5 and empty.file.endswith("qa.jsonl")


# ---- several jobs ----------------------------------------------------------------------------------------------


def test_two_models_get_one_job_each_submitted_before_any_is_polled(aws: Emulator, bucket: str, tmp_path: Path) -> None:
    outcome = _run(_suite(tmp_path, bucket, models=["sonnet", "haiku"]), tmp_path / "out")

    assert outcome.exit_code == 0
    creates, gets = aws.requests("CreateEvaluationJob"), aws.requests("GetEvaluationJob")
    assert len(creates) == 2
    assert max(c.time for c in creates) <= min(g.time for g in gets)
    by_model = {s.model: s for s in outcome.run.section("qa").models}  # type: ignore[union-attr]
    assert set(by_model) == {"sonnet", "haiku"}
    assert all(s.counts.passed == 4 for s in by_model.values())
    assert {j["model_id"] for j in _jobs(tmp_path / "out")} == {SONNET, HAIKU}


def test_repeats_are_sent_as_repeated_prompts_and_each_gets_its_own_result(
    aws: Emulator, bucket: str, tmp_path: Path
) -> None:
    outcome = _run(_suite(tmp_path, bucket, repeats=2), tmp_path / "out")

    (job,) = _jobs(tmp_path / "out")
    assert len(job["lines"]) == 8 and job["lines"][0] == job["lines"][1]
    cases = _cases(tmp_path / "out")
    assert sorted(c.repeat for c in cases) == [0, 0, 0, 0, 1, 1, 1, 1]
    assert all(c.status == "pass" for c in cases) and outcome.exit_code == 0


def test_2500_prompts_become_three_jobs_per_model_and_merge_back_with_duplicates(
    aws: Emulator, bucket: str, tmp_path: Path
) -> None:
    # Every 10th prompt repeats an earlier one (same prompt, reference and category): duplicates are matched too.
    records = [
        {"prompt": f"Question {i if i % 10 else i - 5}?", "referenceResponse": "Here is what I know about it"}
        for i in range(2500)
    ]
    outcome = _run(_suite(tmp_path, bucket, records=records, models=["sonnet", "haiku"]), tmp_path / "out")

    assert len(aws.requests("CreateEvaluationJob")) == 6
    jobs = _jobs(tmp_path / "out")
    assert sorted((j["model"], j["shard"], len(j["case_ids"])) for j in jobs) == [
        ("haiku", 1, 1000),
        ("haiku", 2, 1000),
        ("haiku", 3, 500),
        ("sonnet", 1, 1000),
        ("sonnet", 2, 1000),
        ("sonnet", 3, 500),
    ]
    cases = _cases(tmp_path / "out")
    assert len(cases) == 5000 and len({c.case_id for c in cases}) == 5000
    assert all(c.status == "pass" and c.output == f"Here is what I know about: {c.prompt}" for c in cases)
    assert outcome.exit_code == 0


# ---- failures, cancel, resume ----------------------------------------------------------------------------------


def test_a_failed_job_makes_its_cases_errors_with_the_failure_message(
    aws: Emulator, bucket: str, tmp_path: Path
) -> None:
    aws.set_world(_world(fail_name_pattern="-haiku-", failure_message="The model timed out."))
    outcome = _run(_suite(tmp_path, bucket, models=["sonnet", "haiku"]), tmp_path / "out")

    cases = _cases(tmp_path / "out")
    failed = [c for c in cases if c.model == "haiku"]
    assert len(failed) == 4 and all(c.status == "error" for c in failed)
    assert all("failed: The model timed out." in (c.reason or "") for c in failed)
    assert all(c.status == "pass" for c in cases if c.model == "sonnet")
    assert outcome.exit_code != 0


def test_cancelling_the_run_stops_every_running_job(
    aws: Emulator, bucket: str, tmp_path: Path, run_in_thread: Any
) -> None:
    aws.set_world(_world(never_finish_name_pattern="."))
    cancel = threading.Event()
    suite = _suite(tmp_path, bucket, models=["sonnet", "haiku"])
    box = run_in_thread(lambda: _run(suite, tmp_path / "out", cancel=cancel))
    _wait_for(lambda: len(aws.requests("GetEvaluationJob")) >= 2)

    cancel.set()
    box["thread"].join(20)

    assert len(aws.requests("StopEvaluationJob")) == 2
    cases = _cases(tmp_path / "out")
    assert len(cases) == 8 and all(c.status == "error" and c.reason == "cancelled; job stopped" for c in cases)
    client = aws.client("bedrock")
    statuses = {client.get_evaluation_job(jobIdentifier=j["arn"])["status"] for j in _jobs(tmp_path / "out")}
    assert statuses <= {"Stopping", "Stopped"}
    assert box["outcome"].exit_code == 3


def test_resume_after_a_cancel_creates_new_jobs_for_the_stopped_ones(
    aws: Emulator, bucket: str, tmp_path: Path, run_in_thread: Any
) -> None:
    aws.set_world(_world(never_finish_name_pattern="."))
    cancel = threading.Event()
    suite = _suite(tmp_path, bucket)
    box = run_in_thread(lambda: _run(suite, tmp_path / "out", cancel=cancel))
    _wait_for(lambda: len(aws.requests("GetEvaluationJob")) >= 1)
    cancel.set()
    box["thread"].join(20)
    aws.set_world(_world())
    aws.clear_requests()

    outcome = _run(suite, tmp_path / "out", resume=True)

    assert outcome.exit_code == 0
    assert len(aws.requests("CreateEvaluationJob")) == 1
    assert len(_jobs(tmp_path / "out")) == 2  # the stopped job and its replacement
    assert all(c.status == "pass" for c in {c.case_id: c for c in _cases(tmp_path / "out")}.values())


def test_resume_reattaches_to_jobs_left_running_by_a_timeout(aws: Emulator, bucket: str, tmp_path: Path) -> None:
    aws.set_world(_world(duration_seconds=1.5))
    suite = _suite(tmp_path, bucket, models=["sonnet", "haiku"], job={"timeout_minutes": 0.005})
    first = _run(suite, tmp_path / "out")
    assert all("--resume re-attaches" in (c.reason or "") for c in _cases(tmp_path / "out"))
    assert first.exit_code == 3
    aws.clear_requests()

    suite = _suite(tmp_path, bucket, models=["sonnet", "haiku"])
    second = _run(suite, tmp_path / "out", resume=True)

    assert aws.requests("CreateEvaluationJob") == []
    assert second.exit_code == 0
    latest = {c.case_id: c for c in _cases(tmp_path / "out")}
    assert len(latest) == 8 and all(c.status == "pass" for c in latest.values())


def test_resume_does_not_reattach_a_job_whose_cases_inputs_changed(aws: Emulator, bucket: str, tmp_path: Path) -> None:
    aws.set_world(_world(duration_seconds=1.5))
    suite = _suite(tmp_path, bucket, models=["sonnet", "haiku"], job={"timeout_minutes": 0.005})
    assert _run(suite, tmp_path / "out").exit_code == 3  # both jobs left running
    aws.clear_requests()

    # another model id behind `haiku`: its running job answers for the old model, so a new job is created
    data = yaml.safe_load(suite.read_text())
    data["models"]["haiku"] = SONNET
    del data["evaluations"][0]["job"]["timeout_minutes"]
    suite.write_text(yaml.safe_dump(data, sort_keys=False))
    second = _run(suite, tmp_path / "out", resume=True)

    created = aws.requests("CreateEvaluationJob")
    assert len(created) == 1
    assert second.exit_code == 0
    latest = {c.case_id: c for c in _cases(tmp_path / "out")}
    assert len(latest) == 8 and all(c.status == "pass" for c in latest.values())
    assert {c.model_id for c in latest.values() if c.model == "haiku"} == {SONNET}


def test_malformed_output_lines_make_their_cases_errors(aws: Emulator, bucket: str, tmp_path: Path) -> None:
    aws.set_world(_world(duration_seconds=0.5))
    suite = _suite(tmp_path, bucket, job={"timeout_minutes": 0.001})
    _run(suite, tmp_path / "out")
    (recorded,) = _jobs(tmp_path / "out")
    client = aws.client("bedrock")
    _wait_for(lambda: client.get_evaluation_job(jobIdentifier=recorded["arn"])["status"] == "Completed")
    s3 = aws.client("s3")
    (key,) = [k for k in _keys(aws, bucket, f"evals/{recorded['name']}/") if k.endswith("_output.jsonl")]
    lines = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
    lines[1] = '{"automatedEvaluationResult": {"scores": []'  # cut short
    lines[2] = json.dumps({"automatedEvaluationResult": {"scores": []}})  # no inputRecord
    story = json.loads(lines[3])
    story["inputRecord"]["prompt"] = " Tell me  a story.\n"  # echoed with other whitespace: still its case
    lines[3] = json.dumps(story)
    s3.put_object(Bucket=bucket, Key=key, Body="\n".join(lines).encode())

    _run(_suite(tmp_path, bucket), tmp_path / "out", resume=True)

    latest = {c.case_id: c for c in _cases(tmp_path / "out")}
    errors = [c for c in latest.values() if c.status == "error"]
    assert len(errors) == 2
    assert all("2 malformed line(s)" in (c.reason or "") and f"{key}:2" in (c.reason or "") for c in errors)
    assert sorted(c.prompt for c in latest.values() if c.status == "pass") == ["Tell me a story.", QA[0]["prompt"]]


def test_a_missing_bucket_fails_the_section_before_anything_is_created(aws: Emulator, tmp_path: Path) -> None:
    outcome = _run(_suite(tmp_path, f"no-such-bucket-{uuid.uuid4().hex[:8]}"), tmp_path / "out")

    assert outcome.exit_code == 3
    section = outcome.run.section("qa")  # type: ignore[union-attr]
    assert section.status == "not_run" and "does not exist" in (section.reason or "")
    assert outcome.run.verdict.reasons[0].startswith("qa: did not run: preflight: the bucket")  # type: ignore[union-attr]
    assert _cases(tmp_path / "out") == []  # --resume runs them once the bucket exists
    assert aws.requests("CreateEvaluationJob") == []
    assert not (tmp_path / "out" / "jobs.json").exists()


def test_dry_run_prints_the_requests_and_creates_nothing(
    aws: Emulator, bucket: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _suite(tmp_path, bucket, models=["sonnet", "haiku"])

    code = main(["run", str(suite), "--out", str(tmp_path / "out"), "--dry-run"])

    assert code == 0
    (section,) = json.loads(capsys.readouterr().out)["sections"]
    requests = [r["input"] for r in section["requests"]]
    assert [r["inferenceConfig"]["models"][0]["bedrockModel"]["modelIdentifier"] for r in requests] == [SONNET, HAIKU]
    assert all(r["roleArn"] == ROLE for r in requests)
    assert [w["records"] for w in section["writes"]] == [4, 4]
    assert aws.requests() == []
    assert _keys(aws, bucket) == []
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_sigterm_stops_the_jobs_and_the_run_exits_with_what_is_known(tmp_path: Path) -> None:
    world = load_world()
    world.jobs = world.jobs.model_copy(update={"never_finish_name_pattern": "."})
    (tmp_path / "world.yml").write_text(yaml.safe_dump(world.model_dump(mode="json", exclude_none=True)))
    suite = _suite(tmp_path, "evalcore-examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    command = [
        sys.executable,
        "-m",
        "evalcore.app.cli",
        "run",
        str(suite),
        "--emulator",
        "--world",
        str(tmp_path / "world.yml"),
    ]
    process = subprocess.Popen(
        [*command, "--out", str(tmp_path / "out"), "--quiet"], env=env, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:  # polling has begun once a progress line names a running job
        seen.append(line)
        if "evaluation job(s) done (1 InProgress)" in line:
            break
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)

    assert process.returncode == 3, "".join(seen)
    cases = _cases(tmp_path / "out")
    assert len(cases) == 4 and all(c.reason == "cancelled; job stopped" for c in cases)
    assert read_run(tmp_path / "out" / "results.json").verdict.reasons[0].startswith("the run was cancelled")  # type: ignore[union-attr]


# ---- the example -----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_managed_jobs_example_passes_its_gate_through_the_cli(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "evalcore.app.cli",
            "run",
            "examples/managed-jobs/suite.yml",
            "--emulator",
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    run = read_run(tmp_path / "out" / "results.json")
    assert run.verdict is not None and run.verdict.status == "passed"
    means = {m.model: m.metrics["Builtin.Accuracy"].mean for m in run.section("qa-jobs").models}  # type: ignore[union-attr]
    assert means["sonnet-3-5"] >= 0.85 > means["sonnet-3"]  # the baseline is shown, the candidate is gated
    junit = (tmp_path / "out" / "junit.xml").read_text()
    assert 'name="qa-jobs"' in junit and 'failures="0"' in junit
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "| sonnet-3-5 |" in summary and "| sonnet-3 |" in summary and "Builtin.Accuracy" in summary


@pytest.mark.parametrize(
    ("suite", "section", "model"),
    [
        ("demo", "qa", "haiku"),
        ("---", "___", "..."),
        ("Ünïcode suite", "section/with/slashes", "us.anthropic.claude-3-7-sonnet-20250219-v1:0"),
        ("s" * 200, "t" * 200, "m" * 200),
    ],
)
def test_job_names_fit_what_bedrock_accepts_whatever_the_suite_names(suite: str, section: str, model: str) -> None:
    """Evaluation and batch job names are built to fit botocore's EvaluationJobName and ModelInvocationJobName
    patterns (bedrock service model); nothing checks them at run time."""
    target = SectionTarget(suite, section, "0123456789ab", "bucket", "")
    for shard in (1, 12):
        name = job_name(target, model, shard, ["a", "b"])
        assert pattern("bedrock", "EvaluationJobName").fullmatch(name), name
        assert pattern("bedrock", "ModelInvocationJobName").fullmatch(name), name
