"""agenteval 0.4.1 (PyPI ``agent-evaluation``), a client nobody here wrote, runs its own plans against the emulator.

It lives in a virtual environment of its own (its pins are not ours). Its evaluator (InvokeModel, Anthropic body)
is answered by the emulator's agenteval persona, its targets by the default world's claims agent and handbook
knowledge base, so the verdicts below follow from ``default_world.yml`` and the persona's documented rule.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcore_emulator import Emulator

VENV = Path.home() / ".cache" / "evalcore-test-venvs" / "agenteval"
_VERDICT = re.compile(r"^- \[(🟢|🔴) (\S+)\]", re.MULTILINE)

AGENT_PLAN_TESTS = {
    "retrieve_missing_documents": {
        "steps": ["Ask agent for a list of missing documents for claim-006."],
        "expected_results": ["The agent returns a list of missing documents."],
    },
    "answer_when_asked_for_the_claim": {
        "steps": ["Ask the agent which documents are missing.", "Give the claim ID claim-007 when asked."],
        "expected_results": ["The agent returns the missing documents for claim-007."],
        "max_turns": 3,
    },
    "claims_are_approved": {
        "steps": ["Ask agent for the status of the open claims."],
        "expected_results": ["The agent says the claims were approved and paid."],
    },
}
KB_PLAN_TESTS = {
    "how_to_file_a_claim": {
        "steps": ["Ask how to file an insurance claim."],
        "expected_results": ["The answer mentions the claim form, a police report and photos of the damage."],
    },
    "ceo_phone_number": {
        "steps": ["Ask for the phone number of the chief executive."],
        "expected_results": ["The answer gives the phone number of the chief executive."],
    },
}


@pytest.fixture(scope="session")
def agenteval() -> Path:
    """The ``agenteval`` executable, installed into its own venv on first use. No network means a failure."""
    executable = VENV / "bin" / "agenteval"
    if executable.exists():
        return executable
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(VENV)],
        [
            str(VENV / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "agent-evaluation==0.4.1",
        ],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            pytest.fail(f"could not set up the agenteval venv ({' '.join(step)}):\n{result.stderr[-3000:]}")
    return executable


def _run_plan(
    agenteval: Path, emulator: Emulator, work: Path, plan: dict[str, Any], *args: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, bool]]:
    (work / "agenteval.yml").write_text(yaml.safe_dump(plan, sort_keys=False))
    env = {
        **emulator.env(),
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(work),
        "AWS_CONFIG_FILE": str(work / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(work / "aws-credentials"),
    }
    result = subprocess.run(
        [str(agenteval), "run", *args], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )
    summary = work / "agenteval_summary.md"
    verdicts = {name: mark == "🟢" for mark, name in _VERDICT.findall(summary.read_text())} if summary.exists() else {}
    return result, verdicts


@pytest.mark.slow
def test_bedrock_agent_plan_gets_the_verdicts_the_world_implies(
    agenteval: Path, emulator: Emulator, tmp_path: Path
) -> None:
    plan = {
        # endpoint_url in the plan (the evaluator and the target each build their own client from it)
        "evaluator": {"model": "claude-3", "endpoint_url": emulator.endpoint, "aws_region": "us-east-1"},
        "target": {
            "type": "bedrock-agent",
            "bedrock_agent_id": "CLAIMAGENT",
            "bedrock_agent_alias_id": "TSTALIASID",
            "endpoint_url": emulator.endpoint,
            "aws_region": "us-east-1",
        },
        "tests": AGENT_PLAN_TESTS,
    }

    result, verdicts = _run_plan(agenteval, emulator, tmp_path, plan)

    assert result.returncode == 1, result.stderr[-3000:]
    assert verdicts == {
        "retrieve_missing_documents": True,
        "answer_when_asked_for_the_claim": True,
        "claims_are_approved": False,
    }
    summary = (tmp_path / "agenteval_summary.md").read_text()
    assert "[AGENT] Which claim should I check, what is its claim ID?" in summary
    assert "[USER] claim-007" in summary
    assert "Not all of the expected results can be observed in the conversation." in summary
    assert (tmp_path / "agenteval_traces" / "retrieve_missing_documents.json").exists()
    assert len(emulator.requests("InvokeAgent")) == 4
    assert {r.operation for r in emulator.requests()} == {"InvokeModel", "InvokeAgent"}


@pytest.mark.slow
def test_passing_tests_alone_exit_zero(agenteval: Path, emulator: Emulator, tmp_path: Path) -> None:
    plan = {
        "evaluator": {"model": "claude-3", "endpoint_url": emulator.endpoint},
        "target": {
            "type": "bedrock-agent",
            "bedrock_agent_id": "CLAIMAGENT",
            "bedrock_agent_alias_id": "TSTALIASID",
            "endpoint_url": emulator.endpoint,
        },
        "tests": AGENT_PLAN_TESTS,
    }

    result, verdicts = _run_plan(agenteval, emulator, tmp_path, plan, "--filter", "retrieve_missing_documents")

    assert result.returncode == 0, result.stderr[-3000:]
    assert verdicts == {"retrieve_missing_documents": True}


@pytest.mark.slow
def test_knowledge_base_plan_through_endpoint_environment_variables(
    agenteval: Path, emulator: Emulator, tmp_path: Path
) -> None:
    plan = {
        # no endpoint_url: botocore finds the emulator through AWS_ENDPOINT_URL_BEDROCK_RUNTIME / _AGENT_RUNTIME
        "evaluator": {"model": "claude-haiku-3_5-us"},
        "target": {
            "type": "bedrock-knowledge-base",
            "knowledge_base_id": "KBCLAIMS01",
            "model_id": "anthropic.claude-3-haiku-20240307-v1:0",
        },
        "tests": KB_PLAN_TESTS,
    }

    result, verdicts = _run_plan(agenteval, emulator, tmp_path, plan)

    assert result.returncode == 1, result.stderr[-3000:]
    assert verdicts == {"how_to_file_a_claim": True, "ceo_phone_number": False}
    assert len(emulator.requests("RetrieveAndGenerate")) == 2
