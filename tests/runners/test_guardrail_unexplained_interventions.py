"""A guardrail intervention no finding evalcore reads explains (an automated reasoning finding, or a policy type
added after evalcore was written) is still a block: `blocked`, by policy `unknown`, with a reason. botocore's
bedrock-runtime model lists `automatedReasoningPolicy` in `GuardrailAssessment`; its findings
(`GuardrailAutomatedReasoningFinding`: valid, invalid, satisfiable, impossible, translationAmbiguous, tooComplex,
noTranslations) carry no action, so evalcore reports them as detected."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from evalcore_emulator import Emulator
from evalcore_emulator.world import GuardrailPolicies, GuardrailSpec, ModelSpec, load_world
from tests.runners.test_guardrail_probes import HAIKU, _run, _suite

PROMPT = "Tell me about the shape of the earth."


@pytest.fixture
def reasoning_world(emulator: Emulator) -> Emulator:
    world = load_world()
    haiku = world.models[HAIKU].model_dump()
    haiku["answers"] = {**haiku["answers"], PROMPT: "The earth is flat, as every sailor knows."}
    world.models[HAIKU] = ModelSpec.model_validate(haiku)
    policies = GuardrailPolicies(automated_reasoning_invalid=["earth is flat"])
    world.guardrails["grreasoning"] = GuardrailSpec(name="reasoning", versions={"DRAFT": policies})
    emulator.set_world(world)
    return emulator


@pytest.mark.parametrize("via", ["converse", "invoke"])
def test_an_intervention_by_automated_reasoning_is_a_block_by_an_unknown_policy(
    reasoning_world: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, via: str
) -> None:
    section = f"""
    - name: reasoning
      guardrail: {{id: grreasoning}}
      via: {via}
      model: {HAIKU}
      probes:
        - {{text: "{PROMPT}", source: OUTPUT, expect: blocked}}
        - {{text: "{PROMPT}", source: OUTPUT, expect: blocked, policy: content, id: named}}
    """
    results, _ = _run(reasoning_world, monkeypatch, _suite(tmp_path, textwrap.dedent(section)))

    by_id = {r.guardrail.expected_policy: r for r in results if r.guardrail is not None}
    plain, named = by_id[None], by_id["content"]
    assert plain.status == "pass", plain.reason
    assert plain.guardrail is not None and plain.guardrail.observed == "blocked"
    assert [h.policy for h in plain.guardrail.hits] == ["unknown"]
    assert named.status == "fail"
    assert named.reason is not None and "unknown" in named.reason
    assert "automated_reasoning.invalid" in named.reason  # what the call reported, named in the reason


def test_apply_guardrail_reports_the_automated_reasoning_finding(
    reasoning_world: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    section = """
    - name: reasoning
      guardrail: {id: grreasoning}
      probes:
        - {text: "The earth is flat.", source: OUTPUT, expect: allowed}
    """
    (result,) = _run(reasoning_world, monkeypatch, _suite(tmp_path, textwrap.dedent(section)))[0]

    assert result.status == "fail"
    assert result.guardrail is not None and result.guardrail.observed == "blocked"
    assert result.reason is not None and "unknown" in result.reason
