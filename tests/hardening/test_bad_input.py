"""Bad Action inputs, suites, datasets and plans beyond tests/suite/bad/: each one gives exactly one line of error
naming the input or the file and line, exit code 2, no traceback, and nothing is written anywhere (the temporary
tree is the same before and after, but for the output directory)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoint.action import main as action
from entrypoint.settings import env_name
from evalcore.app.cli import main as command
from tests.hardening.bad_inputs import CASES, Bad, good

REPO = Path(__file__).resolve().parents[2]


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under `root` but the output directory, with its size and modification time."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "evalcore-out"]
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            stat = path.lstat()
            found[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


def workspace(case: Bad, root: Path) -> Path:
    ws, outside = root / "ws", root / "outside"
    ws.mkdir()
    outside.mkdir()
    (case.setup or (lambda w, o: good(w)))(ws, outside)
    return ws


def action_env(ws: Path, inputs: dict[str, str]) -> dict[str, str]:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(ws),
        "INPUT_SUITE": "evals/suite.yml",
        "INPUT_OUT-DIR": "evalcore-out",
        "INPUT_CACHE-DIR": ".evalcore/cache",
        "INPUT_COMMENT": "auto",
        "INPUT_FAIL-ON": "threshold",
    }
    env.update({env_name(name): value for name, value in inputs.items()})
    return env


def test_the_corpus_has_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gives_one_line_naming_it_exit_2_and_writes_nothing(
    case: Bad, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = workspace(case, tmp_path)
    monkeypatch.chdir(ws)
    for key in [k for k in os.environ if k.startswith(("AWS_", "GITHUB_", "INPUT_"))]:
        monkeypatch.delenv(key)
    before = tree(tmp_path)
    if case.inputs is not None:
        stream = io.StringIO()
        code = action(action_env(ws, case.inputs), stream)
        captured = capsys.readouterr()
        log = stream.getvalue() + captured.out + captured.err
    else:
        assert case.args is not None
        code = command(case.args)
        captured = capsys.readouterr()
        assert captured.out == ""
        log = captured.err

    assert code == 2
    assert log.replace(str(ws), "{ws}") == case.expected + "\n"
    assert tree(tmp_path) == before


@pytest.mark.parametrize("name", ["suite_deeply_nested", "suite_billion_laughs", "dataset_ten_mb_prompt"])
def test_the_action_process_exits_2_without_a_traceback_in_seconds(name: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == name)
    ws = workspace(case, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GITHUB_", "INPUT_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "entrypoint"],
        env={**env, **action_env(ws, case.inputs or {}), "PYTHONPATH": str(REPO)},
        cwd=ws,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert proc.stderr == ""
    assert proc.stdout.replace(str(ws), "{ws}") == case.expected + "\n"
