"""Every malformed suite, dataset and plan in tests/suite/bad/ gives exactly the lines in its expected.txt:
`file:line[:col]: field: what is wrong (what to do)`, exit code 2, and no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evalcore.app.cli import main

BAD = Path(__file__).parent / "bad"
CASES = sorted(p.name for p in BAD.iterdir() if p.is_dir())


def test_the_corpus_has_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_validate_reports_each_problem_on_one_line_with_its_position(
    case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(BAD / case)
    code = main(["validate", "suite.yml"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err == (BAD / case / "expected.txt").read_text()
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("case", ["yaml_syntax", "dataset_non_utf8", "agent_plan_bad_evaluator"])
def test_the_command_exits_2_without_a_traceback(case: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "evalcore.app.cli", "validate", "suite.yml"],
        cwd=BAD / case,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr == (BAD / case / "expected.txt").read_text()


def test_run_refuses_a_bad_suite_before_any_call(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(BAD / "unknown_model_reference")
    assert main(["run", "suite.yml", "--out", "out"]) == 2
    assert "unknown model 'sonet'" in capsys.readouterr().err
    assert not (BAD / "unknown_model_reference" / "out").exists()
