"""agenteval plans run unchanged through `plan:`, and the agents example run as a user runs it (the command)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from evalcore_emulator import Emulator
from tests.direct_suite import use_emulator
from tests.runners.agents.agent_suite import results

EXAMPLE = Path(__file__).parents[3] / "examples" / "agents"
# agenteval's sample plan (what `agenteval init` writes), with the claims agent of the emulator's default world
# and the endpoint_url key agenteval's targets take.
SAMPLE_PLAN = {
    "evaluator": {"model": "claude-3"},
    "target": {
        "type": "bedrock-agent",
        "bedrock_agent_id": "CLAIMAGENT",
        "bedrock_agent_alias_id": "TSTALIASID",
        "aws_region": "us-east-1",
    },
    "tests": {
        "retrieve_missing_documents": {
            "steps": ["Ask agent for a list of missing documents for claim-006."],
            "expected_results": ["The agent returns a list of missing documents."],
        }
    },
}


def _evalcore(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evalcore.app.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_agentevals_sample_plan_runs_unchanged_with_its_endpoint_url(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_emulator(monkeypatch, emulator)
    for variable in ("AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"):
        monkeypatch.delenv(variable)  # only the plan's endpoint_url and the suite's aws settings lead to the emulator
    plan = {
        "evaluator": {**SAMPLE_PLAN["evaluator"], "endpoint_url": emulator.endpoint},
        "target": {**SAMPLE_PLAN["target"], "endpoint_url": emulator.endpoint},
        "tests": SAMPLE_PLAN["tests"],
    }
    (tmp_path / "agenteval.yml").write_text(yaml.safe_dump(plan, sort_keys=False))
    suite = {"version": 1, "name": "plan", "agents": [{"name": "sample", "plan": "agenteval.yml"}]}
    (tmp_path / "suite.yml").write_text(yaml.safe_dump(suite, sort_keys=False))

    done = _evalcore("run", "suite.yml", "--out", "out", "--quiet", cwd=tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    case = results(tmp_path / "out")["retrieve_missing_documents"]
    assert case.status == "pass" and case.agent is not None
    assert case.agent.evaluator_model == "anthropic.claude-3-sonnet-20240229-v1:0"
    assert [r.operation for r in emulator.requests()].count("InvokeAgent") == 1
    summary = (tmp_path / "out" / "agenteval" / "sample" / "agenteval_summary.md").read_text()
    assert "- [🟢 retrieve_missing_documents](#retrieve_missing_documents)" in summary
    trace = json.loads(
        (tmp_path / "out" / "agenteval" / "sample" / "agenteval_traces" / "retrieve_missing_documents.json").read_text()
    )
    assert [s["step_name"] for s in trace["steps"]] == [
        "write_user_message",
        "invoke_target",
        "record_steps_verdict",
        "record_results_verdict",
    ]


def test_the_agents_example_passes_on_the_emulator_through_the_command(tmp_path: Path) -> None:
    done = _evalcore(
        "run", str(EXAMPLE / "suite.yml"), "--emulator", "--out", str(tmp_path / "out"), "--quiet", cwd=tmp_path
    )

    assert done.returncode == 0, done.stdout + done.stderr
    cases = results(tmp_path / "out")
    assert len(cases) == 10 and all(c.status == "pass" for c in cases.values())
    reminder = cases["send_reminder"]
    assert reminder.agent is not None and "TRK-1042" in (reminder.agent.turns[-1].agent or "")
    sections = sorted(p.name for p in (tmp_path / "out" / "agenteval").iterdir())
    assert sections == ["claims-agent", "claims-plan", "handbook"]
