"""InvokeModel's model-specific bodies for a one-message prompt: the request each family expects and where its
answer is. Which family a model is in: `aws_facts/invoke_model_families.py`.

Mistral has two bodies (Bedrock user guide): Mistral Large 2 (24.07) and Pixtral Large (25.02) take the chat
completion body, `messages` in and `choices` out (model-parameters-mistral-large-2407,
model-parameters-mistral-pixtral-large, model-parameters-mistral-chat-completion); the older Mistral models take
`prompt` and answer `outputs` (model-parameters-mistral-text-completion). Neither answer body reports token counts."""

from __future__ import annotations

from typing import Any

from evalcore.aws_facts.invoke_model_families import SYSTEM_FAMILIES, UnsupportedModel, family
from evalcore.suite.models import Inference

DEFAULT_MAX_TOKENS = 512


def request_body(model_id: str, text: str, inference: Inference, system: str | None = None) -> dict[str, Any]:
    """The InvokeModel body of a one-message prompt (with a system prompt for Anthropic and Llama)."""
    max_tokens = inference.max_tokens or DEFAULT_MAX_TOKENS
    temperature = {} if inference.temperature is None else {"temperature": inference.temperature}
    top_p = {} if inference.top_p is None else {"top_p": inference.top_p}
    stops = inference.stop_sequences or []
    kind = family(model_id)
    if system and kind not in SYSTEM_FAMILIES:
        raise UnsupportedModel(f"evalcore writes no system prompt into an InvokeModel body for '{model_id}'")
    if kind == "anthropic":
        return {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": max_tokens,
            **({"system": system} if system else {}),
            "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
            **temperature,
            **top_p,
            **({"stop_sequences": stops} if stops else {}),
        }
    if kind == "amazon.titan-text":
        config = {"maxTokenCount": max_tokens, **temperature, **({"topP": inference.top_p} if top_p else {})}
        return {"inputText": text, "textGenerationConfig": {**config, **({"stopSequences": stops} if stops else {})}}
    if kind == "meta.llama":
        header = f"<|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>" if system else ""
        prompt = (
            f"<|begin_of_text|>{header}<|start_header_id|>user<|end_header_id|>\n\n"
            f"{text}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        )
        return {"prompt": prompt, "max_gen_len": max_tokens, **temperature, **top_p}
    if kind == "mistral-chat":
        if stops:
            raise UnsupportedModel(f"the chat body of '{model_id}' takes no stop sequences: use `via: converse`")
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": text})
        return {"messages": messages, "max_tokens": max_tokens, **temperature, **top_p}
    stop = {"stop": stops} if stops else {}
    return {"prompt": f"<s>[INST] {text} [/INST]", "max_tokens": max_tokens, **temperature, **top_p, **stop}


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
    if kind == "mistral-chat":
        return ((body.get("choices") or [{}])[0].get("message") or {}).get("content")
    outputs = body.get("outputs") or [{}]
    return outputs[0].get("text")


def answer_usage(model_id: str, body: dict[str, Any]) -> tuple[int, int] | None:
    """(input tokens, output tokens) an InvokeModel response body reports; None where its family reports none
    (Mistral's bodies): the tokens, and so the cost, are unknown, never 0."""
    kind = family(model_id)
    if kind == "anthropic":
        usage = body.get("usage") or {}
        return int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
    if kind == "amazon.titan-text":
        results = body.get("results") or [{}]
        return int(body.get("inputTextTokenCount", 0)), int(results[0].get("tokenCount", 0))
    if kind == "meta.llama":
        return int(body.get("prompt_token_count", 0)), int(body.get("generation_token_count", 0))
    return None


def answer_stop_reason(model_id: str, body: dict[str, Any]) -> str | None:
    """The body's stop reason in Converse's words where they map (Anthropic's are Converse's)."""
    kind = family(model_id)
    if kind == "anthropic":
        return body.get("stop_reason")
    if kind == "amazon.titan-text":
        reason = str(((body.get("results") or [{}])[0]).get("completionReason"))
        return {"FINISH": "end_turn", "LENGTH": "max_tokens", "STOP_CRITERIA_MET": "stop_sequence"}.get(reason)
    if kind == "meta.llama":
        found = body.get("stop_reason")
    else:
        found = ((body.get("choices" if kind == "mistral-chat" else "outputs") or [{}])[0]).get("stop_reason")
    return {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}.get(str(found))
