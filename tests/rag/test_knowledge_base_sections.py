"""Knowledge-base sections (mode direct) end to end: the suite through the CLI against the test emulator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcore.app.cli import main
from evalcore.domain.results import CASES_FILE, final_cases
from evalcore_emulator import Emulator
from tests.direct_suite import use_emulator, world

EXAMPLE = Path(__file__).parents[2] / "examples" / "rag"


def _example(tmp: Path, **changes: Any) -> Path:
    folder = tmp / "rag"
    shutil.copytree(EXAMPLE, folder)
    suite = yaml.safe_load((folder / "suite.yml").read_text())
    suite["knowledge_bases"][0].update(changes)
    (folder / "suite.yml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return folder / "suite.yml"


def _ask_twice(dataset: Path) -> None:
    records = [json.loads(line) for line in dataset.read_text().splitlines() if line.strip()]
    again = [{**r, "id": f"{r['id']}-again", "prompt": f"Please tell me: {r['prompt']}"} for r in records]
    dataset.write_text("".join(json.dumps(r) + "\n" for r in records + again))


def _means(out: Path) -> dict[str, dict[str, float]]:
    run = json.loads((out / "results.json").read_text())
    (section,) = run["sections"]
    return {m["model"]: {k: v["mean"] for k, v in m["metrics"].items()} for m in section["models"]}


def test_the_thinner_knowledge_base_shows_worse_retrieval_and_fails_the_recall_gate(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_emulator(monkeypatch, emulator)
    out = tmp_path / "out"

    gate_both = ["--threshold", "handbook.recall_at_k>=0.8"]
    code = main(["run", str(EXAMPLE / "suite.yml"), "--out", str(out), "--no-cache", "--quiet", *gate_both])

    assert code == 1
    means = _means(out)
    for metric in ("hit_rate", "recall_at_k", "precision_at_k", "mrr", "ndcg", "Builtin.ContextCoverage"):
        assert means["lite"][metric] < means["current"][metric], metric
    assert means["current"]["recall_at_k"] >= 0.8 > means["lite"]["recall_at_k"]
    assert means["current"]["Builtin.Faithfulness"] == means["lite"]["Builtin.Faithfulness"] == 1.0
    verdict = json.loads((out / "results.json").read_text())["verdict"]
    assert any("handbook (lite): recall_at_k >= 0.8" in r for r in verdict["reasons"])
    assert not any("(current)" in r for r in verdict["reasons"])


def test_a_case_keeps_its_passages_and_citations_whose_spans_point_into_the_answer_and_the_passages(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_emulator(monkeypatch, emulator)
    out = tmp_path / "out"

    main(["run", str(EXAMPLE / "suite.yml"), "--out", str(out), "--no-cache", "--quiet"])

    cases = list(final_cases(out / CASES_FILE))
    assert {c.kind for c in cases} == {"knowledge_base"}
    current = [c for c in cases if c.model == "current"]
    assert all(c.knowledge_base is not None and c.knowledge_base.passages for c in current)
    cited = [c for c in current if c.knowledge_base and c.knowledge_base.citations]
    assert cited
    for case in cited:
        assert case.knowledge_base is not None and case.output is not None
        scores = [p.score for p in case.knowledge_base.passages]
        assert scores == sorted(scores, reverse=True) and len(scores) <= 3
        for part in case.knowledge_base.citations:
            assert part.start is not None and part.end is not None
            assert case.output[part.start : part.end + 1] == part.text
            assert any(part.text in reference.text for reference in part.references)
            assert all(reference.location and reference.location.startswith("s3://") for reference in part.references)


def test_retrieve_only_sections_send_retrieve_with_the_targets_settings_and_no_generation(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_emulator(monkeypatch, emulator)
    suite = _example(
        tmp_path,
        operation="retrieve",
        model=None,
        targets={
            "coverage-only": {
                "knowledge_base_id": "KBCLAIMS02",
                "number_of_results": 1,
                "filter": {"equals": {"key": "topic", "value": "coverage"}},
            }
        },
        metrics=["hit_rate", "Builtin.ContextRelevance"],
        thresholds={},
    )
    suite_data = yaml.safe_load(suite.read_text())
    del suite_data["knowledge_bases"][0]["model"]
    suite.write_text(yaml.safe_dump(suite_data, sort_keys=False))
    out = tmp_path / "out"

    main(["run", str(suite), "--out", str(out), "--no-cache", "--quiet"])

    cases = list(final_cases(out / CASES_FILE))
    assert cases and all(c.status != "error" for c in cases)
    for case in cases:
        assert case.knowledge_base is not None and case.knowledge_base.operation == "retrieve"
        assert not case.knowledge_base.citations
        assert [p.location for p in case.knowledge_base.passages] in ([], ["s3://claims-handbook-lite/overview.txt"])
    operations = [r.operation for r in emulator.requests() if r.service == "bedrock-agent-runtime"]
    assert operations and set(operations) == {"Retrieve"}


def test_a_retrieval_regression_shows_in_the_diff_like_a_score_regression(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_emulator(monkeypatch, emulator)
    targets = {"kb": {"knowledge_base_id": "KBCLAIMS01", "number_of_results": 3}}
    base = _example(tmp_path / "base", targets=targets, thresholds={})
    head = _example(
        tmp_path / "head", targets={"kb": {**targets["kb"], "knowledge_base_id": "KBCLAIMS02"}}, thresholds={}
    )
    for suite in (base, head):  # the comparison claims nothing under 10 pairs: each question asked twice, reworded
        _ask_twice(suite.parent / "datasets" / "questions.jsonl")
    main(["run", str(base), "--out", str(tmp_path / "base-out"), "--no-cache", "--quiet"])
    main(["run", str(head), "--out", str(tmp_path / "head-out"), "--no-cache", "--quiet"])
    capsys.readouterr()

    main(["diff", str(tmp_path / "base-out"), str(tmp_path / "head-out"), "--format", "json"])

    report = json.loads(capsys.readouterr().out)
    verdicts = {d["metric"]: d["verdict"] for d in report["differences"] if d["model"] == "kb"}
    assert verdicts["recall_at_k"] == verdicts["ndcg"] == verdicts["Builtin.ContextCoverage"] == "regression"


def test_a_case_sends_retrieve_and_retrieve_and_generate_together_not_one_after_the_other(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Neither request needs the other's answer (botocore's RetrieveRequest and RetrieveAndGenerateRequest both take
    # only the question and the configuration), so a case is two round trips (both, then the judge), not three.
    # Concurrency 2: both calls of the one case fit under the ceiling of calls in flight.
    use_emulator(monkeypatch, emulator)
    slow = [{"kind": "latency", "operation": op, "latency_ms": 400} for op in ("Retrieve", "RetrieveAndGenerate")]
    emulator.set_world(world(faults=slow))
    suite = _example(tmp_path, targets={"current": {"knowledge_base_id": "KBCLAIMS01", "number_of_results": 3}})
    data = yaml.safe_load(suite.read_text())
    data["defaults"]["concurrency"] = 2
    data["knowledge_bases"][0]["metrics"] = ["recall_at_k", "Builtin.Faithfulness"]
    data["knowledge_bases"][0]["thresholds"] = {}
    suite.write_text(yaml.safe_dump(data, sort_keys=False))
    dataset = suite.parent / "datasets" / "questions.jsonl"
    dataset.write_text(dataset.read_text().splitlines()[0] + "\n")
    out = tmp_path / "out"

    code = main(["run", str(suite), "--out", str(out), "--no-cache", "--quiet"])

    assert code == 0
    (case,) = final_cases(out / CASES_FILE)
    assert case.status == "pass" and case.knowledge_base is not None
    assert case.knowledge_base.passages and case.knowledge_base.citations
    (retrieve,) = emulator.requests("Retrieve")
    (generate,) = emulator.requests("RetrieveAndGenerate")
    assert retrieve.fault == generate.fault == "latency"
    # each arrived while the other was still being answered
    assert generate.time < retrieve.time + retrieve.duration_ms / 1000
    assert retrieve.time < generate.time + generate.duration_ms / 1000
    (judged,) = emulator.requests("Converse")
    assert judged.time >= max(retrieve.time + retrieve.duration_ms / 1000, generate.time + generate.duration_ms / 1000)


def test_a_credential_in_a_retrieved_passage_or_a_citation_never_reaches_the_results_file(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Passages and citations are text from outside (a knowledge base's documents) like a model's answer: they are
    # redacted the same way before a result is written.
    use_emulator(monkeypatch, emulator)
    key = "AKIA" + "ABCDEFGHIJKLMNOP"
    data = world().model_dump(exclude_none=True)
    for document in data["knowledge_bases"]["KBCLAIMS01"]["documents"]:
        document["text"] = document["text"].replace("police report", f"police report (key {key})")
    emulator.set_world(world(knowledge_bases=data["knowledge_bases"]))
    suite = _example(tmp_path, targets={"current": {"knowledge_base_id": "KBCLAIMS01", "number_of_results": 3}})
    dataset = suite.parent / "datasets" / "questions.jsonl"
    dataset.write_text(dataset.read_text().splitlines()[0] + "\n")  # "How do I file a claim?"
    out = tmp_path / "out"

    main(["run", str(suite), "--out", str(out), "--no-cache", "--quiet"])

    (case,) = final_cases(out / CASES_FILE)
    assert case.knowledge_base is not None
    passages = [p.text for p in case.knowledge_base.passages]
    cited = [part.text for part in case.knowledge_base.citations]
    cited += [r.text for part in case.knowledge_base.citations for r in part.references]
    assert any("police report (key ***)" in text for text in passages)
    assert any("police report (key ***)" in text for text in cited)
    assert key not in (out / CASES_FILE).read_text()
