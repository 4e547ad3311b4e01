"""What a call costs: USD per million input and output tokens, from a default table of common Bedrock models
(on-demand, US regions, as of PRICES_AS_OF) that a suite overrides per model with `models.<name>.price`.

A model id is looked up as given, then without an ARN's prefix and a geographic inference profile's prefix
(`us.`, `eu.`, `apac.`, `jp.`, `au.`, `ca.`, `us-gov.`, `global.`: Bedrock user guide, inference-profiles-support),
so ids, inference profiles and their ARNs share one price. Provisioned throughput is billed by the hour, not by
the token: its ARN has no price here, and its cost is unknown (None) unless the suite gives one. A model missing
from the table costs "unknown", never $0.

Sources (aws-samples/amazon-bedrock-samples, read with evalcore's reference tools):
- [csv] cost-reporting/converse-metadata-cost-reporting/cdk/glue/pricing.csv (commit of 2025-07-11): Claude 3.5
  Haiku, 3.5 Sonnet v2, 3.7 Sonnet, Nova Micro, with cache write/read prices.
- [json] poc-to-prod/inference-profiles/inference-profile-cost-tracing/config/models.json (2025-02-11), us-east-1
  (else us-west-2) per 1,000 tokens, here per million: every other row.
Rows the sources disagree on are left out (Llama 3.1 8B and 70B: 0.22/0.72 elsewhere, 0.30/0.60 and 2.65/3.50 in
[json]); so are models neither source lists (Claude 4). Cache read and write prices ([csv]: Claude 3.7 Sonnet and
3.5 Sonnet v2 3.75 write / 0.30 read, 3.5 Haiku 1.00 / 0.08) are not applied: evalcore sends no cache points, so
its calls read and write no cache tokens. Check https://aws.amazon.com/bedrock/pricing/ before trusting a total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from evalcore.domain.results import Usage
from evalcore.suite.models import Price, Suite

PRICES_AS_OF = "2025-07-11"

# Token estimates before a call (the dry-run's estimate and the budget's worst case): input tokens are the request's
# text in characters / CHARS_PER_TOKEN (a common rule of thumb for English; tokenizers differ by model), output
# tokens the request's `inferenceConfig.maxTokens` (an upper bound: the model stops there), else
# DEFAULT_MAX_OUTPUT_TOKENS when the request sets none (Converse's own default depends on the model).
CHARS_PER_TOKEN = 4
DEFAULT_MAX_OUTPUT_TOKENS = 4096

# USD per million tokens (input, output); the source of each row in its comment.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "anthropic.claude-3-haiku-20240307-v1:0": (0.25, 1.25),  # [json]
    "anthropic.claude-3-5-haiku-20241022-v1:0": (0.80, 4.00),  # [csv]
    "anthropic.claude-3-sonnet-20240229-v1:0": (3.00, 15.00),  # [json]
    "anthropic.claude-3-5-sonnet-20240620-v1:0": (3.00, 15.00),  # [json]
    "anthropic.claude-3-5-sonnet-20241022-v2:0": (3.00, 15.00),  # [csv]
    "anthropic.claude-3-7-sonnet-20250219-v1:0": (3.00, 15.00),  # [csv]
    "anthropic.claude-3-opus-20240229-v1:0": (15.00, 75.00),  # [json]
    "amazon.nova-micro-v1:0": (0.035, 0.14),  # [csv], [json]
    "amazon.nova-lite-v1:0": (0.06, 0.24),  # [json] us-west-2
    "amazon.nova-pro-v1:0": (0.80, 3.20),  # [json] us-west-2
    "amazon.titan-text-lite-v1": (0.15, 0.20),  # [json]
    "amazon.titan-text-express-v1": (0.20, 0.60),  # [json]
    "meta.llama3-8b-instruct-v1:0": (0.40, 0.60),  # [json] us-east-1 (0.30/0.60 in us-west-2 and eu-west-2)
    "meta.llama3-70b-instruct-v1:0": (2.65, 3.50),  # [json]
    "mistral.mistral-7b-instruct-v0:2": (0.15, 0.20),  # [json]
    "mistral.mixtral-8x7b-instruct-v0:1": (0.45, 0.70),  # [json]
    "mistral.mistral-large-2402-v1:0": (8.00, 24.00),  # [json] us-east-1 and us-west-2 (4/12 is eu-west-2's)
    "mistral.mistral-large-2407-v1:0": (3.00, 9.00),  # [json] us-west-2
    "cohere.command-r-v1:0": (0.50, 1.50),  # [json]
    "cohere.command-r-plus-v1:0": (3.00, 15.00),  # [json]
}

_ARN_PREFIX = re.compile(r"^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:(foundation-model|inference-profile)/")
_PROFILE_PREFIX = re.compile(r"^(us|eu|apac|jp|au|ca|us-gov|global)\.")


def base_model_id(model_id: str) -> str:
    """The foundation model id behind an id, an inference profile id or either's ARN."""
    return _PROFILE_PREFIX.sub("", _ARN_PREFIX.sub("", model_id))


@dataclass
class Pricing:
    """Prices by model id: the suite's overrides first, then the default table."""

    overrides: dict[str, Price] = field(default_factory=dict)

    def per_mtok(self, model_id: str) -> tuple[float, float] | None:
        for candidate in (model_id, base_model_id(model_id)):
            price = self.overrides.get(candidate)
            if price is not None:
                return price.input_per_mtok, price.output_per_mtok
        return DEFAULT_PRICES.get(base_model_id(model_id))

    @classmethod
    def of_suite(cls, suite: Suite) -> Pricing:
        """The default table with the suite's `models.<name>.price` overrides."""
        specs = (suite.model_spec(name) for name in suite.models)
        return cls({spec.id: spec.price for spec in specs if spec.price is not None})

    def cost(self, model_id: str, usage: Usage) -> float | None:
        """USD for `usage` on `model_id`; None when no price is known."""
        price = self.per_mtok(model_id)
        if price is None:
            return None
        return (usage.input_tokens * price[0] + usage.output_tokens * price[1]) / 1_000_000


def input_tokens_estimate(chars: int) -> int:
    return -(-chars // CHARS_PER_TOKEN)  # rounded up: a short prompt is still a token


def worst_case_tokens(request: dict[str, Any]) -> tuple[int, int]:
    """(input tokens estimated, output tokens at most) of a Converse request: its messages' and system's text."""
    chars = sum(len(b.get("text") or "") for m in request.get("messages", []) for b in m.get("content", []))
    chars += sum(len(b.get("text") or "") for b in request.get("system", []))
    max_out = (request.get("inferenceConfig") or {}).get("maxTokens") or DEFAULT_MAX_OUTPUT_TOKENS
    return input_tokens_estimate(chars), int(max_out)
