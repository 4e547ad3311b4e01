"""The model catalogue and token counting: ListFoundationModels and GetFoundationModel (bedrock), CountTokens
(bedrock-runtime), answered from the world's models and evalcore's capability table (model_capabilities.yml).

A model's summary (botocore's FoundationModelSummary): input modalities TEXT, and IMAGE when the table says the
family takes images; output EMBEDDING for an embedding model, else TEXT; streaming for every model but embeddings;
``inferenceTypesSupported`` ON_DEMAND, or none for a family the table serves only through inference profiles
(botocore's InferenceType knows only ON_DEMAND and PROVISIONED; what AWS lists for such models was not found in a
source); no customizations; lifecycle ACTIVE. ``modelName`` is the table's family name without its provider, cut
to the model's 20-character limit (BrandedName): the emulator's naming, not AWS's. A model the table does not know is listed with what the world knows (text in
and out, on demand). CountTokens counts as the emulator's models do (``models.py``: characters / chars_per_token of
the system prompt and every text, tool input and tool result), for a Converse input or an InvokeModel body.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from evalcore.aws_facts.model_capabilities import lookup
from evalcore_emulator import invoke_bodies, models
from evalcore_emulator.protocol import AwsError, EmulatorContext, Request, Response, Route, route
from evalcore_emulator.wording import token_count
from evalcore_emulator.world import ModelSpec

_NAME_MAX = 20  # BrandedName's max in botocore's bedrock model
_PROVIDERS = {
    "anthropic": "Anthropic",
    "amazon": "Amazon",
    "meta": "Meta",
    "mistral": "Mistral AI",
    "cohere": "Cohere",
    "ai21": "AI21 Labs",
    "deepseek": "DeepSeek",
    "openai": "OpenAI",
    "qwen": "Qwen",
    "writer": "Writer",
}


def list_foundation_models(ctx: EmulatorContext, request: Request) -> Response:
    summaries = [_summary(ctx, model_id, spec) for model_id, spec in ctx.world.models.items()]
    query = {name: values[0] for name, values in request.query.items() if values}
    if "byProvider" in query:
        summaries = [s for s in summaries if s["providerName"].lower() == query["byProvider"].lower()]
    if "byOutputModality" in query:
        summaries = [s for s in summaries if query["byOutputModality"] in s["outputModalities"]]
    if "byInferenceType" in query:
        summaries = [s for s in summaries if query["byInferenceType"] in s["inferenceTypesSupported"]]
    if "byCustomizationType" in query:
        summaries = []  # the emulator's models support no customization
    return Response.json({"modelSummaries": summaries})


def get_foundation_model(ctx: EmulatorContext, request: Request) -> Response:
    identifier = request.path_params["modelIdentifier"]
    model_id = identifier.rsplit("foundation-model/", 1)[-1]
    spec = ctx.world.models.get(model_id)
    if spec is None:
        # The operation's declared error for an unknown model; AWS's wording was not found in a source.
        raise AwsError(404, "ResourceNotFoundException", f"Could not find model {identifier}.")
    return Response.json({"modelDetails": _summary(ctx, model_id, spec)})


def count_tokens(ctx: EmulatorContext, request: Request) -> Response:
    model_id, spec = models.resolve(ctx.world, request.path_params["modelId"])
    source = request.json()["input"]
    if "converse" in source:
        converse = source["converse"]
        system = "".join(b.get("text", "") for b in converse.get("system") or [])
        messages = converse.get("messages") or []
    else:
        try:
            body = json.loads(base64.b64decode(source["invokeModel"]["body"]))
        except ValueError:
            raise AwsError(400, "ValidationException", "The input body is not valid JSON.") from None
        parsed = invoke_bodies.parse(spec.api, model_id, body)
        system, messages = parsed.system or "", parsed.messages
    tokens = token_count(system + models.conversation_text(messages), spec.chars_per_token)
    return Response.json({"inputTokens": tokens})


def _summary(ctx: EmulatorContext, model_id: str, spec: ModelSpec) -> dict[str, Any]:
    caps = lookup(model_id).capabilities
    embeds = spec.api == "titan-embed"
    provider = _PROVIDERS.get(model_id.split(".", 1)[0], model_id.split(".", 1)[0])
    return {
        "modelArn": f"arn:aws:bedrock:{ctx.region}::foundation-model/{model_id}",
        "modelId": model_id,
        "modelName": _name(caps.name if caps is not None else model_id, provider),
        "providerName": provider,
        "inputModalities": ["TEXT", "IMAGE"] if caps is not None and caps.images else ["TEXT"],
        "outputModalities": ["EMBEDDING"] if embeds else ["TEXT"],
        "responseStreamingSupported": not embeds,
        "customizationsSupported": [],
        "inferenceTypesSupported": [] if caps is not None and not caps.on_demand else ["ON_DEMAND"],
        "modelLifecycle": {"status": "ACTIVE"},
    }


def _name(family: str, provider: str) -> str:
    first = family.split(",", 1)[0].removeprefix(provider).strip()
    return first[:_NAME_MAX].strip()


ROUTES: list[Route] = [
    route("ListFoundationModels", "bedrock", "GET", "/foundation-models", list_foundation_models),
    route("GetFoundationModel", "bedrock", "GET", "/foundation-models/{modelIdentifier}", get_foundation_model),
    route(
        "CountTokens", "bedrock-runtime", "POST", "/model/{modelId}/count-tokens", count_tokens, target_param="modelId"
    ),
]
