"""The default price table against its sources (AWS sample price files, see evalcore/bedrock/pricing.py): every geographic
profile prefix prices as its model, rows the sources give are theirs, and rows they disagree on are unknown."""

from __future__ import annotations

import pytest

from evalcore.bedrock.pricing import Pricing
from evalcore.domain.results import Usage

MILLION = Usage(input_tokens=1_000_000, output_tokens=1_000_000)


@pytest.mark.parametrize("prefix", ["us", "eu", "apac", "jp", "au", "ca", "us-gov", "global"])
def test_every_geographic_profile_prefix_prices_as_its_model(prefix: str) -> None:
    pricing = Pricing()
    base = pricing.cost("anthropic.claude-3-5-haiku-20241022-v1:0", MILLION)
    assert base is not None
    assert pricing.cost(f"{prefix}.anthropic.claude-3-5-haiku-20241022-v1:0", MILLION) == base
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{prefix}.anthropic.claude-3-5-haiku-20241022-v1:0"
    assert pricing.cost(arn, MILLION) == base


def test_rows_follow_the_aws_sample_price_files() -> None:
    pricing = Pricing()
    assert pricing.per_mtok("meta.llama3-8b-instruct-v1:0") == (0.40, 0.60)
    assert pricing.per_mtok("mistral.mistral-large-2402-v1:0") == (8.00, 24.00)
    assert pricing.per_mtok("mistral.mistral-large-2407-v1:0") == (3.00, 9.00)


def test_a_model_the_sources_disagree_on_has_no_price() -> None:
    assert Pricing().cost("meta.llama3-1-8b-instruct-v1:0", MILLION) is None
    assert Pricing().cost("meta.llama3-1-70b-instruct-v1:0", MILLION) is None
