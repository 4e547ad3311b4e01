"""InvokeModel's model-specific bodies for a one-message prompt: the request each family expects and where its
answer is. Families: Anthropic (Messages), Amazon Titan text, Meta Llama, Mistral. Others: use Converse."""

from __future__ import annotations

import re
from typing import Any

from evalcore.suite.models import Inference

_GEO_PREFIX = re.compile(r"^(us|eu|apac|jp|au|ca|us-gov|global)\.")
FAMILIES = ("anthropic", "amazon.titan-text", "meta.llama", "mistral")
DEFAULT_MAX_TOKENS = 512


class UnsupportedModel(Exception):
    """No InvokeModel body is known for this model."""


def family(model_id: str) -> str:
    """The body family of a model id, inference profile id or ARN; UnsupportedModel when none fits."""
    bare = _GEO_PREFIX.sub("", model_id.rsplit("/", 1)[-1])
    found = next((f for f in FAMILIES if bare.startswith(f)), None)
    if found is None:
        raise UnsupportedModel(
            f"evalcore writes InvokeModel bodies for Anthropic, Titan text, Llama and Mistral models, not for "
            f"'{model_id}': use `via: converse` for it"
        )
    return found


def request_body(model_id: str, text: str, inference: Inference) -> dict[str, Any]:
    max_tokens = inference.max_tokens or DEFAULT_MAX_TOKENS
    temperature = {} if inference.temperature is None else {"temperature": inference.temperature}
    kind = family(model_id)
    if kind == "anthropic":
        return {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
            **temperature,
        }
    if kind == "amazon.titan-text":
        return {"inputText": text, "textGenerationConfig": {"maxTokenCount": max_tokens, **temperature}}
    if kind == "meta.llama":
        prompt = (
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
            f"{text}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        )
        return {"prompt": prompt, "max_gen_len": max_tokens, **temperature}
    return {"prompt": f"<s>[INST] {text} [/INST]", "max_tokens": max_tokens, **temperature}


def answer_text(model_id: str, body: dict[str, Any]) -> str | None:
    kind = family(model_id)
    if kind == "anthropic":
        texts = [b.get("text", "") for b in body.get("content") or [] if b.get("type") == "text"]
        return "".join(texts) if texts else body.get("completion")
    if kind == "amazon.titan-text":
        results = body.get("results") or [{}]
        return results[0].get("outputText")
    if kind == "meta.llama":
        return body.get("generation")
    outputs = body.get("outputs") or [{}]
    return outputs[0].get("text")
