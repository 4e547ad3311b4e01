"""One Converse call: validation, guardrails around the model's answer, and the response as JSON (Converse) or as
an event stream (ConverseStream)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from evalcore_emulator import capability_rules, eventstream, guardrails, invoke_bodies, models
from evalcore_emulator.capability_rules import NOT_CHAT
from evalcore_emulator.converse_rules import NO_USER_FIRST
from evalcore_emulator.guardrails import GuardedText, Verdict
from evalcore_emulator.protocol import AwsError, EmulatorContext, ModelAnswer, Request, StreamCut
from evalcore_emulator.world import ModelSpec

STREAM_DELTA_CHARS = 16  # ConverseStream sends the text in pieces of this many characters


@dataclass(frozen=True)
class Result:
    answer: ModelAnswer
    started: float
    trace: dict[str, Any] | None
    additional_fields: dict[str, Any] | None = None  # additionalModelResponseFields, when paths were asked for

    def content(self) -> list[dict[str, Any]]:
        return [{"toolUse": self.answer.tool_use}] if self.answer.tool_use else [{"text": self.answer.text}]

    def usage(self) -> dict[str, int]:
        a = self.answer
        return {
            "inputTokens": a.input_tokens,
            "outputTokens": a.output_tokens,
            "totalTokens": a.input_tokens + a.output_tokens,
        }

    def payload(self) -> dict[str, Any]:
        """The Converse response body."""
        payload: dict[str, Any] = {
            "output": {"message": {"role": "assistant", "content": self.content()}},
            "stopReason": self.answer.stop_reason,
            "usage": self.usage(),
            "metrics": {"latencyMs": elapsed_ms(self.started)},
        }
        if self.trace is not None:
            payload["trace"] = self.trace
        if self.additional_fields is not None:
            payload["additionalModelResponseFields"] = self.additional_fields
        return payload


def run(ctx: EmulatorContext, request: Request, streaming: bool = False) -> Result:
    started = time.perf_counter()
    body = request.json()
    model_id, spec = models.resolve(ctx.world, request.path_params["modelId"])
    if spec.api == "titan-embed":
        raise AwsError(400, "ValidationException", NOT_CHAT)
    capability_rules.check_converse(request.path_params["modelId"], body, streaming)
    messages = body.get("messages")
    if not messages:
        raise AwsError(400, "ValidationException", NO_USER_FIRST)
    system = "\n".join(b["text"] for b in body.get("system") or [] if isinstance(b.get("text"), str)) or None
    inference = body.get("inferenceConfig") or {}
    guard = body.get("guardrailConfig")
    guardrail = None
    if guard is not None:
        if not guard.get("guardrailIdentifier") or not guard.get("guardrailVersion"):
            raise AwsError(400, "ValidationException", "guardrailIdentifier and guardrailVersion are both required.")
        guardrail = guardrails.resolve(ctx.world, guard["guardrailIdentifier"], guard["guardrailVersion"])
    sleep_latency(spec)

    inputs = _guarded_input(messages, body.get("system") or [])
    input_verdict = output_verdict = None
    model_output = None
    if guardrail is not None:
        input_verdict = guardrails.evaluate(guardrail, "INPUT", inputs)
    if input_verdict is not None and input_verdict.blocked:
        answer = ModelAnswer(input_verdict.outputs[0], 0, 0, "guardrail_intervened")
    else:
        answer = models.answer(
            ctx.world,
            model_id,
            spec,
            messages,
            system,
            body.get("toolConfig"),
            inference.get("maxTokens"),
            inference.get("stopSequences"),
        )
        if guardrail is not None and answer.tool_use is None:
            output = GuardedText([answer.text], inputs.grounding_source, inputs.query)
            output_verdict = guardrails.evaluate(guardrail, "OUTPUT", output)
            model_output = answer.text
            if output_verdict.intervened:
                answer = ModelAnswer(
                    output_verdict.outputs[0], answer.input_tokens, answer.output_tokens, "guardrail_intervened"
                )
    trace = None
    if guard is not None and guard.get("trace", "disabled") != "disabled":
        trace = {"guardrail": _trace(input_verdict, output_verdict, model_output, guard["trace"])}
    paths = body.get("additionalModelResponseFieldPaths")
    extra = None
    if paths is not None:
        native = _native_response(model_id, spec, messages, system, inference, answer)
        extra = _pointed_fields(native, paths)
    return Result(answer, started, trace, extra)


def stream(result: Result, fault: str | None) -> Iterator[bytes]:
    """ConverseStream's events. ``stream_throttle`` ends the stream with a ``throttlingException`` after the first
    delta; ``stream_cut`` drops the connection after it."""
    answer = result.answer
    yield eventstream.event("messageStart", {"role": "assistant"})
    if answer.tool_use is not None:
        tool = answer.tool_use
        start = {"toolUse": {"toolUseId": tool["toolUseId"], "name": tool["name"]}}
        yield eventstream.event("contentBlockStart", {"start": start, "contentBlockIndex": 0})
        deltas: list[dict[str, Any]] = [{"toolUse": {"input": json.dumps(tool["input"])}}]
    else:
        text = answer.text
        pieces = [text[i : i + STREAM_DELTA_CHARS] for i in range(0, len(text), STREAM_DELTA_CHARS)] or [""]
        deltas = [{"text": piece} for piece in pieces]
    for index, delta in enumerate(deltas):
        yield eventstream.event("contentBlockDelta", {"delta": delta, "contentBlockIndex": 0})
        if index == 0 and fault == "stream_throttle":
            yield eventstream.exception("throttlingException", "Too many requests, please wait before trying again.")
            return
        if index == 0 and fault == "stream_cut":
            raise StreamCut("stream_cut fault: connection closed mid-stream")
    yield eventstream.event("contentBlockStop", {"contentBlockIndex": 0})
    stop: dict[str, Any] = {"stopReason": answer.stop_reason}
    if result.additional_fields is not None:
        stop["additionalModelResponseFields"] = result.additional_fields
    yield eventstream.event("messageStop", stop)
    metadata: dict[str, Any] = {"usage": result.usage(), "metrics": {"latencyMs": elapsed_ms(result.started)}}
    if result.trace is not None:
        metadata["trace"] = result.trace
    yield eventstream.event("metadata", metadata)


def _native_response(
    model_id: str,
    spec: ModelSpec,
    messages: list[dict[str, Any]],
    system: str | None,
    inference: dict[str, Any],
    answer: ModelAnswer,
) -> dict[str, Any]:
    """The model's own response body (its InvokeModel shape), which additionalModelResponseFieldPaths point into;
    empty for a model whose InvokeModel body the emulator does not write."""
    if spec.api in ("converse", "titan-embed"):
        return {}
    request = invoke_bodies.InvokeRequest(
        messages, system, inference.get("maxTokens"), inference.get("stopSequences") or []
    )
    return invoke_bodies.render(spec.api, model_id, request, answer)


def _pointed_fields(native: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """The fields of ``native`` the JSON Pointers (RFC 6901) in ``paths`` name, nested as in ``native``. botocore's
    ConverseRequest documentation: an empty or malformed pointer is refused with 400, a valid pointer to a field
    the model's response lacks is ignored."""
    fields: dict[str, Any] = {}
    for path in paths:
        if not path.startswith("/") or path == "/":
            raise AwsError(
                400,
                "ValidationException",
                f"The JSON Pointer {path!r} in additionalModelResponseFieldPaths is invalid.",
            )
        keys = [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]
        value: Any = native
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                break
            value = value[key]
        else:
            target = fields
            for key in keys[:-1]:
                target = target.setdefault(key, {})
            target[keys[-1]] = value
    return fields


