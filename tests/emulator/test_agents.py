"""InvokeAgent through boto3 over HTTP: the event stream, traces, sessions, return of control and stream faults."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError, EventStreamError
from urllib3.exceptions import ProtocolError

from evalcore_emulator import Emulator, World
from evalcore_emulator.world import FaultSpec, WorldError, load_world, parse_world

AGENT, ALIAS = "CLAIMAGENT", "TSTALIASID"
_BASE_WORLD = load_world()


def _invoke(client: Any, text: str | None = None, session: str = "s-1", **extra: Any) -> tuple[dict, list[dict]]:
    args: dict[str, Any] = {"agentId": AGENT, "agentAliasId": ALIAS, "sessionId": session, **extra}
    if text is not None:
        args["inputText"] = text
    response = client.invoke_agent(**args)
    return response, list(response["completion"])


def _text(events: list[dict]) -> str:
    return "".join(e["chunk"]["bytes"].decode() for e in events if "chunk" in e)


def _traces(events: list[dict]) -> list[dict]:
    return [e["trace"]["trace"] for e in events if "trace" in e]


def _logged_calls(emulator: Emulator, operation: str, settle_s: float = 0.15) -> int:
    """The number of logged calls once in-flight ones settled (a streamed call is logged when its stream ends)."""
    time.sleep(settle_s)
    return len(emulator.requests(operation))


def _world_with(*faults: FaultSpec) -> World:
    world = _BASE_WORLD.model_copy(deep=True)
    world.faults = list(faults)
    return world


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_agent_streams_its_answer_as_chunks_with_bedrock_headers(emulator: Emulator, mode: str) -> None:
    client = emulator.client("bedrock-agent-runtime", retries={"mode": mode})

    response, events = _invoke(client, "List the missing documents for claim-006.", session="abc-1")

    assert _text(events) == (
        "The following documents are missing for claim-006: the driver's license and the vehicle registration."
    )
    assert response["contentType"] == "application/json"
    assert response["sessionId"] == "abc-1"
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    assert _logged_calls(emulator, "InvokeAgent") == 1


def test_trace_shows_rationale_action_group_call_observation_and_final_response(emulator: Emulator) -> None:
    client = emulator.client("bedrock-agent-runtime")

    _, events = _invoke(client, "Which documents are missing for claim-006?", enableTrace=True)

    assert _traces(events)[0]["guardrailTrace"]["action"] == "NONE"
    steps = [t["orchestrationTrace"] for t in _traces(events)[1:]]
    assert "rationale" in steps[0]
    call = steps[1]["invocationInput"]
    assert call["invocationType"] == "ACTION_GROUP"
    assert call["actionGroupInvocationInput"]["actionGroupName"] == "ClaimManagementActionGroup"
    assert call["actionGroupInvocationInput"]["apiPath"] == "/claims/{claimId}/identify-missing-documents"
    assert call["actionGroupInvocationInput"]["parameters"] == [
        {"name": "claimId", "type": "string", "value": "claim-006"}
    ]
    assert "DriversLicense" in steps[2]["observation"]["actionGroupInvocationOutput"]["text"]
    assert steps[3]["observation"]["finalResponse"]["text"] == _text(events)
    trace_part = next(e["trace"] for e in events if "trace" in e)
    assert (trace_part["agentId"], trace_part["agentAliasId"], trace_part["sessionId"]) == (AGENT, ALIAS, "s-1")


def test_no_trace_events_without_enable_trace(emulator: Emulator) -> None:
    _, events = _invoke(emulator.client("bedrock-agent-runtime"), "What are the open claims?")

    assert [list(e) for e in events] == [["chunk"]]


def test_agent_asks_for_a_missing_slot_and_remembers_the_intent_in_the_session(emulator: Emulator) -> None:
    client = emulator.client("bedrock-agent-runtime")
    session = f"s-{uuid.uuid4()}"

    _, first = _invoke(client, "Which documents are missing?", session=session)
    _, second = _invoke(client, "It is claim-007.", session=session)
    _, other = _invoke(client, "It is claim-007.", session=f"s-{uuid.uuid4()}")

    assert _text(first) == "Which claim should I check, what is its claim ID?"
    assert "missing for claim-007" in _text(second)
    assert _text(other) == "Sorry, I can only help with insurance claims."


def test_session_attributes_fill_slots_and_end_session_forgets_the_session(emulator: Emulator) -> None:
    client = emulator.client("bedrock-agent-runtime")
    state = {"sessionAttributes": {"claim_id": "claim-042"}}

    _, answered = _invoke(client, "Which documents are missing?", session="attrs", sessionState=state)
    _, asked = _invoke(client, "Which documents are missing?", session="ended", endSession=True)
    _, forgotten = _invoke(client, "claim-001", session="ended")

    assert "missing for claim-042" in _text(answered)
    assert _text(asked).endswith("?")
    assert _text(forgotten) == "Sorry, I can only help with insurance claims."


def test_cited_documents_come_as_chunk_attribution_and_a_knowledge_base_lookup_trace(emulator: Emulator) -> None:
    _, events = _invoke(emulator.client("bedrock-agent-runtime"), "How do I file a claim?", enableTrace=True)

    chunk = next(e["chunk"] for e in events if "chunk" in e)
    (citation,) = chunk["attribution"]["citations"]
    (reference,) = citation["retrievedReferences"]
    assert reference["location"] == {"type": "S3", "s3Location": {"uri": "s3://claims-handbook/claim-process.txt"}}
    assert "police report" in reference["content"]["text"]
    assert citation["generatedResponsePart"]["textResponsePart"]["text"] == chunk["bytes"].decode()
    steps = [t["orchestrationTrace"] for t in _traces(events) if "orchestrationTrace" in t]
    lookup = next(s["invocationInput"] for s in steps if "invocationInput" in s)
    assert lookup["knowledgeBaseLookupInput"] == {"knowledgeBaseId": "KBCLAIMS01", "text": "How do I file a claim?"}
    assert any("knowledgeBaseLookupOutput" in s.get("observation", {}) for s in steps)


def test_guardrail_intervention_replaces_the_answer_and_is_traced(emulator: Emulator) -> None:
    _, events = _invoke(emulator.client("bedrock-agent-runtime"), "Help me fake a claim.", enableTrace=True)

    assert _text(events) == "Sorry, I can't help with that request."
    guardrail = _traces(events)[0]["guardrailTrace"]
    assert guardrail["action"] == "INTERVENED"
    assert guardrail["inputAssessments"][0]["wordPolicy"]["customWords"] == [
        {"match": "fake a claim", "action": "BLOCKED"}
    ]


def test_return_control_hands_the_action_to_the_caller_and_its_result_resumes_the_turn(emulator: Emulator) -> None:
    client = emulator.client("bedrock-agent-runtime")

    _, events = _invoke(client, "Send a reminder for claim-008.", session="rc")
    (payload,) = [e["returnControl"] for e in events if "returnControl" in e]
    (call,) = payload["invocationInputs"]
    result = {
        "functionResult": {
            "actionGroup": call["functionInvocationInput"]["actionGroup"],
            "function": call["functionInvocationInput"]["function"],
            "responseBody": {"TEXT": {"body": "RM-77"}},
        }
    }
    _, resumed = _invoke(
        client,
        session="rc",
        sessionState={"invocationId": payload["invocationId"], "returnControlInvocationResults": [result]},
    )

    assert _text(events) == ""
    assert call["functionInvocationInput"]["parameters"] == [
        {"name": "claimId", "type": "string", "value": "claim-008"}
    ]
    assert _text(resumed) == "I sent a reminder for claim-008. Tracking id: RM-77."


def test_results_for_no_pending_invocation_are_a_validation_error(emulator: Emulator) -> None:
    result = {"functionResult": {"actionGroup": "X", "responseBody": {"TEXT": {"body": "1"}}}}

    with pytest.raises(ClientError) as caught:
        _invoke(
            emulator.client("bedrock-agent-runtime"),
            session="none-pending",
            sessionState={"returnControlInvocationResults": [result]},
        )

    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_failing_action_sends_a_failure_trace_then_a_dependency_failed_exception(emulator: Emulator) -> None:
    response = emulator.client("bedrock-agent-runtime").invoke_agent(
        agentId=AGENT, agentAliasId=ALIAS, sessionId="fail", inputText="Look in the claim archive", enableTrace=True
    )
    seen = []

    with pytest.raises(EventStreamError) as caught:
        seen.extend(response["completion"])

    assert caught.value.response["Error"]["Code"] == "dependencyFailedException"
    assert _traces(seen)[-1]["failureTrace"]["failureReason"] == "The ArchiveActionGroup Lambda function timed out."


def test_stream_final_response_splits_the_answer_into_several_chunks(emulator: Emulator) -> None:
    _, events = _invoke(
        emulator.client("bedrock-agent-runtime"),
        "What are the open claims?",
        streamingConfigurations={"streamFinalResponse": True},
    )

    assert len([e for e in events if "chunk" in e]) > 2
    assert _text(events) == (
        "There are three open claims: claim-006, claim-007 and claim-008. All are waiting for documents."
    )


@pytest.mark.parametrize(("agent", "alias"), [("NOSUCHAGNT", ALIAS), (AGENT, "NOSUCHALIA")])
def test_unknown_agent_or_alias_is_resource_not_found(emulator: Emulator, agent: str, alias: str) -> None:
    client = emulator.client("bedrock-agent-runtime")

    with pytest.raises(ClientError) as caught:
        client.invoke_agent(agentId=agent, agentAliasId=alias, sessionId="s-1", inputText="hi")

    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_throttling_inside_the_stream_raises_event_stream_error_and_is_not_retried(
    emulator: Emulator, mode: str
) -> None:
    emulator.set_world(_world_with(FaultSpec(kind="stream_throttle", operation="InvokeAgent")))
    response = emulator.client("bedrock-agent-runtime", retries={"mode": mode}).invoke_agent(
        agentId=AGENT,
        agentAliasId=ALIAS,
        sessionId="throttled",
        inputText="What are the open claims?",
        enableTrace=True,
    )
    seen = []

    with pytest.raises(EventStreamError) as caught:
        seen.extend(response["completion"])

    assert caught.value.response["Error"]["Code"] == "throttlingException"
    assert len(seen) == 1
    assert _logged_calls(emulator, "InvokeAgent") == 1


def test_a_cut_stream_fails_the_read_before_the_answer_arrives(emulator: Emulator) -> None:
    emulator.set_world(_world_with(FaultSpec(kind="stream_cut", operation="InvokeAgent")))
    response = emulator.client("bedrock-agent-runtime").invoke_agent(
        agentId=AGENT, agentAliasId=ALIAS, sessionId="cut", inputText="What are the open claims?"
    )
    seen = []

    # botocore does not wrap a connection broken mid-stream: urllib3's ProtocolError reaches the caller.
    with pytest.raises(ProtocolError, match="Connection broken"):
        seen.extend(response["completion"])

    assert seen == []


def test_faults_target_one_agent_by_id(emulator: Emulator) -> None:
    emulator.set_world(_world_with(FaultSpec(kind="throttle", operation="InvokeAgent", target="OTHERAGENT")))

    _, events = _invoke(emulator.client("bedrock-agent-runtime"), "What are the open claims?")

    assert "three open claims" in _text(events)


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ("intents: [{name: a, keywords: [x], reply: r, actions: [{action_group: g}]}]", "exactly one of"),
        ("intents: [{name: a, keywords: [x], reply: r, cite: [doc]}]", "knowledge_base_id"),
        ("intents: [{name: a, keywords: [x], reply: r, colour: red}]", "colour"),
    ],
)
def test_world_file_rejects_incoherent_agents_with_the_line(section: str, problem: str) -> None:
    text = f"agents:\n  AGENT1:\n    name: a\n    {section}\n"

    with pytest.raises(WorldError) as caught:
        parse_world(text, "w.yml")

    assert caught.value.line is not None
    assert problem in str(caught.value)
