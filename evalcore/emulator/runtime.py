"""bedrock-runtime: Converse, ConverseStream and InvokeModel (text families, Titan embeddings), with guardrails."""

from __future__ import annotations

import json
import time
from typing import Any

from evalcore.emulator import conversation, embeddings, eventstream, guardrails, invoke_bodies, models
from evalcore.emulator.guardrails import GuardedText, Verdict
from evalcore.emulator.protocol import AwsError, EmulatorContext, ModelAnswer, Request, Response, Route, route
from evalcore.emulator.wording import token_count
from evalcore.emulator.world import ModelSpec


def converse(ctx: EmulatorContext, request: Request) -> Response:
    return Response.json(conversation.run(ctx, request).payload())


def converse_stream(ctx: EmulatorContext, request: Request) -> Response:
    result = conversation.run(ctx, request)
    headers = {"Content-Type": eventstream.CONTENT_TYPE}
    return Response(200, headers, stream=conversation.stream(result, request.stream_fault))


def invoke_model(ctx: EmulatorContext, request: Request) -> Response:
    started = time.perf_counter()
    model_id, spec = models.resolve(ctx.world, request.path_params["modelId"])
    body = request.json()
    if not isinstance(body, dict):
        raise AwsError(400, "ValidationException", "Malformed input request, please reformat your input and try again.")
    guard_id = request.headers.get("x-amzn-bedrock-guardrailidentifier")
    guardrail = None
    if guard_id:
        version = request.headers.get("x-amzn-bedrock-guardrailversion")
        if not version:
            raise AwsError(400, "ValidationException", "Guardrail version is required when a guardrail is given.")
        guardrail = guardrails.resolve(ctx.world, guard_id, version)
    conversation.sleep_latency(spec)

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
            "X-Amzn-Bedrock-Invocation-Latency": str(conversation.elapsed_ms(started)),
        },
        body=json.dumps(payload).encode(),
    )


def _invoke_trace(verdicts: list[tuple[str, Verdict]]) -> dict[str, Any]:
    trace: dict[str, Any] = {}
    for stage, verdict in verdicts:
        if stage == "input":
            trace["input"] = {verdict.guardrail_id: verdict.assessment}
        else:
            trace["outputs"] = [{verdict.guardrail_id: verdict.assessment}]
        trace["actionReason"] = verdict.action_reason
    return trace


ROUTES: list[Route] = [
    route("Converse", "bedrock-runtime", "POST", "/model/{modelId}/converse", converse, target_param="modelId"),
    route(
        "ConverseStream",
        "bedrock-runtime",
        "POST",
        "/model/{modelId}/converse-stream",
        converse_stream,
        target_param="modelId",
    ),
    route("InvokeModel", "bedrock-runtime", "POST", "/model/{modelId}/invoke", invoke_model, target_param="modelId"),
]