def sleep_latency(spec: ModelSpec) -> None:
    """The model's own latency (``latency_ms`` in the world)."""
    if spec.latency_ms:
        time.sleep(spec.latency_ms / 1000)


def elapsed_ms(started: float) -> int:
    return max(1, round((time.perf_counter() - started) * 1000))


def _guarded_input(messages: list[dict[str, Any]], system: list[dict[str, Any]]) -> GuardedText:
    """The guardContent blocks of the system prompt and the conversation when there are any, else the last user
    message's text."""
    texts: list[str] = []
    sources: list[str] = []
    queries: list[str] = []
    for blocks in [system, *(message.get("content") or [] for message in messages)]:
        for block in blocks:
            guarded = (block.get("guardContent") or {}).get("text") if isinstance(block, dict) else None
            if not isinstance(guarded, dict):
                continue
            qualifiers = guarded.get("qualifiers") or ["guard_content"]
            text = guarded.get("text", "")
            if "grounding_source" in qualifiers:
                sources.append(text)
            if "query" in qualifiers:
                queries.append(text)
            if "guard_content" in qualifiers:
                texts.append(text)
    if not (texts or sources or queries):
        texts = [models.last_user_text(messages)]
    return GuardedText(texts, "\n".join(sources) or None, "\n".join(queries) or None)


def _trace(inputs: Verdict | None, output: Verdict | None, model_output: str | None, mode: str) -> dict[str, Any]:
    trace: dict[str, Any] = {}
    if inputs is not None:
        trace["inputAssessment"] = {inputs.guardrail_id: inputs.assessment}
        trace["actionReason"] = inputs.action_reason
    if output is not None:
        trace["outputAssessments"] = {output.guardrail_id: [output.assessment]}
        trace["actionReason"] = output.action_reason if output.intervened else trace.get("actionReason")
        if mode == "enabled_full" and model_output is not None:
            trace["modelOutput"] = [model_output]
    return trace
