"""The composite variant (composite/action.yml) run by nektos/act: a workflow with `uses: ./composite` on the emulator,
one job within its thresholds and one that breaches one, as tests/container/test_action_under_act.py does for the
Docker action. The runner is the base image (`-P ubuntu-latest=EVALCORE_BASE_IMAGE --pull=false`): bash, and python3
with venv.

Two stand-ins, because this machine cannot reach github.com, where act fetches the actions a composite uses: act's
`--local-repository <action>@<sha>=<folder>` replaces the two pinned in release/composite.py with stub actions written
here. actions/setup-python's stub gives the outputs the composite reads, `python-path` (the runner image's python3)
and `python-version`, without installing a Python; actions/cache's stub restores nothing (`cache-hit: 'false'`). What
the composite does itself (its venv, its pip install, `python -m entrypoint`, the outputs) runs for real.

The job container reaches no package index, so pip installs evalcore (on the default branch: the action's own
checkout) and its dependencies from a wheelhouse: downloaded on the host once per session (the host's pip and pip
configuration, whose cache keeps it cheap) for the runner image's interpreter and platform tags, mounted read-only
into the job (`--container-options -v`) and named by `PIP_FIND_LINKS` with `PIP_NO_INDEX=1` (`--env`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import pytest

from release.composite import CACHE, SETUP_PYTHON
from tests.container.act_runs import ActRun, run_act
from tests.container.conftest import REPO, docker

WHEELS = "/evalcore-wheels"
WORKFLOW = """\
name: {name}
on: push
jobs:
  within:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: evals
        uses: ./composite
        with:
          suite: examples/quickstart/suite.yml
          emulator: true
      - name: A later step reads the outputs and the files they name
        env:
          VERDICT: ${{{{ steps.evals.outputs.verdict }}}}
          RESULTS: ${{{{ steps.evals.outputs.results-path }}}}
        run: test "$VERDICT" = passed && test -s "$RESULTS"
  breached:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: evals
        uses: ./composite
        with:
          suite: examples/quickstart/suite.yml
          emulator: true
          thresholds: qa.pass_rate>=0.95
      - name: Never reached
        run: echo "the job went on after a breached threshold"
"""
# Stand-in for actions/setup-python: the runner image's python3, and its version, as setup-python's outputs.
SETUP_PYTHON_STUB = """\
name: setup-python (stand-in)
description: The runner image's python3 in place of actions/setup-python, which needs github.com.
inputs:
  python-version: {required: false}
  update-environment: {required: false}
outputs:
  python-path: {description: python3, value: "${{ steps.find.outputs.python-path }}"}
  python-version: {description: its version, value: "${{ steps.find.outputs.python-version }}"}
runs:
  using: composite
  steps:
    - id: find
      shell: bash
      run: |
        python=$(command -v python3)
        echo "python-path=$python" >> "$GITHUB_OUTPUT"
        echo "python-version=$("$python" -c 'import platform; print(platform.python_version())')" >> "$GITHUB_OUTPUT"
"""
# Stand-in for actions/cache: nothing restored, nothing saved.
CACHE_STUB = """\
name: cache (stand-in)
description: Restores nothing, in place of actions/cache, which needs github.com.
inputs:
  path: {required: false}
  key: {required: false}
outputs:
  cache-hit: {description: never, value: 'false'}
runs:
  using: composite
  steps:
    - shell: bash
      run: 'true'
"""
# The runner image's interpreter and platform tags, for pip download on the host.
TAGS = """\
import json, sys
from pip._vendor.packaging import tags
first = next(iter(tags.sys_tags()))
same = [t for t in tags.sys_tags() if t.interpreter == first.interpreter]
print(json.dumps({
    "version": "%d.%d" % sys.version_info[:2],
    "abis": sorted({t.abi for t in same}),
    "platforms": sorted({t.platform for t in same if t.platform != "any"}),
}))
"""


@pytest.fixture(scope="session")
def wheelhouse(base_image: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """evalcore's dependencies (with the emulator's extra) and its build backend, as wheels for the runner image."""
    found = docker("run", "--rm", "--network", "host", base_image, "python3", "-c", TAGS)
    if found.returncode != 0:
        pytest.fail(f"the runner image {base_image} has no python3 with pip: {found.stderr.strip()[-300:]}")
    tags = json.loads(found.stdout)
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = [
        *project["build-system"]["requires"],
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["emulator"],
    ]
    dest = tmp_path_factory.mktemp("wheels")
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--dest", str(dest),
        "--only-binary=:all:", "--python-version", tags["version"], "--implementation", "cp",
        *(f"--abi={abi}" for abi in tags["abis"]), *(f"--platform={p}" for p in tags["platforms"]), *requirements,
    ]  # fmt: skip
    download = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if download.returncode != 0:
        pytest.fail(f"pip download of the wheelhouse failed: {download.stderr.strip().splitlines()[-1:]}")
    return dest


@pytest.fixture(scope="module")
def act_run(base_image: str, wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> ActRun:
    name = f"evalcore-composite-{uuid.uuid4().hex[:8]}"
    folder = tmp_path_factory.mktemp("act-composite")
    workflow = folder / "workflow.yml"
    workflow.write_text(WORKFLOW.format(name=name), encoding="utf-8")
    stand_ins = []
    for action, stub in ((SETUP_PYTHON, SETUP_PYTHON_STUB), (CACHE, CACHE_STUB)):
        stub_dir = folder / action.split("@")[0].replace("/", "-")
        stub_dir.mkdir()
        (stub_dir / "action.yml").write_text(stub, encoding="utf-8")
        stand_ins += ["--local-repository", f"{action}={stub_dir}"]
    wheels = ["--container-options", f"-v {wheelhouse}:{WHEELS}:ro", "--env", f"PIP_FIND_LINKS={WHEELS}"]
    return run_act(name, workflow, base_image, *stand_ins, *wheels, "--env", "PIP_NO_INDEX=1")


def test_act_runs_the_composite_and_a_later_step_reads_its_outputs(act_run: ActRun) -> None:
    outputs = act_run.outputs("within")

    assert act_run.result("within") == "success", act_run.stderr[-3000:]
    assert (outputs["verdict"], outputs["passed"], outputs["results-path"]) == (
        "passed",
        "true",
        "evalcore-out/results.json",
    )
    assert set(json.loads(outputs["scores"])["qa"]) == {"haiku", "sonnet"}


def test_a_breached_threshold_fails_the_composites_job_under_act(act_run: ActRun) -> None:
    errors = act_run.of("breached", "error")

    assert act_run.result("breached") == "failure", act_run.stderr[-3000:]
    assert act_run.code != 0 and "Job 'breached' failed" in act_run.stderr
    assert act_run.outputs("breached")["verdict"] == "failed"
    assert [e["kvPairs"]["title"] for e in errors] == [
        "Threshold not met: qa (haiku)",
        "Threshold not met: qa (sonnet)",
    ]
    assert not [r for r in act_run.records if r.get("jobID") == "breached" and r.get("step") == "Never reached"]
