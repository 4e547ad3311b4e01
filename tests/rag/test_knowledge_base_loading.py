"""What the loader accepts and refuses in knowledge-base sections: one line each, exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcore.app.cli import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "rag"


def _suite(tmp: Path, rows: list[dict[str, Any]] | None = None, **changes: Any) -> Path:
    folder = tmp / "rag"
    shutil.copytree(EXAMPLE, folder)
    suite = yaml.safe_load((folder / "suite.yml").read_text())
    suite["knowledge_bases"][0].update(changes)
    suite["knowledge_bases"][0] = {k: v for k, v in suite["knowledge_bases"][0].items() if v is not None}
    (folder / "suite.yml").write_text(yaml.safe_dump(suite, sort_keys=False))
    if rows is not None:
        (folder / "datasets" / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder / "suite.yml"


def _validate(suite: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["validate", str(suite)])
    return code, capsys.readouterr().err


def test_the_example_validates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE / "suite.yml")]) == 0


def test_bedrock_job_mode_without_a_job_block_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _validate(_suite(tmp_path, mode="bedrock-job"), capsys)

    assert code == 2
    assert "job" in err and "suite.yml:" in err


def test_judge_metrics_of_generated_answers_are_refused_for_retrieve_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _suite(tmp_path, operation="retrieve", model=None, metrics=["recall_at_k", "Builtin.Faithfulness"])

    code, err = _validate(suite, capsys)

    assert code == 2
    assert "Builtin.Faithfulness judges a generated answer" in err


def test_retrieval_metrics_need_expected_sources_or_passages_in_every_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"prompt": "How do I file a claim?", "referenceResponse": "Fill in the form."}]

    code, err = _validate(_suite(tmp_path, rows=rows), capsys)

    assert code == 2
    assert "questions.jsonl:1" in err and "no expectedSources nor expectedPassages" in err


def test_a_rag_metric_in_an_evaluation_points_to_knowledge_base_sections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "qa.jsonl").write_text('{"prompt": "hi", "referenceResponse": "hello"}\n')
    suite = {
        "name": "s",
        "defaults": {"judge": "anthropic.claude-3-5-sonnet-20240620-v1:0"},
        "evaluations": [
            {
                "name": "qa",
                "dataset": "qa.jsonl",
                "models": ["anthropic.claude-3-haiku-20240307-v1:0"],
                "metrics": ["Builtin.ContextRelevance"],
            }
        ],
    }
    (tmp_path / "suite.yml").write_text(yaml.safe_dump(suite))

    code, err = _validate(tmp_path / "suite.yml", capsys)

    assert code == 2
    assert "declare it in a `knowledge_bases:` section" in err


def test_the_schema_lists_knowledge_base_sections_and_their_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    main(["schema"])
    schema = json.loads(capsys.readouterr().out)

    assert "knowledge_bases" in schema["properties"]
    text = json.dumps(schema)
    assert "recall_at_k" in text and "Builtin.CitationPrecision" in text
    shipped = json.loads((Path(__file__).parents[2] / "evalcore.schema.json").read_text())
    assert shipped == schema
