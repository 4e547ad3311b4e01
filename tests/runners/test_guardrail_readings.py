"""Reading guardrail verdicts out of responses shaped as seen in the wild (the emulator speaks only the documented
spellings): InvokeModel's action key and values, the trace's key, and a body without a verdict."""

from __future__ import annotations

from typing import Any

import pytest

from evalcore.runners.guardrail_vias import InvokeVia, UnreadableResponse
from evalcore.suite.models import GuardrailRef, Inference, Probe

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TOPIC = {"topicPolicy": {"topics": [{"name": "Investment advice", "type": "DENY", "action": "BLOCKED"}]}}
PROBE = Probe(text="Which stocks should I buy?", expect="blocked")


def _read(body: dict[str, Any]) -> Any:
    via = InvokeVia(client=None, guardrail=GuardrailRef(id="gr-x"), model_id=HAIKU, inference=Inference())
    value = {"response": {"body": body, "input_tokens": 5, "output_tokens": 0}, "latency_ms": 1.0}
    return via.read(value, PROBE)


@pytest.mark.parametrize("key", ["amazon-bedrock-guardrailAction", "amazon-bedrock-guardrail-action"])
@pytest.mark.parametrize("action", ["INTERVENED", "GUARDRAIL_INTERVENED"])
@pytest.mark.parametrize("trace_key", ["guardrail", "guardrails"])
def test_invoke_accepts_both_spellings_of_the_action_and_the_trace(key: str, action: str, trace_key: str) -> None:
    reading = _read({key: action, "amazon-bedrock-trace": {trace_key: {"input": {"gr-x": TOPIC}}}, "content": []})

    assert reading.observed == "blocked"
    assert [h.policy for h in reading.acted] == ["topic.Investment advice"]


def test_invoke_without_a_trace_trusts_the_action() -> None:
    assert _read({"amazon-bedrock-guardrailAction": "INTERVENED", "content": []}).observed == "blocked"
    assert _read({"amazon-bedrock-guardrailAction": "NONE", "content": []}).observed == "allowed"


def test_invoke_body_without_a_guardrail_action_is_unreadable() -> None:
    with pytest.raises(UnreadableResponse, match="the guardrail was not applied"):
        _read({"content": [{"type": "text", "text": "hello"}]})
