"""Threshold overrides (`--threshold`, the Action's `thresholds` input): two that bound the same aggregate of the
same section the same way are an error naming both (exit 2), never a silent last-wins."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from entrypoint.action import main as action
from evalcore.app.cli import main
from evalcore.domain.results import RUN_FILE, read_run
from evalcore_emulator import Emulator
from tests.direct_suite import HAIKU, SONNET, use_emulator

SUITE = f"""\
version: 1
name: overrides
models:
  haiku: {HAIKU}
  sonnet: {SONNET}
evaluations:
  - name: qa
    dataset: data.jsonl
    models: [haiku, sonnet]
    metrics: [token_f1]
"""


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "data.jsonl").write_text('{"prompt": "What is 2 + 2?", "referenceResponse": "4"}\n')
    path = tmp_path / "evals" / "suite.yml"
    path.write_text(SUITE)
    return path


@pytest.mark.parametrize(
    ("first", "second", "what"),
    [
        ("qa.pass_rate>=0.99", "qa.pass_rate>=0.0", ">= on qa.pass_rate"),
        ("pass_rate>=0.9", "qa.pass_rate>=0.5", ">= on qa.pass_rate"),
        ("qa.token_f1<=0.9@haiku", "qa.token_f1<=0.8@haiku", "<= on qa.token_f1@haiku"),
        ("error_rate<=0.1", "error_rate<=0.1", "<= on qa.error_rate"),
    ],
    ids=["same-section", "every-section-and-one", "same-model", "identical"],
)
def test_two_overrides_of_one_aggregate_are_bad_input_naming_both(
    suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], first: str, second: str, what: str
) -> None:
    out = tmp_path / "out"

    code = main(["run", str(suite), "--emulator", "--out", str(out), "--threshold", first, "--threshold", second])

    assert code == 2
    assert capsys.readouterr().err == (
        f"--threshold: '{first}' and '{second}' are both a threshold {what} (keep one)\n"
    )
    assert not out.exists()


def test_the_action_refuses_duplicate_thresholds_naming_both(
    suite: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = suite.parents[1]
    monkeypatch.chdir(ws)
    for key in [k for k in os.environ if k.startswith(("AWS_", "GITHUB_", "INPUT_"))]:
        monkeypatch.delenv(key)
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(ws),
        "INPUT_SUITE": "evals/suite.yml",
        "INPUT_EMULATOR": "true",
        "INPUT_THRESHOLDS": "qa.pass_rate>=0.99\nqa.pass_rate>=0.0",
    }
    log = io.StringIO()

    code = action(env, log)

    assert code == 2
    assert (
        "input 'thresholds': 'qa.pass_rate>=0.99' and 'qa.pass_rate>=0.0' are both a threshold >= on "
        "qa.pass_rate (keep one)" in log.getvalue() + capsys.readouterr().out
    )


def test_overrides_of_other_bounds_or_other_models_of_one_aggregate_all_apply(
    suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    use_emulator(monkeypatch, emulator)
    thresholds = ["qa.pass_rate>=0.5@haiku", "qa.pass_rate>=0.6@sonnet", "qa.token_f1>=0.0", "qa.token_f1<=1.0"]

    code = main(
        ["run", str(suite), "--out", str(tmp_path / "out"), "--no-cache", "--quiet"]
        + [arg for t in thresholds for arg in ("--threshold", t)]
    )

    assert code in (0, 1)  # the run went ahead: the verdict is the models', not bad input
    verdict = read_run(tmp_path / "out" / RUN_FILE).verdict
    assert verdict is not None
    checked = {(c.metric, c.bound, c.model, c.threshold) for c in verdict.checks}
    assert {
        ("pass_rate", "min", "haiku", 0.5),
        ("pass_rate", "min", "sonnet", 0.6),
        *(
            (metric, bound, model, value)
            for metric, bound, value in [("token_f1", "min", 0.0), ("token_f1", "max", 1.0)]
            for model in ("haiku", "sonnet")
        ),
    } <= checked
