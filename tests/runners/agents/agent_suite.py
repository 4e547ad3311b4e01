"""Agent-test suites for tests: written into a temporary folder and run against the test emulator in process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from evalcore.app.orchestrate import RunOptions, RunOutcome, run_suite
from evalcore.domain.results import CASES_FILE, CaseResult, final_cases
from evalcore_emulator import World, load_world
from evalcore_emulator.world import FaultSpec

AGENT = {"type": "bedrock-agent", "bedrock_agent_id": "CLAIMAGENT", "bedrock_agent_alias_id": "TSTALIASID"}
KB = {
    "type": "bedrock-knowledge-base",
    "knowledge_base_id": "KBCLAIMS01",
    "model_id": "anthropic.claude-3-haiku-20240307-v1:0",
}
MISSING_DOCUMENTS = {
    "steps": ["Ask agent for a list of missing documents for claim-006."],
    "expected_results": ["The agent returns a list of missing documents."],
}


def write_suite(
    folder: Path,
    tests: dict[str, Any],
    target: dict[str, Any] | None = None,
    evaluator: str | dict[str, Any] | None = "claude-3",
    **section: Any,
) -> Path:
    """A suite with one agents section `claims` whose target defaults to the default world's claims agent (and
    without an `evaluator` when it is None)."""
    folder.mkdir(parents=True, exist_ok=True)
    suite = {
        "version": 1,
        "name": "agents-test",
        "defaults": {"concurrency": 8},
        "agents": [
            {
                "name": "claims",
                **({} if evaluator is None else {"evaluator": _evaluator(evaluator)}),
                "target": target or AGENT,
                "tests": tests,
                **section,
            }
        ],
    }
    path = folder / "suite.yml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def _evaluator(evaluator: str | dict[str, Any]) -> dict[str, Any]:
    return evaluator if isinstance(evaluator, dict) else {"model": evaluator}


def run(suite: Path, out: Path, **options: Any) -> RunOutcome:
    return run_suite(RunOptions(suite=suite, out=out, progress=False, log=lambda line: None, **options))


def results(out: Path) -> dict[str, CaseResult]:
    """The results of a run by test name (repeats: `name#r`)."""
    cases = {c.case_id: c for c in final_cases(out / CASES_FILE)}.values()
    return {(c.source or "") + (f"#{c.repeat}" if c.repeat else ""): c for c in cases}


def world_with(*faults: FaultSpec, unreadable_rate: float = 0.0) -> World:
    world = load_world()
    world.faults = list(faults)
    world.judge.unreadable_rate = unreadable_rate
    return world
