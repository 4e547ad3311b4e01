"""One registration per deterministic check: every check declared in evalcore.suite.check_specs has one scoring
function in evalcore.metrics.checks and nothing else is scored; a suite may use each declared check, with its
argument validated and its reference field required, all from the declaration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcore.app.cli import main
from evalcore.metrics.checks import IMPLEMENTATIONS, Answer, run_check
from evalcore.suite.check_specs import CHECKS, REFERENCE_FIELD
from evalcore.suite.models import parse_metric

# One well-formed use of each check (a new check needs one here: the test below fails until it has).
EXAMPLES: dict[str, Any] = {
    "exact_match": None,
    "token_f1": None,
    "rouge_l": None,
    "json_valid": None,
    "equals": "Paris",
    "contains": "{{city}}",
    "contains_any": ["Paris", "Lyon"],
    "contains_all": ["Paris"],
    "not_contains": "sorry",
    "regex": "^Par",
    "starts_with": "Pa",
    "json_schema": {"type": "object"},
    "length": {"max": 100},
    "latency_ms": {"max": 5000},
    "cost_usd": {"max": 1},
}


def _entry(name: str, arg: Any) -> Any:
    return name if CHECKS[name].argument is None else {name: arg}


def _suite(tmp_path: Path, metrics: list[Any], records: list[dict[str, Any]]) -> Path:
    (tmp_path / "qa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    suite = {
        "version": 1,
        "name": "checks",
        "models": {"m": "anthropic.claude-3-haiku-20240307-v1:0"},
        "evaluations": [{"name": "qa", "dataset": "qa.jsonl", "models": ["m"], "metrics": metrics}],
    }
    path = tmp_path / "suite.yml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False), encoding="utf-8")
    return path


def test_every_declared_check_has_one_scoring_function_and_every_function_is_declared() -> None:
    assert sorted(IMPLEMENTATIONS) == sorted(CHECKS)
    assert sorted(EXAMPLES) == sorted(CHECKS), "give the new check an example here"


def test_a_suite_using_every_declared_check_validates_and_each_one_scores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = {"prompt": "Capital of France?", "city": "Paris", REFERENCE_FIELD: "Paris"}
    path = _suite(tmp_path, [_entry(name, arg) for name, arg in EXAMPLES.items()], [record])

    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    for name, arg in EXAMPLES.items():
        score = run_check(parse_metric(_entry(name, arg)), Answer("Paris", latency_ms=10, cost_usd=0.001), record)
        assert score.error is None and score.value is not None, name


@pytest.mark.parametrize("name", [name for name, spec in CHECKS.items() if spec.argument is not None])
def test_a_check_with_the_wrong_kind_of_argument_is_refused_with_what_it_takes(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = CHECKS[name]
    assert spec.argument is not None
    path = _suite(tmp_path, [{name: [{"not": "an argument"}]}], [{"prompt": "hi"}])

    assert main(["validate", str(path)]) == 2
    assert f"`{name}` takes {spec.argument.expected}" in capsys.readouterr().err


@pytest.mark.parametrize("name", list(CHECKS))
def test_a_dataset_must_have_the_reference_exactly_for_the_checks_that_compare_with_it(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _suite(tmp_path, [_entry(name, EXAMPLES[name])], [{"prompt": "hi", "city": "Paris"}])

    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert (f"missing field '{REFERENCE_FIELD}'" in err) is CHECKS[name].needs_reference, err
    assert code == (2 if CHECKS[name].needs_reference else 0), err
