"""The default output and cache directories have one home (evalcore/app/defaults.py): the command line, the Action
and their documentation (action.yml, the README's tables) all state the same values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from entrypoint.settings import env_name, read_settings
from evalcore.app.cli import main
from evalcore.app.defaults import CACHE_DIR, OUT_DIR
from tests.action.conftest import write_suite

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


def _row(first_cell: str) -> str:
    match = re.search(rf"^\| `{re.escape(first_cell)}`.*$", README, re.MULTILINE)
    assert match is not None, first_cell
    return match.group(0)


def test_the_command_line_states_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())

    assert f"output directory (default {OUT_DIR})" in help_text
    assert f"response cache directory (default {CACHE_DIR})" in help_text


def test_the_action_and_the_readme_state_the_same_defaults() -> None:
    assert ACTION["inputs"]["out-dir"]["default"] == str(OUT_DIR)
    assert ACTION["inputs"]["cache-dir"]["default"] == str(CACHE_DIR)
    assert f"(default `{OUT_DIR}`)" in _row("--out DIR")
    assert f"(default `{CACHE_DIR}`;" in _row("--cache-dir DIR")
    assert _row("out-dir").startswith(f"| `out-dir` | `{OUT_DIR}` |")
    assert _row("cache-dir").startswith(f"| `cache-dir` | `{CACHE_DIR}` |")


def test_the_action_falls_back_to_the_defaults_when_the_inputs_are_not_given(tmp_path: Path) -> None:
    write_suite(tmp_path)

    settings = read_settings({env_name("suite"): "evals/suite.yml"}, tmp_path)

    assert (settings.out_dir, settings.cache_dir) == (OUT_DIR, CACHE_DIR)
