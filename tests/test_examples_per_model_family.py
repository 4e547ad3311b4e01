"""The example suites run with a judge and an agent evaluator of every model family, against the emulator, with no
errors: each family is asked in the strongest protocol it supports (evalcore/aws_facts/model_capabilities.yml), seen in the
emulator's request log."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from evalcore.domain.results import CASES_FILE, final_cases
from evalcore_emulator import Emulator
from tests.direct_suite import run, use_emulator

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# (a model of the family, how evalcore asks it: the request log's tool_choice, and whether a system prompt goes)
FAMILIES = {
    "anthropic": ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "tool", True),
    "nova": ("amazon.nova-pro-v1:0", "tool", True),
    "mistral-large": ("mistral.mistral-large-2407-v1:0", "any", True),
    "mistral-7b": ("mistral.mistral-7b-instruct-v0:2", None, False),
    "llama": ("us.meta.llama3-3-70b-instruct-v1:0", None, True),
    "cohere": ("cohere.command-r-plus-v1:0", None, True),
    "deepseek": ("us.deepseek.r1-v1:0", None, True),
    "jamba": ("ai21.jamba-1-5-large-v1:0", None, True),
}


def _copy(example: str, tmp_path: Path) -> Path:
    folder = tmp_path / example
    shutil.copytree(EXAMPLES / example, folder)
    return folder


def _rewrite(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _asked(emulator: Emulator, model_id: str) -> set[tuple[str | None, bool | None]]:
    return {(e.tool_choice, e.system_prompt) for e in emulator.requests("Converse") if e.target == model_id}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_the_quickstart_example_runs_with_a_judge_of_each_family(
    family: str, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_id, tool_choice, system = FAMILIES[family]
    use_emulator(monkeypatch, emulator)
    folder = _copy("quickstart", tmp_path)
    _rewrite(folder / "suite.yml", lambda d: d["defaults"].update(judge=model_id))

    outcome = run(folder / "suite.yml", tmp_path / "out")

    cases = list(final_cases(tmp_path / "out" / CASES_FILE))
    assert cases and all(c.status != "error" for c in cases), [c.reason for c in cases if c.status == "error"]
    assert outcome.exit_code == 0
    assert _asked(emulator, model_id) == {(tool_choice, system)}
    judged = [m for c in cases for m in c.metrics if m.name == "Builtin.Correctness"]
    protocol = tool_choice or "text"
    assert judged and all((m.explanation or "").endswith(f"[judge protocol: {protocol}]") for m in judged)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_the_agents_example_runs_with_an_evaluator_of_each_family(
    family: str, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_id, tool_choice, system = FAMILIES[family]
    use_emulator(monkeypatch, emulator)
    folder = _copy("agents", tmp_path)

    def evaluators(suite: dict) -> None:
        for section in suite["agents"]:
            if "evaluator" in section:
                section["evaluator"]["model"] = model_id

    _rewrite(folder / "suite.yml", evaluators)
    _rewrite(folder / "agenteval.yml", lambda plan: plan["evaluator"].update(model=model_id))

    outcome = run(folder / "suite.yml", tmp_path / "out")

    cases = list(final_cases(tmp_path / "out" / CASES_FILE))
    assert cases and all(c.status == "pass" for c in cases), [(c.case_id, c.status, c.reason) for c in cases]
    assert outcome.exit_code == 0
    assert _asked(emulator, model_id) == {(tool_choice, system)}
