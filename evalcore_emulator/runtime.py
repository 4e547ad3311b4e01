"""bedrock-runtime routes: Converse, ConverseStream, InvokeModel (text families, Titan embeddings) and
InvokeModelWithResponseStream, with guardrails."""

from __future__ import annotations

import json
import time
from typing import Any

from evalcore_emulator import capability_rules, conversation, embeddings, eventstream, invocation, models
from evalcore_emulator.protocol import AwsError, EmulatorContext, Request, Response, Route, route
from evalcore_emulator.wording import token_count
from evalcore_emulator.world import ModelSpec


def converse(ctx: EmulatorContext, request: Request) -> Response:
    return Response.json(conversation.run(ctx, request).payload())


def converse_stream(ctx: EmulatorContext, request: Request) -> Response:
    result = conversation.run(ctx, request, streaming=True)
    headers = {"Content-Type": eventstream.CONTENT_TYPE}
    return Response(200, headers, stream=conversation.stream(result, request.stream_fault))


def invoke_model(ctx: EmulatorContext, request: Request) -> Response:
    started = time.perf_counter()
    model_id, spec = models.resolve(ctx.world, request.path_params["modelId"])
    capability_rules.check_model(request.path_params["modelId"])
    body = _body(request)
    if spec.api == "titan-embed":
        conversation.sleep_latency(spec)
        return _embed(spec, body, started)
    result = invocation.run(ctx, request, model_id, spec, body)
    return _invoke_response(result.body(), result.answer.input_tokens, result.answer.output_tokens, started)


def invoke_model_with_response_stream(ctx: EmulatorContext, request: Request) -> Response:
    model_id, spec = models.resolve(ctx.world, request.path_params["modelId"])
    capability_rules.check_model(request.path_params["modelId"])
    body = _body(request)
    if spec.api == "titan-embed":
        raise AwsError(400, "ValidationException", "The model does not support streaming.")
    result = invocation.run(ctx, request, model_id, spec, body)
    headers = {"Content-Type": eventstream.CONTENT_TYPE, "X-Amzn-Bedrock-Content-Type": "application/json"}
    return Response(200, headers, stream=invocation.stream(result, request.stream_fault))


def _body(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise AwsError(400, "ValidationException", "Malformed input request, please reformat your input and try again.")
    return body


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
    route(
        "InvokeModelWithResponseStream",
        "bedrock-runtime",
        "POST",
        "/model/{modelId}/invoke-with-response-stream",
        invoke_model_with_response_stream,
        target_param="modelId",
    ),
]
