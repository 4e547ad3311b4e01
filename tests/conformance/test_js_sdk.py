"""The AWS SDK for JavaScript v3, unmodified and with its default request handlers (HTTP/2 for bedrock-runtime and
bedrock-agent-runtime), against the emulator: conformance/js/sdk.mjs makes the calls and prints what the SDK returned
as JSON. Node and the SDK come from `npm ci` in conformance/js (.ci/run runs it); without them these tests fail."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from evalcore_emulator import Emulator
from evalcore_emulator.world import World, parse_world

PROJECT = Path(__file__).resolve().parents[2] / "conformance" / "js"
# The Node the SDK supports, installed by `npm ci` as a dependency of the project (Debian 12's nodejs is too old).
NODE = PROJECT / "node_modules" / ".bin" / "node"
BUCKET = "evalcore-examples"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def run_sdk(emulator: Emulator, *args: str) -> dict[str, Any]:
    assert NODE.exists(), f"{NODE} is missing: run `npm ci` in {PROJECT} (.ci/run does)"
    env = {**os.environ, **emulator.env(), "CONFORMANCE_BUCKET": BUCKET}
    done = subprocess.run(
        [str(NODE), "--no-warnings", "sdk.mjs", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip(), f"sdk.mjs {args} printed nothing (exit {done.returncode}): {done.stderr[-2000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in result or args[0] == "fault", result
    return result


def world_with_fault(kind: str, operation: str) -> World:
    """The default world with one fault that fires on every call of ``operation``."""
    default = (Path(__file__).resolve().parents[2] / "evalcore_emulator" / "default_world.yml").read_text()
    text = default.replace("faults: []", f"faults:\n  - {{kind: {kind}, operation: {operation}}}")
    return parse_world(text, "world")


def test_runtime_operations_answer_the_js_sdk_over_http2(emulator: Emulator) -> None:
    out = run_sdk(emulator, "runtime")

    assert out["handler"] == "NodeHttp2Handler"
    assert out["converse"]["stopReason"] == "end_turn"
    assert out["converse"]["text"] and out["converse"]["usage"]["totalTokens"] > 0
    stream = out["converseStream"]
    assert stream["events"][0] == "messageStart" and stream["events"][-2:] == ["messageStop", "metadata"]
    assert "contentBlockDelta" in stream["events"] and stream["text"] == out["converse"]["text"]
    assert out["invokeModel"]["type"] == "message" and out["invokeModel"]["content"][0]["type"] == "text"
    assert out["invokeModelStream"]["types"][0] == "message_start"
    assert out["invokeModelStream"]["types"][-1] == "message_stop"
    assert out["invokeModelStream"]["text"] == out["invokeModel"]["content"][0]["text"]
    assert out["applyGuardrail"]["action"] == "GUARDRAIL_INTERVENED"
    assert out["applyGuardrail"]["outputs"] == [{"text": "My email is {EMAIL}"}]
    requests = emulator.requests()
    assert [r.operation for r in requests] == [
        "Converse",
        "ConverseStream",
        "InvokeModel",
        "InvokeModelWithResponseStream",
        "ApplyGuardrail",
    ]
    assert {r.status for r in requests} == {200}


def test_agent_runtime_traces_return_control_and_knowledge_bases_over_http2(emulator: Emulator) -> None:
    out = run_sdk(emulator, "agents")

    assert out["handler"] == "NodeHttp2Handler"
    traced = out["traced"]
    assert traced["text"].startswith("To file a claim")
    assert "guardrailTrace" in traced["traces"] and "orchestrationTrace" in traced["traces"]
    assert traced["citations"] == 1
    control = out["returnControl"]["invocationInputs"][0]["functionInvocationInput"]
    assert control["function"] == "send_reminder"
    assert control["parameters"] == [{"name": "claimId", "type": "string", "value": "claim-006"}]
    assert out["resumed"]["text"] == "I sent a reminder for claim-006. Tracking id: RM-42."
    assert out["retrieve"][0] == {"uri": "s3://claims-handbook/claim-process.txt", "score": 1}
    assert "30 days" in out["retrieveAndGenerate"]["text"] or out["retrieveAndGenerate"]["citations"] >= 1
    assert out["retrieveAndGenerate"]["sessionId"]


def test_evaluation_and_batch_jobs_are_created_and_read_by_the_js_sdk(emulator: Emulator) -> None:
    s3 = emulator.client("s3")
    qa = {"prompt": "What is the capital of France?", "referenceResponse": "The capital of France is Paris."}
    s3.put_object(Bucket=BUCKET, Key="conformance/qa.jsonl", Body=json.dumps(qa).encode())
    records = [
        {
            "recordId": f"r{i}",
            "modelInput": {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "What is 2 + 2?"}],
            },
        }
        for i in range(100)
    ]
    s3.put_object(Bucket=BUCKET, Key="conformance/batch.jsonl", Body="\n".join(map(json.dumps, records)).encode())
    world = emulator.world.model_copy(deep=True)
    world.jobs.duration_seconds = 0.05
    emulator.set_world(world)

    out = run_sdk(emulator, "jobs")

    assert out["handler"] == "NodeHttpHandler"  # the bedrock control-plane client's default is HTTP/1.1
    assert out["evaluation"]["status"] == "Completed" and out["evaluation"]["jobType"] == "Automated"
    assert out["batch"]["status"] == "Completed"
    assert out["batch"]["arn"].startswith("arn:aws:bedrock:us-east-1:")


# Each error fault, as the JS SDK types it: the modelled exception class and the status on the wire.
ERROR_FAULTS = [
    ("throttle", "ThrottlingException", 429),
    ("internal_error", "InternalServerException", 500),
    ("service_unavailable", "ServiceUnavailableException", 503),
    ("model_not_ready", "ModelNotReadyException", 429),
    ("model_timeout", "ModelTimeoutException", 408),
    ("model_error", "ModelErrorException", 424),
    ("access_denied", "AccessDeniedException", 403),
]


@pytest.mark.parametrize(("kind", "name", "status"), ERROR_FAULTS)
def test_each_error_fault_is_the_js_sdks_typed_exception(emulator: Emulator, kind: str, name: str, status: int) -> None:
    emulator.set_world(world_with_fault(kind, "Converse"))

    out = run_sdk(emulator, "fault", "Converse")

    assert out["ok"] is False
    assert out["error"]["name"] == name
    assert out["error"]["status"] == status


def test_a_mid_stream_throttle_is_the_js_sdks_typed_exception(emulator: Emulator) -> None:
    emulator.set_world(world_with_fault("stream_throttle", "ConverseStream"))

    out = run_sdk(emulator, "fault", "ConverseStream")

    assert out["ok"] is False and out["error"]["name"] == "ThrottlingException"


def test_an_agent_throttle_is_the_js_sdks_typed_exception(emulator: Emulator) -> None:
    emulator.set_world(world_with_fault("throttle", "InvokeAgent"))

    out = run_sdk(emulator, "fault", "InvokeAgent")

    assert out["ok"] is False and out["error"]["name"] == "ThrottlingException"
    assert out["error"]["status"] == 429


# connection_reset drops the TCP connection with an RST: the SDK reports the reset, or (when the RST overtakes its
# read, about 1 call in 12 here) the HTTP/2 session closing with the request unanswered. stream_cut resets the one
# HTTP/2 stream (RST_STREAM INTERNAL_ERROR).
NETWORK_FAULTS = [
    ("connection_reset", "Converse", {"ECONNRESET", "http2 request did not get a response"}),
    ("stream_cut", "ConverseStream", {"ERR_HTTP2_STREAM_ERROR"}),
]


@pytest.mark.parametrize(("kind", "operation", "codes"), NETWORK_FAULTS)
def test_network_faults_fail_the_js_sdk_call_without_a_service_exception(
    emulator: Emulator, kind: str, operation: str, codes: set[str]
) -> None:
    emulator.set_world(world_with_fault(kind, operation))

    out = run_sdk(emulator, "fault", operation)

    assert out["ok"] is False
    assert out["error"].get("fault") is None, out  # not a modelled service exception: a transport failure
    error = out["error"]
    assert error.get("code") in codes or any(code in error["message"] for code in codes), error
    # the next call works: the fault broke one connection (or stream), not the server
    emulator.set_world(None)
    assert run_sdk(emulator, "fault", operation) == {"ok": True}


def test_a_malformed_body_is_a_js_sdk_deserialization_error(emulator: Emulator) -> None:
    emulator.set_world(world_with_fault("malformed_body", "Converse"))

    out = run_sdk(emulator, "fault", "Converse")

    assert out["ok"] is False and out["error"]["status"] == 200


# ConverseStream calls at once, each on its own HTTP/2 session as the SDK's default (disableConcurrentStreams) has it,
# read to the end; argv: how many, and the client's initial flow-control window (0: Node's default).
CONCURRENT_STREAMS = r"""
import { BedrockRuntimeClient, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
const [count, window] = process.argv.slice(1).map(Number);
const settings = window ? { initialWindowSize: window } : {};
const runtime = new BedrockRuntimeClient({
  requestHandler: { disableConcurrentStreams: true, nodeHttp2ConnectOptions: { settings } },
});
const messages = [{ role: "user", content: [{ text: "What is the capital of France?" }] }];
async function one() {
  try {
    const response = await runtime.send(new ConverseStreamCommand({ modelId: process.env.MODEL_ID, messages }));
    const events = [];
    for await (const event of response.stream) events.push(Object.keys(event).find((key) => event[key] !== undefined));
    return events;
  } catch (error) {
    return [`error: ${error?.code ?? error?.name}: ${error?.message}`];
  }
}
console.log(JSON.stringify(await Promise.all(Array.from({ length: count }, one))));
"""


@pytest.mark.parametrize(("count", "window"), [(12, 16), (40, 0)])
def test_concurrent_converse_streams_reach_the_js_sdk_whole(emulator: Emulator, count: int, window: int) -> None:
    # The SDK closes each event stream's session (a GOAWAY) as soon as the response headers arrive; every event must
    # still arrive. A 16-byte window keeps the server mid-stream when the GOAWAY lands, every time; Node's default
    # window with 40 streams at once is the load under which CI saw a stream end cleanly after messageStart.
    assert NODE.exists(), f"{NODE} is missing: run `npm ci` in {PROJECT} (.ci/run does)"
    env = {**os.environ, **emulator.env(), "MODEL_ID": HAIKU}
    done = subprocess.run(
        [str(NODE), "--no-warnings", "--input-type=module", "-e", CONCURRENT_STREAMS, str(count), str(window)],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip(), f"the script printed nothing (exit {done.returncode}): {done.stderr[-2000:]}"
    streams = json.loads(done.stdout.strip().splitlines()[-1])

    cut = [events for events in streams if events[:1] != ["messageStart"] or events[-2:] != ["messageStop", "metadata"]]
    assert cut == [], f"{len(cut)} of {count} streams cut: {cut[:3]}"
    assert all("contentBlockDelta" in events for events in streams)
    assert [r.operation for r in emulator.requests()] == ["ConverseStream"] * count
