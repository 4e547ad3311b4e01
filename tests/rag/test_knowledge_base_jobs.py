"""Knowledge-base sections in mode bedrock-job (Bedrock RAG evaluation jobs) end to end: the CLI against the
emulator's evaluation jobs, datasets and results in its S3; and the request against botocore's own validation."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.validate import validate_parameters

from evalcore.app.cli import main
from evalcore.domain.plan import build_plan
from evalcore.domain.results import CASES_FILE, final_cases
from evalcore.runners.job_requests import SectionTarget
from evalcore.runners.rag_job_requests import plan_rag_jobs
from evalcore.suite.load import load_suite
from evalcore.suite.models import JobKnowledgeBaseSection
from evalcore_emulator import Emulator
from evalcore_emulator.world import load_world
from tests.direct_suite import use_emulator

EXAMPLE = Path(__file__).parents[2] / "examples" / "rag"
ROLE = "arn:aws:iam::123456789012:role/BedrockEvaluationRole"


def _suite(tmp: Path, bucket: str, rows: list[dict[str, Any]] | None = None, **changes: Any) -> Path:
    folder = tmp / "rag"
    shutil.copytree(EXAMPLE, folder)
    suite = yaml.safe_load((folder / "suite.yml").read_text())
    section = suite["knowledge_bases"][0]
    section.update(mode="bedrock-job", job={"role_arn": ROLE, "s3_uri": f"s3://{bucket}/evals", "poll_seconds": 0.05})
    section["thresholds"] = {}
    section.update(changes)
    suite["knowledge_bases"][0] = {k: v for k, v in section.items() if v is not None}
    (folder / "suite.yml").write_text(yaml.safe_dump(suite, sort_keys=False))
    if rows is not None:
        (folder / "datasets" / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder / "suite.yml"


@pytest.fixture
def bucket(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> str:
    world = load_world()
    world.jobs = world.jobs.model_copy(update={"duration_seconds": 0.05})
    emulator.set_world(world)
    use_emulator(monkeypatch, emulator)
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    name = f"rag-{uuid.uuid4().hex[:12]}"
    emulator.client("s3").create_bucket(Bucket=name)
    return name


def _run(suite: Path, out: Path) -> int:
    return main(["run", str(suite), "--out", str(out), "--no-cache", "--quiet"])


def _means(out: Path) -> dict[str, dict[str, float]]:
    run = json.loads((out / "results.json").read_text())
    (section,) = run["sections"]
    return {m["model"]: {k: v["mean"] for k, v in m["metrics"].items()} for m in section["models"]}


def test_a_retrieve_only_rag_job_scores_each_case_and_the_thinner_knowledge_base_scores_lower(
    tmp_path: Path, bucket: str
) -> None:
    metrics = ["Builtin.ContextRelevance", "Builtin.ContextCoverage"]
    suite = _suite(tmp_path, bucket, operation="retrieve", model=None, metrics=metrics)
    out = tmp_path / "out"

    assert _run(suite, out) == 0

    cases = list(final_cases(out / CASES_FILE))
    assert cases and all(c.status == "pass" for c in cases)
    assert all(c.knowledge_base is not None and c.knowledge_base.operation == "retrieve" for c in cases)
    assert all(c.knowledge_base.passages for c in cases if c.model == "current")  # type: ignore[union-attr]
    assert {c.knowledge_base.knowledge_base_id for c in cases} == {"KBCLAIMS01", "KBCLAIMS02"}  # type: ignore[union-attr]
    means = _means(out)
    assert means["lite"]["Builtin.ContextCoverage"] < means["current"]["Builtin.ContextCoverage"]


def test_a_retrieve_and_generate_rag_job_keeps_the_answer_its_citations_and_the_passages(
    tmp_path: Path, bucket: str
) -> None:
    metrics = ["Builtin.Faithfulness", "Builtin.CitationPrecision", "Builtin.Correctness"]
    suite = _suite(tmp_path, bucket, metrics=metrics)
    out = tmp_path / "out"

    assert _run(suite, out) == 0

    cases = [c for c in final_cases(out / CASES_FILE) if c.model == "current"]
    assert all(c.status == "pass" for c in cases)
    deadline = next(c for c in cases if "30 days" in (c.output or ""))
    assert deadline.knowledge_base is not None and deadline.knowledge_base.operation == "retrieve-and-generate"
    assert deadline.knowledge_base.passages and deadline.knowledge_base.citations
    assert {m.name for m in deadline.metrics} == set(metrics)
    assert all(m.value is not None for m in deadline.metrics)


def test_a_bring_your_own_rag_job_sends_the_records_outputs_and_scores_them(tmp_path: Path, bucket: str) -> None:
    rows = [
        {
            "prompt": "Within how many days must claims be filed?",
            "referenceResponse": "Within 30 days of the incident.",
            "response": "Claims must be filed within 30 days of the incident.",
            "retrievedPassages": ["Claims must be filed within 30 days of the incident."],
        },
        {
            "prompt": "Does comprehensive coverage pay for theft?",
            "referenceResponse": "Yes, it pays for theft.",
            "response": "I do not know.",
            "retrievedPassages": ["The claims desk is open Monday to Friday."],
        },
    ]
    suite = _suite(
        tmp_path,
        bucket,
        rows,
        model=None,
        targets={"mine": {"rag_source_id": "my-rag"}},
        metrics=["Builtin.CitationCoverage", "Builtin.Faithfulness"],
    )
    out = tmp_path / "out"

    assert _run(suite, out) == 0

    cases = list(final_cases(out / CASES_FILE))
    assert len(cases) == 2 and all(c.status == "pass" and c.knowledge_base.knowledge_base_id == "my-rag" for c in cases)  # type: ignore[union-attr]
    by_prompt = {c.prompt: c for c in cases}
    filed = by_prompt["Within how many days must claims be filed?"]
    assert filed.output == rows[0]["response"]
    assert [p.text for p in filed.knowledge_base.passages] == rows[0]["retrievedPassages"]  # type: ignore[union-attr]


def test_job_mode_refuses_metrics_bedrock_rag_jobs_do_not_take_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _suite(
        tmp_path, "some-bucket", operation="retrieve", model=None, metrics=["recall_at_k", "Builtin.Faithfulness"]
    )

    assert main(["validate", str(suite)]) == 2

    err = capsys.readouterr().err
    assert "'recall_at_k' is computed by evalcore: mode bedrock-job takes Bedrock's RAG metrics" in err
    assert "retrieve RAG jobs do not take Builtin.Faithfulness" in err


@pytest.mark.parametrize("operation", ["retrieve", "retrieve-and-generate", "own"])
def test_the_rag_job_request_passes_botocores_own_validation(tmp_path: Path, operation: str) -> None:
    changes: dict[str, Any] = {"metrics": ["Builtin.ContextRelevance"], "operation": "retrieve", "model": None}
    if operation == "retrieve-and-generate":
        changes = {
            "metrics": ["Builtin.Faithfulness"],
            "prompt_template": "Answer from $search_results$: $query$",
            "inference": {"max_tokens": 300, "temperature": 0.2},
        }
    if operation == "own":
        changes = {"metrics": ["Builtin.Faithfulness"], "model": None, "targets": {"mine": {"rag_source_id": "my-rag"}}}
        rows = [{"prompt": "q?", "referenceResponse": "a.", "response": "a.", "retrievedPassages": ["a."]}]
    else:
        rows = None
    loaded = load_suite(_suite(tmp_path, "some-bucket", rows, **changes))
    section = loaded.suite.section("handbook", JobKnowledgeBaseSection)
    cases = list(build_plan(loaded).cases.of("handbook"))
    target = SectionTarget.of(loaded, section, "run1", section.job.s3_uri)

    jobs = plan_rag_jobs(loaded, section, target, cases, "us-east-1")

    model = botocore.session.get_session().get_service_model("bedrock")
    for job in jobs:
        validate_parameters(job.request, model.operation_model("CreateEvaluationJob").input_shape)
        assert job.request["applicationType"] == "RagEvaluation"


def test_resume_reattaches_to_rag_jobs_left_running_by_a_timeout(
    tmp_path: Path, bucket: str, emulator: Emulator
) -> None:
    world = load_world()
    world.jobs = world.jobs.model_copy(update={"duration_seconds": 1.5})
    emulator.set_world(world)
    job = {"role_arn": ROLE, "s3_uri": f"s3://{bucket}/evals", "poll_seconds": 0.05, "timeout_minutes": 0.005}
    metrics = ["Builtin.ContextRelevance"]
    suite = _suite(tmp_path, bucket, operation="retrieve", model=None, metrics=metrics, job=job)
    out = tmp_path / "out"
    assert _run(suite, out) == 3  # both jobs left running
    assert all("--resume re-attaches" in (c.reason or "") for c in final_cases(out / CASES_FILE))
    emulator.clear_requests()

    suite = _suite(tmp_path / "again", bucket, operation="retrieve", model=None, metrics=metrics)
    code = main(["run", str(suite), "--resume", str(out), "--no-cache", "--quiet"])

    assert emulator.requests("CreateEvaluationJob") == []
    assert code == 0
    latest = {c.case_id: c for c in final_cases(out / CASES_FILE)}
    assert len(latest) == 14 and all(c.status == "pass" for c in latest.values())


def test_validate_counts_rag_jobs_not_model_calls_for_a_job_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _suite(tmp_path, "some-bucket", operation="retrieve", model=None, metrics=["Builtin.ContextRelevance"])

    assert main(["validate", str(suite)]) == 0

    out = capsys.readouterr().out
    assert "2 RAG evaluation job(s)" in out
