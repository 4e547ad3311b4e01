"""The HTTP server itself: admin endpoints, unknown paths, keep-alive, loopback only, environment for SDKs."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from evalcore_emulator import Emulator

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
CONVERSE = f"/model/{HAIKU.replace(':', '%3A')}/converse"
BODY = json.dumps({"messages": [{"role": "user", "content": [{"text": "Say hello."}]}]})


def _connection(emulator: Emulator) -> http.client.HTTPConnection:
    url = urlsplit(emulator.endpoint)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=10)


def _call(emulator: Emulator, method: str, path: str, body: str | None = None) -> tuple[int, dict, dict]:
    connection = _connection(emulator)
    connection.request(method, path, body)
    response = connection.getresponse()
    payload = json.loads(response.read() or b"{}")
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, payload


def test_health(emulator: Emulator) -> None:
    status, _, payload = _call(emulator, "GET", "/_emulator/health")

    assert status == 200
    assert payload["status"] == "ok"
    assert payload["endpoint"] == emulator.endpoint


def test_request_log_over_http_filters_and_clears(emulator: Emulator) -> None:
    _call(emulator, "POST", CONVERSE, BODY)
    _call(
        emulator,
        "POST",
        "/guardrail/grdemo/version/DRAFT/apply",
        json.dumps({"source": "INPUT", "content": [{"text": {"text": "hi"}}]}),
    )

    _, _, everything = _call(emulator, "GET", "/_emulator/requests")
    _, _, converse = _call(emulator, "GET", "/_emulator/requests?operation=Converse")
    _, _, cleared = _call(emulator, "DELETE", "/_emulator/requests")

    assert [r["operation"] for r in everything["requests"]] == ["Converse", "ApplyGuardrail"]
    assert converse["requests"][0] | {"time": 0, "duration_ms": 0} == {
        "time": 0,
        "operation": "Converse",
        "service": "bedrock-runtime",
        "method": "POST",
        "path": f"/model/{HAIKU}/converse",
        "target": HAIKU,
        "status": 200,
        "fault": None,
        "duration_ms": 0,
        "injected_latency_ms": 0.0,
        "tool_choice": None,
        "system_prompt": False,
        "mcp": None,
    }
    assert cleared == {"cleared": 2}
    assert emulator.requests() == []


def test_put_world_as_yaml_replaces_the_world(emulator: Emulator) -> None:
    world = f"models:\n  {HAIKU}:\n    answers:\n      Say hello.: Bonjour.\n"

    status, _, _ = _call(emulator, "PUT", "/_emulator/world", world)
    _, _, answer = _call(emulator, "POST", CONVERSE, BODY)
    _, _, current = _call(emulator, "GET", "/_emulator/world")

    assert status == 200
    assert answer["output"]["message"]["content"] == [{"text": "Bonjour."}]
    assert list(current["models"]) == [HAIKU]


def test_put_invalid_world_is_rejected_with_its_line(emulator: Emulator) -> None:
    status, headers, payload = _call(emulator, "PUT", "/_emulator/world", "seed: 1\nfaults:\n  - kind: explode\n")

    assert status == 400
    assert headers["x-amzn-errortype"] == "ValidationException"
    assert payload["message"].startswith("world:3: faults.0.kind: Input should be 'latency'")
    assert list(emulator.world.models)  # the previous world is still in place


def test_unknown_path_is_an_unknown_operation(emulator: Emulator) -> None:
    status, headers, payload = _call(emulator, "POST", "/no/such/operation", "{}")

    assert status == 404
    assert headers["x-amzn-errortype"] == "UnknownOperationException"
    assert "message" in payload
    assert emulator.requests()[0].operation == "Unknown"


def test_malformed_request_json_is_a_validation_error(emulator: Emulator) -> None:
    status, headers, _ = _call(emulator, "POST", CONVERSE, "{not json")

    assert status == 400
    assert headers["x-amzn-errortype"] == "ValidationException"


def test_one_connection_serves_many_requests(emulator: Emulator) -> None:
    connection = _connection(emulator)
    statuses = []
    for _ in range(5):
        connection.request("POST", CONVERSE, BODY)
        response = connection.getresponse()
        response.read()
        statuses.append(response.status)
    connection.close()

    assert statuses == [200] * 5
    assert len(emulator.requests("Converse")) == 5


def test_error_responses_carry_a_request_id(emulator: Emulator) -> None:
    client = emulator.client("bedrock-runtime")

    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.converse(modelId="nope", messages=[{"role": "user", "content": [{"text": "x"}]}])

    assert len(caught.value.response["ResponseMetadata"]["RequestId"]) == 36


def test_binds_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        Emulator(host="0.0.0.0")


def test_env_points_an_unmodified_boto3_program_at_the_emulator(emulator: Emulator) -> None:
    program = (
        "import boto3, json\n"
        "r = boto3.client('bedrock-runtime').converse(modelId='anthropic.claude-3-haiku-20240307-v1:0',"
        " messages=[{'role': 'user', 'content': [{'text': 'Say hello.'}]}])\n"
        "s3 = boto3.client('s3'); s3.create_bucket(Bucket='env-check')\n"
        "print(json.dumps([r['output']['message']['content'][0]['text'], [b['Name'] for b in s3.list_buckets()['Buckets']]]))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", program], env=emulator.env(), capture_output=True, text=True, timeout=60, check=True
    )

    text, buckets = json.loads(result.stdout)
    assert text == "Hello! How can I help you today?"
    assert "env-check" in buckets
