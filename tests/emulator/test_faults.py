"""Faults injected by the world, seen through boto3 the way AWS's failures are seen: exceptions and retries."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from evalcore_emulator import Emulator, World

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TITAN = "amazon.titan-text-express-v1"
MESSAGES = [{"role": "user", "content": [{"text": "What is 2 + 2?"}]}]


def _world(*faults: dict[str, Any]) -> World:
    return World.model_validate(
        {"models": {HAIKU: {}, TITAN: {}}, "guardrails": {"g": {"versions": {"DRAFT": {}}}}, "faults": list(faults)}
    )


def _converse(emulator: Emulator, mode: str = "standard", retries: int = 2, model: str = HAIKU) -> dict:
    client = emulator.client("bedrock-runtime", retries={"mode": mode, "max_attempts": retries})
    return client.converse(modelId=model, messages=MESSAGES)


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_throttled_calls_are_retried_by_boto3(emulator: Emulator, mode: str) -> None:
    emulator.set_world(_world({"kind": "throttle", "first": 1}))

    response = _converse(emulator, mode)

    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    calls = emulator.requests("Converse")
    assert [(c.status, c.fault) for c in calls] == [(429, "throttle"), (200, None)]


def test_persistent_throttling_surfaces_as_throttling_exception(emulator: Emulator) -> None:
    emulator.set_world(_world({"kind": "throttle"}))

    with pytest.raises(ClientError) as caught:
        _converse(emulator, retries=1)

    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert len(emulator.requests("Converse")) == 2


def test_requests_per_minute_quota_throttles_the_excess(emulator: Emulator) -> None:
    emulator.set_world(_world({"kind": "throttle", "rpm": 3}))
    outcomes = []
    for _ in range(5):
        try:
            _converse(emulator, retries=0)
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])

    assert outcomes == ["ok", "ok", "ok", "ThrottlingException", "ThrottlingException"]


@pytest.mark.parametrize(
    ("kind", "status", "code", "retried"),
    [
        ("internal_error", 500, "InternalServerException", True),
        ("service_unavailable", 503, "ServiceUnavailableException", True),
        ("model_not_ready", 429, "ModelNotReadyException", True),
        ("model_timeout", 408, "ModelTimeoutException", False),
        ("model_error", 424, "ModelErrorException", False),
        ("access_denied", 403, "AccessDeniedException", False),
    ],
)
def test_error_faults_have_the_real_status_code_and_retry_behaviour(
    emulator: Emulator, kind: str, status: int, code: str, retried: bool
) -> None:
    emulator.set_world(_world({"kind": kind, "first": 1}))
    client = emulator.client("bedrock-runtime", retries={"mode": "standard", "max_attempts": 1})

    if retried:
        client.converse(modelId=HAIKU, messages=MESSAGES)
        assert [c.status for c in emulator.requests("Converse")] == [status, 200]
        return
    with pytest.raises(ClientError) as caught:
        client.converse(modelId=HAIKU, messages=MESSAGES)
    assert isinstance(caught.value, getattr(client.exceptions, code))
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert caught.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == code
    assert [c.status for c in emulator.requests("Converse")] == [status]


def test_connection_reset_is_retried_then_raised(emulator: Emulator) -> None:
    emulator.set_world(_world({"kind": "connection_reset", "first": 1}))
    _converse(emulator)
    assert [(c.status, c.fault) for c in emulator.requests("Converse")] == [(0, "connection_reset"), (200, None)]

    emulator.set_world(_world({"kind": "connection_reset"}))
    with pytest.raises(ConnectionClosedError):
        _converse(emulator, retries=0)


def test_malformed_body_gives_a_response_without_the_required_fields(emulator: Emulator) -> None:
    emulator.set_world(_world({"kind": "malformed_body"}))

    response = _converse(emulator)

    assert "output" not in response
    assert emulator.requests("Converse")[0].fault == "malformed_body"


def test_faults_target_operations_and_models_by_glob(emulator: Emulator) -> None:
    emulator.set_world(_world({"kind": "internal_error", "operation": "Converse", "target": "amazon.*"}))
    client = emulator.client("bedrock-runtime", retries={"mode": "standard", "max_attempts": 0})

    client.converse(modelId=HAIKU, messages=MESSAGES)
    client.apply_guardrail(
        guardrailIdentifier="g", guardrailVersion="DRAFT", source="INPUT", content=[{"text": {"text": "x"}}]
    )
    with pytest.raises(client.exceptions.InternalServerException):
        client.converse(modelId=TITAN, messages=MESSAGES)


def test_apply_guardrail_can_be_throttled(emulator: Emulator) -> None:
    emulator.set_world(_world({"kind": "throttle", "operation": "ApplyGuardrail", "target": "g"}))
    client = emulator.client("bedrock-runtime", retries={"mode": "adaptive", "max_attempts": 0})

    with pytest.raises(client.exceptions.ThrottlingException):
        client.apply_guardrail(
            guardrailIdentifier="g", guardrailVersion="DRAFT", source="INPUT", content=[{"text": {"text": "x"}}]
        )


def test_rate_faults_replay_the_same_sequence_for_the_same_seed(emulator: Emulator) -> None:
    def outcomes(seed: int) -> list[int]:
        world = _world({"kind": "internal_error", "rate": 0.5})
        emulator.set_world(world.model_copy(update={"seed": seed}))
        emulator.clear_requests()
        client = emulator.client("bedrock-runtime", retries={"mode": "standard", "max_attempts": 0})
        for _ in range(12):
            with contextlib.suppress(client.exceptions.InternalServerException):
                client.converse(modelId=HAIKU, messages=MESSAGES)
        return [c.status for c in emulator.requests("Converse")]

    first = outcomes(1)

    assert outcomes(1) == first
    assert outcomes(2) != first
    assert {500, 200} == set(first)


def test_latency_fixed_and_seeded_range(emulator: Emulator) -> None:
    emulator.set_world(_world({"kind": "latency", "latency_ms": 150, "operation": "Converse"}))
    started = time.perf_counter()
    _converse(emulator)
    assert time.perf_counter() - started >= 0.15
    assert emulator.requests("Converse")[0].fault == "latency"

    def latencies() -> list[tuple[float, float]]:
        emulator.set_world(_world({"kind": "latency", "latency_ms": [20, 120]}))
        emulator.clear_requests()
        for _ in range(4):
            _converse(emulator)
        return [(c.injected_latency_ms, c.duration_ms) for c in emulator.requests("Converse")]

    first, second = latencies(), latencies()
    injected = [i for i, _ in first]
    assert all(20 <= i <= 120 for i in injected) and len(set(injected)) > 1
    assert [i for i, _ in second] == injected  # the same seeded draws on every run
    assert all(duration >= i for i, duration in first + second)  # and really waited
