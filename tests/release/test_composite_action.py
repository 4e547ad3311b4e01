"""composite/action.yml, the composite variant for macOS, Windows and runners without Docker, is generated from
action.yml by `python -m release.composite`: same inputs, same outputs, the same entrypoint."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def generate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "release.composite", "--root", str(root), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_composite_action_is_what_the_generator_makes_from_action_yml() -> None:
    result = generate(REPO, "--check")

    assert result.returncode == 0, result.stderr


def test_composite_has_the_docker_actions_inputs_and_outputs() -> None:
    docker = yaml.safe_load((REPO / "action.yml").read_text())
    composite = yaml.safe_load((REPO / "composite/action.yml").read_text())

    assert composite["inputs"] == docker["inputs"]
    assert {k: v["description"] for k, v in composite["outputs"].items()} == {
        k: v["description"] for k, v in docker["outputs"].items()
    }
    assert {k: v["value"] for k, v in composite["outputs"].items()} == {
        k: f"${{{{ steps.run.outputs.{k} }}}}" for k in docker["outputs"]
    }


def test_composite_passes_each_input_as_the_docker_runner_does() -> None:
    """The runner gives a Docker action input `out-dir` as INPUT_OUT-DIR (upper-cased, hyphens kept; spaces would be
    underscores); the composite's run step sets the same variables and runs `python -m entrypoint`."""
    composite = yaml.safe_load((REPO / "composite/action.yml").read_text())
    run = next(s for s in composite["runs"]["steps"] if s.get("id") == "run")

    assert composite["runs"]["using"] == "composite"
    assert {k: v for k, v in run["env"].items() if k.startswith("INPUT_")} == {
        "INPUT_" + name.replace(" ", "_").upper(): f"${{{{ inputs.{name} }}}}" for name in composite["inputs"]
    }
    assert run["run"].strip() == '"$EVALCORE_PYTHON" -m entrypoint'
    assert all(s["shell"] == "bash" for s in composite["runs"]["steps"] if "run" in s)


def test_check_fails_with_one_line_when_action_yml_gained_an_input(tmp_path: Path) -> None:
    for name in ("action.yml", "composite/action.yml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    action = tmp_path / "action.yml"
    action.write_text(
        action.read_text().replace(
            "\noutputs:\n", "\n  new-input:\n    description: Added.\n    required: false\n    default: x\n\noutputs:\n"
        )
    )

    stale = generate(tmp_path, "--check")
    regenerated = generate(tmp_path)

    assert stale.returncode == 1 and len(stale.stderr.strip().splitlines()) == 1, stale.stderr
    assert "python -m release.composite" in stale.stderr
    assert regenerated.returncode == 0 and generate(tmp_path, "--check").returncode == 0
    assert "INPUT_NEW-INPUT: ${{ inputs.new-input }}" in (tmp_path / "composite/action.yml").read_text()
