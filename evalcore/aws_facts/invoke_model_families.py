"""Which InvokeModel body a model takes: Bedrock's native request bodies differ per model provider (Bedrock user
guide, "Inference request parameters and response fields for foundation models", model-parameters.html). evalcore
writes them for Anthropic (Messages), Amazon Titan text, Meta Llama, Mistral text completion and Mistral chat; others
use Converse. The suite's batch checks and the runners that write the bodies (`runners/invoke_format.py`) read this.

Mistral has two bodies (Bedrock user guide): Mistral Large 2 (24.07) and Pixtral Large (25.02) take the chat
completion body (model-parameters-mistral-large-2407, model-parameters-mistral-pixtral-large,
model-parameters-mistral-chat-completion); the older Mistral models take `prompt` (model-parameters-mistral-text-completion)."""

from __future__ import annotations

import re

_GEO_PREFIX = re.compile(r"^(us|eu|apac|jp|au|ca|us-gov|global)\.")
FAMILIES = ("anthropic", "amazon.titan-text", "meta.llama", "mistral")
SYSTEM_FAMILIES = ("anthropic", "meta.llama", "mistral-chat")  # the bodies evalcore writes a system prompt into
_MISTRAL_CHAT = re.compile(r"^mistral\.(mistral-large-2407|pixtral-large)")


class UnsupportedModel(Exception):
    """No InvokeModel body is known for this model."""


def family(model_id: str) -> str:
    """The body family of a model id, inference profile id or ARN; UnsupportedModel when none fits."""
    bare = _GEO_PREFIX.sub("", model_id.rsplit("/", 1)[-1])
    found = next((f for f in FAMILIES if bare.startswith(f)), None)
    if found == "mistral" and _MISTRAL_CHAT.match(bare):
        return "mistral-chat"
    if found is None:
        raise UnsupportedModel(
            f"evalcore writes InvokeModel bodies for Anthropic, Titan text, Llama and Mistral models, not for "
            f"'{model_id}': use `via: converse` for it"
        )
    return found
