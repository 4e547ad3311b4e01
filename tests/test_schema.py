"""The JSON Schema: generated from the models, shipped in the repo in sync, and accepting every example suite."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from evalcore.app.cli import main
from evalcore.suite.schema import SCHEMA_FILE, suite_schema

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").rglob("suite*.yml"))


def test_the_shipped_schema_file_matches_the_models() -> None:
    shipped = json.loads((ROOT / SCHEMA_FILE).read_text())
    assert shipped == suite_schema(), "regenerate it: evalcore schema > evalcore.schema.json"


def test_evalcore_schema_prints_a_valid_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_suite_validates_against_the_schema(example: Path) -> None:
    jsonschema.Draft202012Validator(suite_schema()).validate(yaml.safe_load(example.read_text()))


def test_the_schema_rejects_an_unknown_key() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "evaluatons": []}, suite_schema())
