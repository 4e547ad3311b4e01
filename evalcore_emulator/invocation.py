"""One InvokeModel call on a text model: the family's body read, guardrails (headers) around the model's answer,
and the response as one JSON body (InvokeModel) or as ``chunk`` events (InvokeModelWithResponseStream)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from evalcore_emulator import conversation, eventstream, guardrails, invoke_bodies, models
from evalcore_emulator.guardrails import GuardedText, Verdict
from evalcore_emulator.invoke_bodies import InvokeRequest
from evalcore_emulator.protocol import AwsError, EmulatorContext, ModelAnswer, Request, StreamCut
from evalcore_emulator.world import ModelApi, ModelSpec


@dataclass(frozen=True)
class Invocation:
    api: ModelApi
    model_id: str
    request: InvokeRequest
    answer: ModelAnswer
    text: str  # the text the caller gets: the answer's, or the guardrail's blocked messaging or anonymized text
    guardrail_fields: dict[str, Any]  # amazon-bedrock-guardrailAction / -trace, when a guardrail was applied
    started: float

    def body(self) -> dict[str, Any]:
        rendered = invoke_bodies.render(self.api, self.model_id, self.request, self.answer)
        if self.text != self.answer.text:
            rendered = invoke_bodies.with_text(self.api, rendered, self.text)
        return {**rendered, **self.guardrail_fields}

    def metrics(self) -> dict[str, int]:
        """``amazon-bedrock-invocationMetrics``, sent in the last chunk of a stream."""
        latency = conversation.elapsed_ms(self.started)
        return {
            "inputTokenCount": self.answer.input_tokens,
            "outputTokenCount": self.answer.output_tokens,
            "invocationLatency": latency,
            "firstByteLatency": latency,
        }


def run(ctx: EmulatorContext, request: Request, model_id: str, spec: ModelSpec, body: dict[str, Any]) -> Invocation:
    started = time.perf_counter()
    guard_id = request.headers.get("x-amzn-bedrock-guardrailidentifier")
    guardrail = None
    if guard_id:
        version = request.headers.get("x-amzn-bedrock-guardrailversion")
        if not version:
            raise AwsError(400, "ValidationException", "Guardrail version is required when a guardrail is given.")
        guardrail = guardrails.resolve(ctx.world, guard_id, version)
    parsed = invoke_bodies.parse(spec.api, model_id, body)
    conversation.sleep_latency(spec)

    verdicts: list[tuple[str, Verdict]] = []
    text_override = None
    if guardrail is not None:
        verdict = guardrails.evaluate(guardrail, "INPUT", GuardedText([models.last_user_text(parsed.messages)]))
        verdicts.append(("input", verdict))
        if verdict.blocked:
            text_override = verdict.outputs[0]
    if text_override is not None:
        answer = ModelAnswer(text_override, 0, 0)
    else:
        answer = models.answer(
            ctx.world,
            model_id,
            spec,
            parsed.messages,
            parsed.system,
            parsed.tool_config,
            parsed.max_tokens,
            parsed.stop_sequences,
        )
        if guardrail is not None and answer.tool_use is None:
            verdict = guardrails.evaluate(guardrail, "OUTPUT", GuardedText([answer.text]))
            verdicts.append(("output", verdict))
            if verdict.intervened:
                text_override = verdict.outputs[0]
    fields: dict[str, Any] = {}
    if guardrail is not None:
        fields["amazon-bedrock-guardrailAction"] = "INTERVENED" if any(v.intervened for _, v in verdicts) else "NONE"
        if request.headers.get("x-amzn-bedrock-trace", "DISABLED").upper() != "DISABLED":
            fields["amazon-bedrock-trace"] = {"guardrail": _trace(verdicts)}
    text = answer.text if text_override is None else text_override
    return Invocation(spec.api, model_id, parsed, answer, text, fields, started)


def stream(invocation: Invocation, fault: str | None) -> Iterator[bytes]:
    """The response as ``chunk`` events (base64 JSON in the family's streaming shape); the last chunk carries
    ``amazon-bedrock-invocationMetrics`` and the guardrail fields. ``stream_throttle`` ends the stream with a
    ``throttlingException`` after the first chunk; ``stream_cut`` drops the connection after it."""
    payloads = invoke_bodies.stream_payloads(
        invocation.api, invocation.model_id, invocation.request, invocation.answer, invocation.text
    )
    payloads[-1] = {
        **payloads[-1],
        **invocation.guardrail_fields,
        "amazon-bedrock-invocationMetrics": invocation.metrics(),
    }
    for index, payload in enumerate(payloads):
        data = base64.b64encode(json.dumps(payload).encode()).decode()
        yield eventstream.event("chunk", {"bytes": data})
        if index == 0 and fault == "stream_throttle":
            yield eventstream.exception("throttlingException", "Too many requests, please wait before trying again.")
            return
        if index == 0 and fault == "stream_cut":
            raise StreamCut("stream_cut fault: connection closed mid-stream")


def _trace(verdicts: list[tuple[str, Verdict]]) -> dict[str, Any]:
    trace: dict[str, Any] = {}
    for stage, verdict in verdicts:
        if stage == "input":
            trace["input"] = {verdict.guardrail_id: verdict.assessment}
        else:
            trace["outputs"] = [{verdict.guardrail_id: verdict.assessment}]
        trace["actionReason"] = verdict.action_reason
    return trace
