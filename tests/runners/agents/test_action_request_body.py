"""An OpenAPI action with a request body, as InvokeAgent reports it (botocore's bedrock-agent-runtime model):
in the trace, `ActionGroupInvocationInput.requestBody.content` maps each content type to a LIST of
`{name, type, value}`; in returnControl, `ApiInvocationInput.requestBody.content` maps it to `{properties: [...]}`."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalcore_emulator import Emulator
from evalcore_emulator.agent_world import ActionCall, Intent, Slot
from tests.direct_suite import use_emulator
from tests.runners.agents.agent_suite import results, run, world_with, write_suite


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    use_emulator(monkeypatch, emulator)


def _reopen_intent(return_control: bool) -> Intent:
    return Intent(
        name="reopen_claim",
        keywords=["reopen claim"],
        slots=[Slot(name="claim_id", pattern="claim-[0-9]+", question="Which claim?")],
        actions=[
            ActionCall(
                action_group="ClaimManagementActionGroup",
                api_path="/claims/{claimId}/reopen",
                verb="post",
                parameters={"claimId": "{claim_id}"},
                request_body={"reason": "customer request", "priority": "high"},
                output="reopened",
                return_control=return_control,
            )
        ],
        reply="Claim {claim_id} is reopened.",
    )


def test_a_traced_api_call_with_a_body_is_read_with_the_bodys_values(emulator: Emulator, tmp_path: Path) -> None:
    world = world_with()
    world.agents["CLAIMAGENT"].intents.append(_reopen_intent(return_control=False))
    emulator.set_world(world)
    tests = {
        "reopen": {
            "steps": ["Ask agent to reopen claim claim-006."],
            "expected_results": ["The agent says the claim is reopened."],
            "expected_tool_calls": [
                {
                    "function": "/claims/{claimId}/reopen",
                    "parameters": {"claimId": "claim-006", "reason": "customer request", "priority": "high"},
                }
            ],
        }
    }

    run(write_suite(tmp_path, tests), tmp_path / "out")

    case = results(tmp_path / "out")["reopen"]
    assert case.status == "pass", case.reason
    assert case.agent is not None
    (call,) = case.agent.turns[0].tool_calls
    assert call.parameters == {"claimId": "claim-006", "reason": "customer request", "priority": "high"}


def test_the_emulator_sends_the_trace_body_as_lists_and_the_return_control_body_as_properties(
    emulator: Emulator,
) -> None:
    world = world_with()
    world.agents["CLAIMAGENT"].intents.append(_reopen_intent(return_control=False))
    emulator.set_world(world)
    client = emulator.client("bedrock-agent-runtime")
    response = client.invoke_agent(
        agentId="CLAIMAGENT",
        agentAliasId="TSTALIASID",
        sessionId="s-body-1",
        inputText="Please reopen claim claim-006",
        enableTrace=True,
    )
    events = list(response["completion"])
    inputs = [
        e["trace"]["trace"]["orchestrationTrace"]["invocationInput"]["actionGroupInvocationInput"]
        for e in events
        if "actionGroupInvocationInput"
        in (e.get("trace", {}).get("trace", {}).get("orchestrationTrace", {})).get("invocationInput", {})
    ]
    (action,) = inputs
    assert action["requestBody"] == {
        "content": {
            "application/json": [
                {"name": "reason", "type": "string", "value": "customer request"},
                {"name": "priority", "type": "string", "value": "high"},
            ]
        }
    }

    world.agents["CLAIMAGENT"].intents[-1] = _reopen_intent(return_control=True)
    emulator.set_world(world)
    response = client.invoke_agent(
        agentId="CLAIMAGENT", agentAliasId="TSTALIASID", sessionId="s-body-2", inputText="reopen claim claim-006"
    )
    (control,) = [e["returnControl"] for e in response["completion"] if "returnControl" in e]
    api = control["invocationInputs"][0]["apiInvocationInput"]
    assert api["requestBody"] == {
        "content": {
            "application/json": {
                "properties": [
                    {"name": "reason", "type": "string", "value": "customer request"},
                    {"name": "priority", "type": "string", "value": "high"},
                ]
            }
        }
    }
