"""InvokeModel's model-specific bodies: each family's request read into a Converse-shaped conversation, and the
answer written back in that family's response shape (Anthropic Messages and legacy completions, Amazon Titan text,
Meta Llama, Mistral).

Mistral has two bodies (Bedrock user guide): Mistral Large 2 (24.07) and Pixtral Large (25.02) take only the chat
completion body, ``messages`` in and ``choices`` out (model-parameters-mistral-large-2407,
model-parameters-mistral-pixtral-large, model-parameters-mistral-chat-completion); the older Mistral models take
``prompt`` and answer ``outputs`` (model-parameters-mistral-text-completion). Neither reports token counts."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from evalcore_emulator.protocol import AwsError, ModelAnswer
from evalcore_emulator.world import ModelApi

_LLAMA3_TURN = re.compile(
    r"<\|start_header_id\|>(system|user|assistant)<\|end_header_id\|>(.*?)(?:<\|eot_id\|>|$)", re.DOTALL
)
_INST_TURN = re.compile(r"\[INST\](.*?)\[/INST\]", re.DOTALL)
_LLAMA2_SYSTEM = re.compile(r"<<SYS>>(.*?)<</SYS>>", re.DOTALL)
_HUMAN_TURN = re.compile(r"(Human|Assistant):(.*?)(?=\n\n(?:Human|Assistant):|$)", re.DOTALL)
STREAM_PIECE_CHARS = 16
_TITAN_TURN = re.compile(r"(User|Bot):(.*?)(?=\n(?:User|Bot):|$)", re.DOTALL)
# The Anthropic Messages body on Bedrock (user guide, model-parameters-anthropic-claude-messages-request-response):
# anthropic_version "must be bedrock-2023-05-31"; these top-level keys (and `thinking`, Claude 3.7 and later).
ANTHROPIC_VERSION = "bedrock-2023-05-31"
_ANTHROPIC_KEYS = frozenset(
    {
        "anthropic_version",
        "anthropic_beta",
        "max_tokens",
        "system",
        "messages",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "tools",
        "tool_choice",
        "thinking",
    }
)
_MISTRAL_CHAT = re.compile(r"(^|[./])mistral\.(mistral-large-2407|pixtral-large)")


def mistral_chat(model_id: str) -> bool:
    """Whether a Mistral model takes the chat completion body (an id, a profile id or an ARN)."""
    return _MISTRAL_CHAT.search(model_id) is not None


@dataclass
class InvokeRequest:
    """An InvokeModel body read into Converse terms."""

    messages: list[dict[str, Any]]
    system: str | None = None
    max_tokens: int | None = None
    stop_sequences: list[str] = field(default_factory=list)
    tool_config: dict[str, Any] | None = None
    legacy: bool = False  # Anthropic's Text Completions (``prompt``) format


CONVERSE_ONLY = "The emulator serves this model through Converse only: its InvokeModel body format is not emulated."


def parse(api: ModelApi, model_id: str, body: dict[str, Any]) -> InvokeRequest:
    if api == "converse":
        raise AwsError(400, "ValidationException", CONVERSE_ONLY)
    if api == "mistral" and mistral_chat(model_id):
        return _parse_mistral_chat(body)
    if api == "anthropic":
        return _parse_anthropic(body)
    if api == "titan-text":
        _require(body, "inputText")
        config = body.get("textGenerationConfig") or {}
        messages, system = _turns(_TITAN_TURN, body["inputText"], {"User": "user", "Bot": "assistant"})
        return InvokeRequest(messages, system, config.get("maxTokenCount"), config.get("stopSequences") or [])
    _require(body, "prompt")
    prompt = body["prompt"]
    if api == "llama":
        messages, system = _template_turns(prompt)
        return InvokeRequest(messages, system, body.get("max_gen_len"))
    messages, system = _template_turns(prompt)
    return InvokeRequest(messages, system, body.get("max_tokens"), body.get("stop") or [])


def render(api: ModelApi, model_id: str, request: InvokeRequest, answer: ModelAnswer) -> dict[str, Any]:
    length_cut = answer.stop_reason == "max_tokens"
    if api == "anthropic":
        return _render_anthropic(model_id, request, answer)
    if api == "titan-text":
        reason = "LENGTH" if length_cut else "STOP_CRITERIA_MET" if answer.stop_sequence else "FINISH"
        return {
            "inputTextTokenCount": answer.input_tokens,
            "results": [{"tokenCount": answer.output_tokens, "outputText": answer.text, "completionReason": reason}],
        }
    if api == "llama":
        return {
            "generation": answer.text,
            "prompt_token_count": answer.input_tokens,
            "generation_token_count": answer.output_tokens,
            "stop_reason": "length" if length_cut else "stop",
        }
    if mistral_chat(model_id):
        message = {"role": "assistant", "content": answer.text}
        return {"choices": [{"index": 0, "message": message, "stop_reason": "length" if length_cut else "stop"}]}
    return {"outputs": [{"text": answer.text, "stop_reason": "length" if length_cut else "stop"}]}


def stream_payloads(
    api: ModelApi, model_id: str, request: InvokeRequest, answer: ModelAnswer, text: str
) -> list[dict[str, Any]]:
    """InvokeModelWithResponseStream's chunk payloads for ``text`` in the family's streaming shape, in pieces of
    :data:`STREAM_PIECE_CHARS` characters."""
    pieces = [text[i : i + STREAM_PIECE_CHARS] for i in range(0, len(text), STREAM_PIECE_CHARS)] or [""]
    length_cut = answer.stop_reason == "max_tokens"
    if api == "anthropic" and request.legacy:
        final = _render_anthropic(model_id, request, answer)
        last = {"stop_reason": final["stop_reason"], "stop": final["stop"]}
        return [{"completion": p, "stop_reason": None, "stop": None} for p in pieces[:-1]] + [
            {"completion": pieces[-1], **last}
        ]
    if api == "anthropic":
        return _anthropic_events(model_id, answer, pieces)
    if api == "titan-text":
        reason = "LENGTH" if length_cut else "STOP_CRITERIA_MET" if answer.stop_sequence else "FINISH"
        chunks = [
            {"outputText": p, "index": 0, "totalOutputTextTokenCount": None, "completionReason": None} for p in pieces
        ]
        chunks[0]["inputTextTokenCount"] = answer.input_tokens
        chunks[-1].update(totalOutputTextTokenCount=answer.output_tokens, completionReason=reason)
        return chunks
    if api == "llama":
        chunks = [
            {"generation": p, "prompt_token_count": None, "generation_token_count": i + 1, "stop_reason": None}
            for i, p in enumerate(pieces)
        ]
        chunks[0]["prompt_token_count"] = answer.input_tokens
        chunks[-1].update(generation_token_count=answer.output_tokens, stop_reason="length" if length_cut else "stop")
        return chunks
    if mistral_chat(model_id):
        deltas: list[dict[str, Any]] = [
            {"choices": [{"index": 0, "message": {"role": "assistant", "content": p}, "stop_reason": None}]}
            for p in pieces
        ]
        deltas[-1]["choices"][0]["stop_reason"] = "length" if length_cut else "stop"
        return deltas
    outputs: list[dict[str, Any]] = [{"outputs": [{"text": p, "stop_reason": None}]} for p in pieces]
    outputs[-1]["outputs"][0]["stop_reason"] = "length" if length_cut else "stop"
    return outputs


def with_text(api: ModelApi, rendered: dict[str, Any], text: str) -> dict[str, Any]:
    """``rendered`` with its answer text replaced (a guardrail's blocked messaging or anonymized text)."""
    if api == "anthropic":
        if "completion" in rendered:
            return {**rendered, "completion": text}
        return {**rendered, "content": [{"type": "text", "text": text}]}
    if api == "titan-text":
        return {**rendered, "results": [{**rendered["results"][0], "outputText": text}]}
    if api == "llama":
        return {**rendered, "generation": text}
    if "choices" in rendered:
        choice = rendered["choices"][0]
        return {**rendered, "choices": [{**choice, "message": {**choice["message"], "content": text}}]}
    return {**rendered, "outputs": [{**rendered["outputs"][0], "text": text}]}


def _parse_mistral_chat(body: dict[str, Any]) -> InvokeRequest:
    """The chat completion body: ``messages`` of ``{role: system|user|assistant|tool, content}``, where content is
    text or (Pixtral) a list of ``{type: text, text}`` and image parts."""
    _require(body, "messages")
    system = None
    messages = []
    for message in body["messages"] if isinstance(body["messages"], list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        parts = [content] if isinstance(content, str) else [b.get("text", "") for b in _blocks(content)]
        text = "".join(p for p in parts if isinstance(p, str))
        role = message.get("role") if isinstance(message, dict) else None
        if role == "system":
            system = text
        elif role in ("user", "assistant", "tool"):
            messages.append(_message("assistant" if role == "assistant" else "user", text))
    if not messages:
        raise AwsError(400, "ValidationException", "Malformed input request: messages must hold a user message")
    return InvokeRequest(messages, system, body.get("max_tokens"))


def _parse_anthropic(body: dict[str, Any]) -> InvokeRequest:
    if "prompt" in body and "messages" not in body:
        _require(body, "max_tokens_to_sample")
        messages, system = _turns(_HUMAN_TURN, body["prompt"], {"Human": "user", "Assistant": "assistant"})
        stops = body.get("stop_sequences") or []
        return InvokeRequest(messages, system, body["max_tokens_to_sample"], stops, legacy=True)
    for key in ("anthropic_version", "max_tokens", "messages"):
        _require(body, key)
    _check_anthropic(body)
    messages = [
        {"role": m.get("role"), "content": [_anthropic_block(b) for b in _blocks(m.get("content"))]}
        for m in body["messages"]
    ]
    system = body.get("system")
    if isinstance(system, list):
        system = "\n".join(b.get("text", "") for b in system if isinstance(b, dict))
    tool_config: dict[str, Any] | None = None
    choice = body.get("tool_choice") or {}
    if body.get("tools"):
        tools = [
            {"toolSpec": {"name": t.get("name"), "inputSchema": {"json": t.get("input_schema") or {}}}}
            for t in body["tools"]
        ]
        tool_config = {"tools": tools}
        if choice.get("type") == "tool":
            tool_config["toolChoice"] = {"tool": {"name": choice.get("name")}}
    return InvokeRequest(messages, system, body["max_tokens"], body.get("stop_sequences") or [], tool_config)


def _render_anthropic(model_id: str, request: InvokeRequest, answer: ModelAnswer) -> dict[str, Any]:
    if request.legacy:
        return {
            "type": "completion",
            "completion": answer.text,
            "stop_reason": "max_tokens" if answer.stop_reason == "max_tokens" else "stop_sequence",
            "stop": answer.stop_sequence or ("\n\nHuman:" if answer.stop_reason != "max_tokens" else None),
        }
    if answer.tool_use is not None:
        tool = answer.tool_use
        content = [{"type": "tool_use", "id": tool["toolUseId"], "name": tool["name"], "input": tool["input"]}]
    else:
        content = [{"type": "text", "text": answer.text}]
    return {
        "id": "msg_bdrk_" + uuid.uuid4().hex[:24],
        "type": "message",
        "role": "assistant",
        "model": model_id.split("anthropic.", 1)[-1].rsplit("-v", 1)[0],
        "content": content,
        "stop_reason": answer.stop_reason,
        "stop_sequence": answer.stop_sequence,
        "usage": {"input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens},
    }


def _anthropic_events(model_id: str, answer: ModelAnswer, pieces: list[str]) -> list[dict[str, Any]]:
    message = _render_anthropic(model_id, InvokeRequest([]), answer)
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = {"input_tokens": answer.input_tokens, "output_tokens": 1}
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    if answer.tool_use is not None:
        tool = answer.tool_use
        block = {"type": "tool_use", "id": tool["toolUseId"], "name": tool["name"], "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": json.dumps(tool["input"])}]
    else:
        block = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in pieces]
    events.append({"type": "content_block_start", "index": 0, "content_block": block})
    events += [{"type": "content_block_delta", "index": 0, "delta": d} for d in deltas]
    events.append({"type": "content_block_stop", "index": 0})
    stop = {"stop_reason": answer.stop_reason, "stop_sequence": answer.stop_sequence}
    events.append({"type": "message_delta", "delta": stop, "usage": {"output_tokens": answer.output_tokens}})
    events.append({"type": "message_stop"})
    return events


def _anthropic_block(block: dict[str, Any]) -> dict[str, Any]:
    kind = block.get("type")
    if kind == "tool_use":
        return {"toolUse": {"toolUseId": block.get("id"), "name": block.get("name"), "input": block.get("input")}}
    if kind == "tool_result":
        texts = [b.get("text", "") for b in _blocks(block.get("content"))]
        return {"toolResult": {"toolUseId": block.get("tool_use_id"), "content": [{"text": t} for t in texts]}}
    return {"text": block.get("text", "")} if kind == "text" else {}


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def _turns(pattern: re.Pattern[str], prompt: str, roles: dict[str, str]) -> tuple[list[dict[str, Any]], str | None]:
    """Turns of a ``Speaker: text`` prompt; text before the first turn is the system prompt."""
    found = list(pattern.finditer(prompt))
    if not found:
        return [_message("user", prompt)], None
    system = prompt[: found[0].start()].strip() or None
    messages = [_message(roles[m.group(1)], m.group(2)) for m in found if m.group(2).strip()]
    return messages, system


def _template_turns(prompt: str) -> tuple[list[dict[str, Any]], str | None]:
    """Turns of a Llama 3 (header tokens), Llama 2 / Mistral (``[INST]``) or plain prompt."""
    headers = list(_LLAMA3_TURN.finditer(prompt))
    if headers:
        system = next((m.group(2).strip() for m in headers if m.group(1) == "system"), None)
        turns = [_message(m.group(1), m.group(2)) for m in headers if m.group(1) != "system" and m.group(2).strip()]
        return turns, system
    instructions = list(_INST_TURN.finditer(prompt))
    if instructions:
        system_match = _LLAMA2_SYSTEM.search(prompt)
        turns = [_message("user", _LLAMA2_SYSTEM.sub("", m.group(1))) for m in instructions]
        return turns, system_match.group(1).strip() if system_match else None
    return [_message("user", prompt)], None


def _message(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "content": [{"text": text.strip()}]}


def _check_anthropic(body: dict[str, Any]) -> None:
    """Bedrock's refusals of an Anthropic Messages body. Wording: "#: extraneous key [chat_id] is not permitted"
    (BerriAI/litellm#7416, sigoden/aichat#543); "Invalid API version: <value>" (boto/boto3#4218). The minimum of
    max_tokens is written in the same JSON-schema validator's words ("#/max_tokens: 0 is not greater or equal to
    1"); no source quoting AWS's answer to it was found."""
    extra = sorted(key for key in body if key not in _ANTHROPIC_KEYS)
    if extra:
        raise AwsError(
            400,
            "ValidationException",
            _malformed(", ".join(f"#: extraneous key [{k}] is not permitted" for k in extra)),
        )
    if body["anthropic_version"] != ANTHROPIC_VERSION:
        raise AwsError(400, "ValidationException", f"Invalid API version: {body['anthropic_version']}")
    max_tokens = body["max_tokens"]
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise AwsError(
            400, "ValidationException", _malformed(f"#/max_tokens: {max_tokens} is not greater or equal to 1")
        )


def _malformed(detail: str) -> str:
    return f"Malformed input request: {detail}, please reformat your input and try again."


def _require(body: dict[str, Any], key: str) -> None:
    if key not in body:
        raise AwsError(
            400,
            "ValidationException",
            _malformed(f"#: required key [{key}] not found"),
        )
