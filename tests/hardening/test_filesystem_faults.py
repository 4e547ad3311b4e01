"""File-system and text faults through the command: a full disk, a read-only output directory, paths that are
files, a missing or invalid emulator world, lone UTF-16 surrogates and integers past Python's 4,300-digit limit.
Each ends in ONE line on stderr (no traceback): exit 2 for bad input or options, exit 3 for the file system.

The disks are real: a small tmpfs is a full disk, a read-only tmpfs a read-only directory (root ignores chmod);
both are unmounted in teardown. Linux and root only."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from entrypoint.action import main as action
from evalcore.app.cli import main
from evalcore.domain.results import CASES_FILE, RUN_FILE, read_cases
from evalcore_emulator import Emulator
from tests.direct_suite import HAIKU, use_emulator, world

SUITE = """\
version: 1
name: fs-faults
models:
  haiku: {model}
evaluations:
  - name: qa
    dataset: {dataset}
    models: [haiku]
    metrics: [token_f1]
"""

needs_root_mounts = pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0, reason="mounts a tmpfs: Linux, as root"
)


def suite(folder: Path, rows: list[str] | None = None, dataset: str = "data.jsonl") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = rows if rows is not None else ['{"prompt": "What is 2 + 2?", "referenceResponse": "4"}']
    (folder / dataset).write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    path = folder / "suite.yml"
    path.write_text(SUITE.format(model=HAIKU, dataset=dataset), encoding="utf-8")
    return path


@pytest.fixture
def on_emulator(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Emulator:
    use_emulator(monkeypatch, emulator)
    return emulator


def mount_tmpfs(where: Path, options: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB file system: a few dozen results lines fill it."""
    yield from mount_tmpfs(tmp_path / "small", "size=256k")


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    yield from mount_tmpfs(tmp_path / "ro", "ro,size=64k")


def one_line(text: str) -> str:
    assert "Traceback" not in text
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


# ---- the disk ----


@needs_root_mounts
def test_a_full_disk_mid_run_stops_it_with_one_line_exit_3_and_what_was_written_stays_readable(
    tmp_path: Path, small_disk: Path, on_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [json.dumps({"prompt": f"Question {i}: " + "x" * 1500, "referenceResponse": "y"}) for i in range(400)]
    path = suite(tmp_path / "s", rows)
    out = small_disk / "out"

    code = main(["run", str(path), "--out", str(out), "--no-cache", "--quiet", "--concurrency", "32"])

    err = capsys.readouterr().err
    line = one_line(err)
    assert code == 3
    assert "No space left on device" in line and str(out) in line and "--resume" in line
    kept = list(read_cases(out / CASES_FILE))  # every line that is there parses; no torn fragment is left
    assert 0 < len(kept) < 400
    assert (out / CASES_FILE).read_bytes().endswith(b"\n")
    assert not (out / RUN_FILE).exists()  # no verdict from a run that could not be recorded


@needs_root_mounts
@pytest.mark.parametrize("below", [False, True], ids=["the-directory", "a-directory-below-it"])
def test_a_read_only_output_directory_is_one_line_exit_3_before_any_call(
    tmp_path: Path, read_only_dir: Path, on_emulator: Emulator, capsys: pytest.CaptureFixture[str], below: bool
) -> None:
    path = suite(tmp_path / "s")
    out = read_only_dir / "out" if below else read_only_dir

    code = main(["run", str(path), "--out", str(out), "--no-cache", "--quiet"])

    line = one_line(capsys.readouterr().err)
    assert code == 3
    assert "Read-only file system" in line and str(out) in line
    assert on_emulator.requests("Converse") == []


@pytest.mark.parametrize("option", ["--out", "--resume", "--cache-dir"])
def test_an_output_path_that_is_a_file_is_bad_input_exit_2(
    tmp_path: Path, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = suite(tmp_path / "s")
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")

    code = main(["run", str(path), option, str(a_file), "--emulator", "--quiet"])

    line = one_line(capsys.readouterr().err)
    assert code == 2
    assert line == f"{option}: {a_file} is a file, not a directory (give a directory)"
    assert a_file.read_text() == "not a directory"


# ---- the emulator's world ----


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "{world}: No such file or directory (see docs/emulator.md)"),
        ("models: 5\n", "{world}:1: models: Input should be a valid dictionary (see docs/emulator.md)"),
        ("seed: [1\n", "{world}:2: did not find expected ',' or ']' (see docs/emulator.md)"),
        (
            "seed: " + "9" * 4400 + "\n",
            "{world}:1: an integer of 4400 digits: Python reads at most 4300 (write it as a string)"
            " (see docs/emulator.md)",
        ),
    ],
    ids=["missing", "invalid", "not-yaml", "huge-integer"],
)
def test_a_missing_or_invalid_world_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | None, expected: str
) -> None:
    path = suite(tmp_path / "s")
    world_file = tmp_path / "world.yml"
    if text is not None:
        world_file.write_text(text)

    code = main(["run", str(path), "--emulator", "--world", str(world_file), "--out", str(tmp_path / "out")])

    assert one_line(capsys.readouterr().err) == expected.format(world=world_file)
    assert code == 2
    assert not (tmp_path / "out").exists()


