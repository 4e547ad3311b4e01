"""A fault's HTTP status is the one botocore's model of the called service declares for its exception."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from evalcore_emulator import Emulator
from evalcore_emulator.world import FaultSpec, load_world

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


@pytest.mark.parametrize(
    ("operation", "path", "status"),
    [
        ("Converse", f"/model/{HAIKU}/converse", 429),  # bedrock-runtime: ModelNotReadyException 429
        (
            "InvokeAgent",  # bedrock-agent-runtime: 424
            "/agents/CLAIMAGENT/agentAliases/TSTALIASID/sessions/s-1/text",
            424,
        ),
    ],
)
def test_model_not_ready_has_each_services_declared_status(
    emulator: Emulator, operation: str, path: str, status: int
) -> None:
    world = load_world()
    world.faults = [FaultSpec(kind="model_not_ready", operation=operation)]
    emulator.set_world(world)
    body = {"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inputText": "hi"}
    request = urllib.request.Request(emulator.endpoint + path, data=json.dumps(body).encode(), method="POST")

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)

    assert (caught.value.code, caught.value.headers["x-amzn-ErrorType"]) == (status, "ModelNotReadyException")
