"""composite/action.yml, the composite variant for macOS, Windows and runners without Docker, is generated from
action.yml by `python -m release.composite`: same inputs, same outputs, the same entrypoint."""

from __future__ import annotations

import os
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


def read_output_file(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT's two forms: `name=value` and `name<<DELIMITER`, the lines, `DELIMITER`."""
    outputs, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            outputs[name] = "\n".join(iter(lines.__next__, delimiter))
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


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


def test_composite_steps_run_the_action_with_the_inputs_the_runner_would_give(tmp_path: Path) -> None:
    """The composite's `venv` and `run` steps, run by bash as a runner runs them (each `${{ inputs.X }}` replaced by
    the `with:` value or the default, step outputs passed on), with this checkout's Python as the environment's:
    the entrypoint reads every input and writes every output the composite declares."""
    composite = yaml.safe_load((REPO / "composite/action.yml").read_text())
    steps = {s.get("id"): s for s in composite["runs"]["steps"]}
    workspace = tmp_path / "workspace"
    shutil.copytree(REPO / "examples/quickstart", workspace / "examples/quickstart")
    given = {"suite": "examples/quickstart/suite.yml", "emulator": "true", "out-dir": "out"}
    values = {name: given.get(name, str(spec.get("default", ""))) for name, spec in composite["inputs"].items()}
    values["github-token"] = ""  # `${{ github.token }}` outside a runner
    runner = {
        "PATH": os.environ["PATH"],
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        "RUNNER_TEMP": str(tmp_path),
        "RUNNER_TOOL_CACHE": str(tmp_path / "toolcache"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }

    def run_step(step: dict[str, object], expressions: dict[str, str]) -> dict[str, str]:
        output = tmp_path / f"output-{step['id']}"
        output.write_text("")
        env = {}
        for key, value in step["env"].items():  # type: ignore[attr-defined]
            for expression, replacement in expressions.items():
                value = value.replace(f"${{{{ {expression} }}}}", replacement)
            assert "${{" not in value, f"{key}: {value} not evaluated"
            env[key] = value
        done = subprocess.run(
            ["bash", "-c", step["run"]],  # type: ignore[list-item]
            cwd=workspace,
            env={**runner, **env, "GITHUB_OUTPUT": str(output)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return read_output_file(output.read_text())

    venv = run_step(
        steps["venv"], {"github.action_path": str(REPO / "composite"), "steps.python.outputs.python-version": "3.12.0"}
    )
    assert venv["cacheable"] == "false" and venv["package"] == f"{REPO / 'composite'}/..[emulator]"
    outputs = run_step(
        steps["run"],
        {"steps.venv.outputs.python": sys.executable, **{f"inputs.{name}": v for name, v in values.items()}},
    )

    assert outputs["verdict"] == "passed" and outputs["passed"] == "true"
    assert set(composite["outputs"]) == set(outputs)
    assert outputs["results-path"] == "out/results.json" and (workspace / "out/results.json").is_file()
