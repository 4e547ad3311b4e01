"""bedrock-flow through boto3 over HTTP: a local server that answers InvokeFlow with an AWS event stream (encoded
by the emulator's event-stream writer), since the emulator has no flows."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from evalcore.engine.scheduler import Scheduler
from evalcore.runners.agents.targets import TargetEnv
from evalcore.runners.agents.targets.build import build_target
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import BedrockFlowTarget
from evalcore_emulator import eventstream

TEST = AgentTest(steps=["Ask the flow."], expected_results=["An answer."])


class _Flow(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []
    throttle_first = 0

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body})
        document = body["inputs"][0]["content"]["document"]
        messages = [
            eventstream.event("flowTraceEvent", {"trace": {"nodeInputTrace": {"nodeName": "FlowInputNode"}}}),
            eventstream.event(
                "flowOutputEvent",
                {"content": {"document": f"Flow says: {document}"}, "nodeName": "Out", "nodeType": "FlowOutputNode"},
            ),
            eventstream.event("flowCompletionEvent", {"completionReason": "SUCCESS"}),
        ]
        if type(self).throttle_first > 0:
            type(self).throttle_first -= 1
            messages = [messages[0], eventstream.exception("throttlingException", "Slow down.")]
        payload = b"".join(messages)
        self.send_response(200)
        self.send_header("Content-Type", eventstream.CONTENT_TYPE)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def flow_endpoint() -> Iterator[str]:
    _Flow.requests = []
    _Flow.throttle_first = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _target(endpoint: str) -> Any:
    session = boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1")
    client = session.client(
        "bedrock-agent-runtime", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1})
    )
    spec = BedrockFlowTarget(type="bedrock-flow", bedrock_flow_id="FLOW123456", bedrock_flow_alias_id="ALIAS12345")
    return build_target(
        spec, TargetEnv(Scheduler(concurrency=2, base_delay=0.01), lambda service, _: client, Path("."))
    )


def test_flow_answers_with_its_output_nodes_documents_and_keeps_its_trace(flow_endpoint: str) -> None:
    reply = _target(flow_endpoint).session(TEST, 0).send("How do I file a claim?")

    assert reply.text == "Flow says: How do I file a claim?"
    assert reply.data["bedrock_flow_trace"] == [{"nodeInputTrace": {"nodeName": "FlowInputNode"}}]
    sent = _Flow.requests[0]
    assert sent["path"] == "/flows/FLOW123456/aliases/ALIAS12345"
    assert sent["body"]["inputs"] == [
        {"content": {"document": "How do I file a claim?"}, "nodeName": "FlowInputNode", "nodeOutputName": "document"}
    ]


def test_a_throttle_inside_the_flows_stream_sends_the_whole_call_again(flow_endpoint: str) -> None:
    _Flow.throttle_first = 1

    reply = _target(flow_endpoint).session(TEST, 0).send("Hello")

    assert reply.text == "Flow says: Hello" and reply.attempts == 2 and len(_Flow.requests) == 2
