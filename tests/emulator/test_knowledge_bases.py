"""Retrieve and RetrieveAndGenerate through boto3 over HTTP against the default world's claims handbook."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from evalcore_emulator import Emulator

KB = "KBCLAIMS01"
MODEL_ARN = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"


def _ask(client: Any, text: str, session_id: str | None = None, kb: str = KB, model: str = MODEL_ARN) -> dict:
    args: dict[str, Any] = {
        "input": {"text": text},
        "retrieveAndGenerateConfiguration": {
            "type": "KNOWLEDGE_BASE",
            "knowledgeBaseConfiguration": {"knowledgeBaseId": kb, "modelArn": model},
        },
    }
    if session_id:
        args["sessionId"] = session_id
    return client.retrieve_and_generate(**args)


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_answer_is_the_best_matching_sentence_with_its_citation(emulator: Emulator, mode: str) -> None:
    client = emulator.client("bedrock-agent-runtime", retries={"mode": mode})

    response = _ask(client, "How do I file an insurance claim?")

    answer = response["output"]["text"]
    assert answer == "To file a claim, complete the claim form and attach a police report and photos of the damage."
    (citation,) = response["citations"]
    part = citation["generatedResponsePart"]["textResponsePart"]
    assert part["text"] == answer[part["span"]["start"] : part["span"]["end"] + 1]
    (reference,) = citation["retrievedReferences"]
    assert reference["location"] == {"type": "S3", "s3Location": {"uri": "s3://claims-handbook/claim-process.txt"}}
    assert reference["content"]["text"].startswith("To file a claim")


def test_session_id_is_created_then_reused_and_carries_the_earlier_question(emulator: Emulator) -> None:
    client = emulator.client("bedrock-agent-runtime")

    first = _ask(client, "What does comprehensive coverage pay for?")
    follow_up = _ask(client, "And what else?", session_id=first["sessionId"])
    fresh = _ask(client, "And what else?")

    assert follow_up["sessionId"] == first["sessionId"]
    assert "theft" in first["output"]["text"]
    assert follow_up["output"]["text"] == first["output"]["text"]
    assert fresh["output"]["text"] == "Sorry, I am unable to assist you with this request."
    assert fresh["citations"] == []
    assert fresh["sessionId"] != first["sessionId"]


def test_unknown_session_knowledge_base_and_model_are_errors(emulator: Emulator) -> None:
    client = emulator.client("bedrock-agent-runtime")
    cases = [
        ({"session_id": "no-such-session"}, "ResourceNotFoundException"),
        ({"kb": "NOSUCHKB01"}, "ResourceNotFoundException"),
        ({"model": "arn:aws:bedrock:us-east-1::foundation-model/acme.unknown-v1"}, "ValidationException"),
    ]

    for kwargs, code in cases:
        with pytest.raises(ClientError) as caught:
            _ask(client, "How do I file a claim?", **kwargs)
        assert caught.value.response["Error"]["Code"] == code


def test_retrieve_returns_scored_passages_best_first_limited_by_number_of_results(emulator: Emulator) -> None:
    client = emulator.client("bedrock-agent-runtime")

    everything = client.retrieve(knowledgeBaseId=KB, retrievalQuery={"text": "claims deductible payout"})
    one = client.retrieve(
        knowledgeBaseId=KB,
        retrievalQuery={"text": "claims deductible payout"},
        retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": 1}},
    )

    results = everything["retrievalResults"]
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert results[0]["location"]["s3Location"]["uri"] == "s3://claims-handbook/payout.txt"
    assert results[0]["score"] == 1.0
    assert results[0]["metadata"]["x-amz-bedrock-kb-source-uri"] == "s3://claims-handbook/payout.txt"
    assert len(results) > 1
    assert one["retrievalResults"] == results[:1]


def test_retrieve_from_an_unknown_knowledge_base_is_not_found(emulator: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        emulator.client("bedrock-agent-runtime").retrieve(knowledgeBaseId="NOSUCHKB01", retrievalQuery={"text": "x"})

    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
