"""bedrock-runtime: Converse and InvokeModel (text families and Titan embeddings), with guardrails applied."""

from __future__ import annotations

import json
import time
from typing import Any

from evalcore.emulator import embeddings, guardrails, invoke_bodies, models
from evalcore.emulator.guardrails import GuardedText, Verdict
from evalcore.emulator.protocol import AwsError, EmulatorContext, ModelAnswer, Request, Response, Route, route
from evalcore.emulator.wording import token_count
from evalcore.emulator.world import ModelSpec

NOT_CHAT = "This action doesn't support the model that you provided. Try again with a supported text or chat model."


def converse(ctx: EmulatorContext, request: Request) -> Response:
    started = time.perf_counter()
    body = request.json()
    model_id, spec = models.resolve(ctx.world, request.path_params["modelId"])
    if spec.api == "titan-embed":
        raise AwsError(400, "ValidationException", NOT_CHAT)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or messages[0].get("role") != "user":
        raise AwsError(
            400,
            "ValidationException",
            "A conversation must start with a user message. Try again with a conversation that starts with a user "
            "message.",
        )
    system = "\n".join(b["text"] for b in body.get("system") or [] if isinstance(b.get("text"), str)) or None
    inference = body.get("inferenceConfig") or {}
    guard = body.get("guardrailConfig")
    guardrail = None
    if guard is not None:
        if not guard.get("guardrailIdentifier") or not guard.get("guardrailVersion"):
            raise AwsError(400, "ValidationException", "guardrailIdentifier and guardrailVersion are both required.")
        guardrail = guardrails.resolve(ctx.world, guard["guardrailIdentifier"], guard["guardrailVersion"])
    _sleep(spec)

    inputs = _guarded_input(messages)
    input_verdict = output_verdict = None
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
            if output_verdict.intervened:
                answer = ModelAnswer(
                    output_verdict.outputs[0], answer.input_tokens, answer.output_tokens, "guardrail_intervened"
                )

    content: list[dict[str, Any]] = [{"toolUse": answer.tool_use}] if answer.tool_use else [{"text": answer.text}]
    payload: dict[str, Any] = {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": answer.stop_reason,
        "usage": {
            "inputTokens": answer.input_tokens,
            "outputTokens": answer.output_tokens,
            "totalTokens": answer.input_tokens + answer.output_tokens,
        },
        "metrics": {"latencyMs": _elapsed_ms(started)},
    }
    if guard is not None and guard.get("trace", "disabled") != "disabled":
        payload["trace"] = {"guardrail": _converse_trace(input_verdict, output_verdict, guard["trace"])}
    return Response.json(payload)


def invoke_model(ctx: EmulatorContext, request: Request) -> Response:
    started = time.perf_counter()
    model_id, spec = models.resolve(ctx.world, request.path_params["modelId"])
    body = request.json()
    if not isinstance(body, dict):
        raise AwsError(400, "ValidationException", "Malformed input request, please reformat your input and try again.")
    assert spec.api is not None
    guard_id = request.headers.get("x-amzn-bedrock-guardrailidentifier")
    guardrail = None
    if guard_id:
        version = request.headers.get("x-amzn-bedrock-guardrailversion")
        if not version:
            raise AwsError(400, "ValidationException", "Guardrail version is required when a guardrail is given.")
        guardrail = guardrails.resolve(ctx.world, guard_id, version)
    _sleep(spec)

    if spec.api == "titan-embed":
        return _embed(spec, body, started)
    parsed = invoke_bodies.parse(spec.api, body)
    verdicts: list[tuple[str, Verdict]] = []
    prompt = models.last_user_text(parsed.messages)
    text_override = None
    if guardrail is not None:
        verdict = guardrails.evaluate(guardrail, "INPUT", GuardedText([prompt]))
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
    rendered = invoke_bodies.render(spec.api, model_id, parsed, answer)
    if text_override is not None:
        rendered = invoke_bodies.with_text(spec.api, rendered, text_override)
    if guardrail is not None:
        intervened = any(v.intervened for _, v in verdicts)
        rendered["amazon-bedrock-guardrailAction"] = "INTERVENED" if intervened else "NONE"
        if request.headers.get("x-amzn-bedrock-trace", "DISABLED").upper() != "DISABLED":
            rendered["amazon-bedrock-trace"] = {"guardrail": _invoke_trace(verdicts)}
    return _invoke_response(rendered, answer.input_tokens, answer.output_tokens, started)


def _embed(spec: ModelSpec, body: dict[str, Any], started: float) -> Response:
    text = body.get("inputText")
    if not isinstance(text, str) or not text:
        raise AwsError(
            400,
            "ValidationException",
            "Malformed input request: #: required key [inputText] not found, please reformat your input and try again.",
        )
    dimensions = body.get("dimensions", spec.embedding_dimensions)
    if dimensions not in (256, 512, 1024, spec.embedding_dimensions):
        raise AwsError(
            400, "ValidationException", f"Malformed input request: #/dimensions: {dimensions} is not a valid enum value"
        )
    vector = embeddings.embed(text, dimensions, body.get("normalize", True))
    tokens = token_count(text, spec.chars_per_token)
    payload = {"embedding": vector, "embeddingsByType": {"float": vector}, "inputTextTokenCount": tokens}
    return _invoke_response(payload, tokens, 0, started)


def _invoke_response(payload: dict[str, Any], input_tokens: int, output_tokens: int, started: float) -> Response:
    return Response(
        headers={
            "Content-Type": "application/json",
            "X-Amzn-Bedrock-Input-Token-Count": str(input_tokens),
            "X-Amzn-Bedrock-Output-Token-Count": str(output_tokens),
            "X-Amzn-Bedrock-Invocation-Latency": str(_elapsed_ms(started)),
        },
        body=json.dumps(payload).encode(),
    )


def _guarded_input(messages: list[dict[str, Any]]) -> GuardedText:
    """The guardContent blocks of the conversation when there are any, else the last user message's text."""
    texts: list[str] = []
    sources: list[str] = []
    queries: list[str] = []
    for message in messages:
        for block in message.get("content") or []:
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


def _converse_trace(inputs: Verdict | None, output: Verdict | None, mode: str) -> dict[str, Any]:
    trace: dict[str, Any] = {}
    if inputs is not None:
        trace["inputAssessment"] = {inputs.guardrail_id: inputs.assessment}
        trace["actionReason"] = inputs.action_reason
    if output is not None:
        trace["outputAssessments"] = {output.guardrail_id: [output.assessment]}
        trace["actionReason"] = output.action_reason if output.intervened else trace.get("actionReason")
        if mode == "enabled_full":
            trace["modelOutput"] = [output.outputs[0]]
    return trace


def _invoke_trace(verdicts: list[tuple[str, Verdict]]) -> dict[str, Any]:
    trace: dict[str, Any] = {}
    for stage, verdict in verdicts:
        if stage == "input":
            trace["input"] = {verdict.guardrail_id: verdict.assessment}
        else:
            trace["outputs"] = [{verdict.guardrail_id: verdict.assessment}]
        trace["actionReason"] = verdict.action_reason
    return trace


def _sleep(spec: ModelSpec) -> None:
    if spec.latency_ms:
        time.sleep(spec.latency_ms / 1000)


def _elapsed_ms(started: float) -> int:
    return max(1, round((time.perf_counter() - started) * 1000))


ROUTES: list[Route] = [
    route("Converse", "bedrock-runtime", "POST", "/model/{modelId}/converse", converse, target_param="modelId"),
    route("InvokeModel", "bedrock-runtime", "POST", "/model/{modelId}/invoke", invoke_model, target_param="modelId"),
]