def test_the_emulator_command_reports_a_huge_integer_in_its_world_as_one_line(tmp_path: Path) -> None:
    world_file = tmp_path / "world.yml"
    world_file.write_text("seed: 1\njudge:\n  seed: " + "7" * 5000 + "\n")

    proc = subprocess.run(
        [sys.executable, "-m", "evalcore.app.cli", "emulator", "--world", str(world_file), "--no-s3"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert proc.returncode == 2
    assert one_line(proc.stderr) == (
        f"{world_file}:3: an integer of 5000 digits: Python reads at most 4300 (write it as a string)"
    )


# ---- text ----


def test_a_lone_surrogate_in_a_dataset_is_one_line_naming_its_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = ['{"prompt": "fine", "referenceResponse": "ok"}', '{"prompt": "What is \\ud800?", "referenceResponse": "4"}']
    path = suite(tmp_path / "s", rows)

    for args in (["validate", str(path)], ["run", str(path), "--emulator", "--out", str(tmp_path / "out")]):
        code = main(args)
        captured = capsys.readouterr()
        assert code == 2
        assert one_line(captured.err) == (
            f"{tmp_path / 's' / 'data.jsonl'}:2: prompt: a lone UTF-16 surrogate \\ud800 is not text "
            "(write the character itself, or both halves of its surrogate pair)"
        )


def test_a_lone_surrogate_in_a_model_answer_is_kept_as_text_and_the_case_is_evaluated(
    tmp_path: Path, on_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted = world()
    models = scripted.model_dump(exclude_none=True)["models"]
    models[HAIKU] = {**models[HAIKU], "answers": {"What is 2 + 2?": "4 \ud800 four"}}
    on_emulator.set_world(world(models=models))
    path = suite(tmp_path / "s")
    out = tmp_path / "out"

    code = main(["run", str(path), "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--quiet"])

    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.err == ""
    assert code == 0
    [case] = list(read_cases(out / CASES_FILE))
    assert (case.status, case.output) == ("pass", "4 \ufffd four")


def test_a_jsonl_integer_past_the_digit_limit_is_one_line_naming_its_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = ['{"prompt": "fine"}', '{"prompt": "hi", "n": ' + "9" * 4400 + "}"]
    path = suite(tmp_path / "s", rows)

    code = main(["validate", str(path)])

    assert one_line(capsys.readouterr().err) == (
        f"{tmp_path / 's' / 'data.jsonl'}:2: an integer of 4400 digits: Python reads at most 4300 "
        "(write it as a string)"
    )
    assert code == 2


def test_a_yaml_integer_past_the_digit_limit_in_the_suite_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = suite(tmp_path / "s")
    path.write_text(path.read_text() + "defaults:\n  concurrency: " + "9" * 4400 + "\n")

    code = main(["validate", str(path)])

    assert one_line(capsys.readouterr().err) == (
        f"{path}:11:16: an integer of 4400 digits: Python reads at most 4300 (write it as a string)"
    )
    assert code == 2


def test_the_action_reports_a_jsonl_integer_past_the_digit_limit_as_one_bad_input_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = tmp_path / "ws"
    suite(ws / "evals", ['{"prompt": "hi", "n": ' + "9" * 4400 + "}"])
    monkeypatch.chdir(ws)
    for key in [k for k in os.environ if k.startswith(("AWS_", "GITHUB_", "INPUT_"))]:
        monkeypatch.delenv(key)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(ws), "INPUT_SUITE": "evals/suite.yml"}
    log = io.StringIO()

    code = action(env, log)

    assert code == 2
    assert "Traceback" not in log.getvalue() + capsys.readouterr().err
    assert "data.jsonl,line=1" in log.getvalue()
    assert "an integer of 4400 digits: Python reads at most 4300 (write it as a string)" in log.getvalue()
