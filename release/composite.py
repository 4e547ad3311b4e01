"""`python -m release.composite [--check]`: writes composite/action.yml, the composite variant of the Action, from
action.yml, the one source of the inputs and outputs. `--check` writes nothing and fails (exit 1, one line) when
composite/action.yml is not what it would write; tests/release/test_composite_action.py runs it.

The composite runs on Linux, macOS and Windows runners, without Docker: it sets up Python (actions/setup-python,
without touching the job's own Python), installs evalcore into a virtual environment (on a release, the pinned
`evalcore==X.Y.Z` from PyPI, cached by version with actions/cache; on the default branch, the action's own
checkout) and runs `python -m entrypoint`, the Docker image's entrypoint, with every input as the Docker runner
passes it: `INPUT_` and the input's name upper-cased, spaces as underscores, hyphens kept (`out-dir` ->
`INPUT_OUT-DIR`; GitHub's metadata syntax reference, "inputs.<input_id>": "the runner converts the input name to
uppercase and replaces spaces with _", https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax).
A composite's steps get no `INPUT_*` variables of their own, so the run step sets them from `inputs.<name>`.
Every step uses `shell: bash`, which GitHub-hosted runners have on Linux, macOS and Windows (Git Bash) (workflow
syntax, "jobs.<job_id>.steps[*].shell": bash is the default on non-Windows and available on Windows,
https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

HEADER = """\
# GENERATED from ../action.yml by `python -m release.composite`: edit action.yml, then run it again (a test fails
# while this file differs from what it generates). The composite variant of the Action, for macOS, Windows and Linux
# runners without Docker (`uses: <owner>/evalcore/composite@<tag>`), with the same inputs and outputs.
# On the default branch it installs evalcore from this checkout; a release (release.yml, `python -m release.pin`)
# pins EVALCORE_PACKAGE to the released version on PyPI.
"""
DESCRIPTION = (
    "Test LLM applications on Amazon Bedrock: model evaluations, guardrail probes and agent tests from one suite file, "
    "gated on thresholds, with JUnit XML, a step summary and an HTML report. The composite variant: Linux, macOS and "
    "Windows runners, no Docker (installs evalcore into a cached virtual environment)."
)
PYTHON = "3.12"
# The actions the composite uses, pinned by commit SHA, with their versions (written as a comment after each).
SETUP_PYTHON = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065"
CACHE = "actions/cache@5a3ec84eff668545956fd18022155c47e93e2684"
VERSIONS = {SETUP_PYTHON: "v5.6.0", CACHE: "v4.2.3"}
# What pip installs: the action's own checkout (the repository root, with the emulator's extra as the image has it);
# release.pin replaces it with `evalcore[emulator]==X.Y.Z`.
DEVELOPMENT_PACKAGE = "${{ github.action_path }}/..[emulator]"

VENV_SCRIPT = """\
set -euo pipefail
if [[ "$EVALCORE_PACKAGE" == "evalcore[emulator]=="* ]]; then
  # A release: one environment per version, Python and runner, kept in the tool cache and in actions/cache.
  dir="$RUNNER_TOOL_CACHE/evalcore/${EVALCORE_PACKAGE#*==}/$PYTHON_VERSION"
  echo "cacheable=true" >> "$GITHUB_OUTPUT"
else
  dir="$RUNNER_TEMP/evalcore-venv"
  echo "cacheable=false" >> "$GITHUB_OUTPUT"
fi
if [[ "$RUNNER_OS" == Windows ]]; then python="$dir/Scripts/python.exe"; else python="$dir/bin/python"; fi
{
  echo "dir=$dir"
  echo "python=$python"
  echo "package=$EVALCORE_PACKAGE"
  echo "key=evalcore-venv-$RUNNER_OS-$RUNNER_ARCH-py$PYTHON_VERSION-$EVALCORE_PACKAGE"
} >> "$GITHUB_OUTPUT"
"""
INSTALL_SCRIPT = """\
set -euo pipefail
"$SETUP_PYTHON" -m venv "$VENV"
"$EVALCORE_PYTHON" -m pip install --quiet --disable-pip-version-check --no-cache-dir "$REQUIREMENT"
"""


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line strings (the scripts), as a person would write them."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _string)


def input_variable(name: str) -> str:
    """The variable the runner sets for a Docker action's input: `out-dir` -> `INPUT_OUT-DIR`."""
    return "INPUT_" + name.replace(" ", "_").upper()


def composite(action: dict[str, Any]) -> dict[str, Any]:
    inputs: dict[str, Any] = action["inputs"]
    outputs: dict[str, Any] = action["outputs"]
    venv = "${{ steps.venv.outputs.dir }}"
    python = "${{ steps.venv.outputs.python }}"
    steps = [
        {
            "id": "python",
            "uses": SETUP_PYTHON,
            "with": {"python-version": PYTHON, "update-environment": False},
        },
        {
            "id": "venv",
            "shell": "bash",
            "env": {
                "EVALCORE_PACKAGE": DEVELOPMENT_PACKAGE,
                "PYTHON_VERSION": "${{ steps.python.outputs.python-version }}",
            },
            "run": VENV_SCRIPT,
        },
        {
            "id": "cache",
            "if": "steps.venv.outputs.cacheable == 'true'",
            "uses": CACHE,
            "with": {"path": venv, "key": "${{ steps.venv.outputs.key }}"},
        },
        {
            "if": "steps.cache.outputs.cache-hit != 'true'",
            "shell": "bash",
            "env": {
                "REQUIREMENT": "${{ steps.venv.outputs.package }}",
                "SETUP_PYTHON": "${{ steps.python.outputs.python-path }}",
                "VENV": venv,
                "EVALCORE_PYTHON": python,
            },
            "run": INSTALL_SCRIPT,
        },
        {
            "id": "run",
            "shell": "bash",
            "env": {
                "EVALCORE_PYTHON": python,
                **{input_variable(name): f"${{{{ inputs.{name} }}}}" for name in inputs},
            },
            "run": '"$EVALCORE_PYTHON" -m entrypoint\n',
        },
    ]
    return {
        "name": f"{action['name']} (composite)",
        "description": DESCRIPTION,
        "author": action.get("author", "evalcore"),
        "branding": action.get("branding", {}),
        "inputs": inputs,
        "outputs": {
            name: {"description": spec["description"], "value": f"${{{{ steps.run.outputs.{name} }}}}"}
            for name, spec in outputs.items()
        },
        "runs": {"using": "composite", "steps": steps},
    }


def generated(root: Path) -> str:
    action = yaml.safe_load((root / "action.yml").read_text(encoding="utf-8"))
    body = yaml.dump(composite(action), Dumper=_Dumper, sort_keys=False, width=116, allow_unicode=True)
    for action, version in VERSIONS.items():
        body = body.replace(f"uses: {action}\n", f"uses: {action} # {version}\n")
    return HEADER + "\n" + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release.composite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that composite/action.yml is up to date")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1], help="the repository")
    args = parser.parse_args(argv)
    target = args.root / "composite/action.yml"
    text = generated(args.root)
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(
                f"release.composite: {target} differs from action.yml's: run `python -m release.composite`",
                file=sys.stderr,
            )
            return 1
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
