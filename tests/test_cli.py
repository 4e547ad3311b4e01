"""The command line's promises: a fast --version, help everywhere, documented exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from evalcore import __version__
from evalcore.app.cli import main


def test_version_does_not_import_boto3() -> None:
    # `evalcore --version` must answer at once: heavy imports wait until a command runs.
    code = "import sys; from evalcore.app.cli import main\ntry: main(['--version'])\nexcept SystemExit: pass\nprint(sorted(m for m in ('boto3', 'botocore', 'pydantic', 'yaml') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")
    assert f"evalcore {__version__}" in out


@pytest.mark.parametrize(
    "command", ["run", "validate", "schema", "report", "merge", "diff", "power", "comment", "emulator"]
)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: evalcore" in capsys.readouterr().out


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert (
        "Exit codes: 0 passed, 1 thresholds or tests failed, 2 bad input, 3 infrastructure error"
        in capsys.readouterr().out
    )


def test_a_missing_suite_file_is_bad_input(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert main(["validate", str(tmp_path / "nope.yml")]) == 2
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'nope.yml'}: file not found (give the path of a suite file)"


def test_validate_prints_what_would_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "examples/quickstart/suite.yml"]) == 0
    out = capsys.readouterr().out
    assert "suite 'quickstart' is valid" in out
    assert "cases      40" in out


def test_a_problem_is_printed_with_its_control_characters_made_visible(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", "examples/quickstart/suite.yml", "--dry-run", "--threshold", "qa.token_f1>=\x1b[31m0.5"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "'qa.token_f1>=\\x1b[31m0.5' is not a threshold" in err


def test_a_world_without_the_emulator_is_bad_input_and_nothing_runs(
    capsys: pytest.CaptureFixture[str],
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    """`--world` only means something with `--emulator`: silently ignored, the run would go to AWS instead."""
    world = tmp_path / "world.yml"
    world.write_text("models: {}\n")
    out = tmp_path / "out"
    assert main(["run", "examples/quickstart/suite.yml", "--world", str(world), "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == "--world: only with --emulator (add --emulator, or leave out --world)"
    assert not out.exists()
