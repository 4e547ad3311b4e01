"""Targets on AWS services the emulator does not speak (Lambda, SageMaker, Lex V2, Q Business): their requests and
the responses they read are checked against botocore's service models with botocore's Stubber (which rejects a
parameter or a response field the model does not have), through the scheduler as in a run."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from evalcore.engine.scheduler import Scheduler
from evalcore.runners.agents.targets import TargetEnv
from evalcore.runners.agents.targets.build import build_target
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import LambdaTarget, LexTarget, QBusinessTarget, SageMakerTarget

TEST = AgentTest(steps=["Say hello."], expected_results=["A greeting."])


@pytest.fixture
def stubs() -> Iterator[dict[str, Stubber]]:
    """One stubbed client per service, made when a target first asks for it; every queued response must be used."""
    made: dict[str, Stubber] = {}
    yield made
    for stub in made.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def _env(stubs: dict[str, Stubber]) -> TargetEnv:
    session = boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1")

    def client(service: str, spec: Any) -> Any:
        if service not in stubs:
            stubs[service] = Stubber(session.client(service))
            stubs[service].activate()
        return stubs[service].client

    return TargetEnv(Scheduler(concurrency=2), client, Path("."))


def _body(document: dict[str, Any]) -> StreamingBody:
    raw = json.dumps(document).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


def test_lambda_sends_the_templated_payload_and_reads_the_answer_path(stubs: dict[str, Stubber]) -> None:
    env = _env(stubs)
    spec = LambdaTarget(
        type="lambda", function_name="claims-bot", payload={"q": "{{prompt}}", "n": 1}, response_path="$.body.answer"
    )
    target = build_target(spec, env)
    stubs["lambda"].add_response(
        "invoke",
        {"StatusCode": 200, "Payload": _body({"body": {"answer": "Hello there."}})},
        {"FunctionName": "claims-bot", "Payload": json.dumps({"q": "Hi!", "n": 1}).encode()},
    )

    reply = target.session(TEST, 0).send("Hi!")

    assert reply.text == "Hello there." and reply.attempts == 1


def test_sagemaker_places_the_prompt_in_a_copy_of_the_body(stubs: dict[str, Stubber]) -> None:
    env = _env(stubs)
    body = {"inputs": "", "parameters": {"max_new_tokens": 64}}
    spec = SageMakerTarget(
        type="sagemaker-endpoint",
        endpoint_name="llm",
        request_body=body,
        input_path="$.inputs",
        output_path="$[0].generated_text",
        target_variant="blue",
    )
    target = build_target(spec, env)
    for prompt in ("one", "two"):
        stubs["sagemaker-runtime"].add_response(
            "invoke_endpoint",
            {"Body": _body([{"generated_text": f"answer to {prompt}"}])},
            {
                "EndpointName": "llm",
                "ContentType": "application/json",
                "Accept": "application/json",
                "TargetVariant": "blue",
                "Body": json.dumps({"inputs": prompt, "parameters": {"max_new_tokens": 64}}).encode(),
            },
        )

    assert [target.session(TEST, 0).send(p).text for p in ("one", "two")] == ["answer to one", "answer to two"]
    assert body == {"inputs": "", "parameters": {"max_new_tokens": 64}}  # the plan's body is never changed


def test_lex_keeps_one_session_and_answers_completed_when_the_bot_closes(stubs: dict[str, Stubber]) -> None:
    env = _env(stubs)
    spec = LexTarget(type="lex-v2", bot_id="BOT1234567", bot_alias_id="ALIAS12345", locale_id="en_US")
    session = build_target(spec, env).session(TEST, 0)
    common = {"botId": "BOT1234567", "botAliasId": "ALIAS12345", "localeId": "en_US", "sessionId": session.session_id}
    stubs["lexv2-runtime"].add_response(
        "recognize_text",
        {
            "messages": [{"content": "Which claim?", "contentType": "PlainText"}],
            "sessionState": {"dialogAction": {"type": "ElicitSlot"}},
            "sessionId": session.session_id,
        },
        {**common, "text": "Check my claim"},
    )
    stubs["lexv2-runtime"].add_response(
        "recognize_text",
        {"sessionState": {"dialogAction": {"type": "Close"}}, "sessionId": session.session_id},
        {**common, "text": "claim-006"},
    )

    assert session.send("Check my claim").text == "Which claim?"
    reply = session.send("claim-006")
    assert reply.text == "Completed" and reply.data["lexv2_interpretation_data"][0]["sessionId"] == session.session_id


def test_q_business_continues_its_conversation_and_keeps_source_urls(stubs: dict[str, Stubber]) -> None:
    env = _env(stubs)
    spec = QBusinessTarget(type="q-business", q_business_application_id="a" * 36, q_business_user_id="tester")
    session = build_target(spec, env).session(TEST, 0)
    stubs["qbusiness"].add_response(
        "chat_sync",
        {
            "conversationId": "c" * 36,
            "systemMessage": "File within 30 days.",
            "systemMessageId": "m" * 36,
            "sourceAttributions": [{"title": "Claims", "url": "https://wiki.example.com/claims"}],
        },
        {"applicationId": "a" * 36, "userMessage": "How do I file?", "userId": "tester"},
    )
    stubs["qbusiness"].add_response(
        "chat_sync",
        {"conversationId": "c" * 36, "systemMessage": "Yes.", "systemMessageId": "n" * 36},
        {
            "applicationId": "a" * 36,
            "userMessage": "Online?",
            "userId": "tester",
            "conversationId": "c" * 36,
            "parentMessageId": "m" * 36,
        },
    )

    first = session.send("How do I file?")
    assert first.citations == ["https://wiki.example.com/claims"]
    assert session.send("Online?").text == "Yes."
