"""The world file: defaults, model id resolution, and one-line errors that point at the offending line."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalcore_emulator import load_world
from evalcore_emulator.world import WorldError, parse_world


def test_default_world_declares_the_demo_models_and_guardrails() -> None:
    world = load_world(None)

    assert {
        "anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "anthropic.claude-3-sonnet-20240229-v1:0",
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "amazon.titan-text-express-v1",
        "meta.llama3-8b-instruct-v1:0",
        "amazon.titan-embed-text-v2:0",
    } <= set(world.models)
    assert len({spec.quality for spec in world.models.values()}) > 3
    assert {"grdemo", "grgrounding"} <= set(world.guardrails)
    assert world.models["meta.llama3-8b-instruct-v1:0"].api == "llama"


def test_each_load_of_the_default_world_is_independent() -> None:
    first = load_world(None)
    first.judge.noise = 0.5

    assert load_world(None).judge.noise == 0.0


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"),
        ("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1", "amazon.titan-text-express-v1"),
        ("eu.anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"),
        ("anthropic.claude-3-5-haiku-20241022-v1:0", "us.anthropic.claude-3-5-haiku-20241022-v1:0"),
        ("claude-sonnet", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
    ],
)
def test_model_identifiers_resolve_to_the_canonical_model(identifier: str, expected: str) -> None:
    found = load_world(None).resolve_model(identifier)

    assert found is not None
    assert found[0] == expected


def test_provisioned_throughput_arn_through_aliases() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123"
    world = parse_world(f"models:\n  meta.llama3-8b-instruct-v1:0:\n    aliases: ['{arn}']\n")

    assert world.resolve_model(arn) is not None
    assert world.resolve_model("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/zzz") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed: 1\nmodelz: {}\n", "w.yml:2: modelz: Extra inputs are not permitted"),
        ("models:\n  custom.model:\n    quality: 0.5\n", "w.yml:2: models.custom.model.api: Field required"),
        (
            "guardrails:\n  g:\n    versions:\n      latest: {}\n",
            "w.yml:3: guardrails.g.versions: version 'latest' must be DRAFT or a number",
        ),
        (
            "guardrails:\n  g:\n    versions:\n      DRAFT:\n        pii_entities:\n          - type: ADDRESS\n",
            "w.yml:6: guardrails.g.versions.DRAFT.pii_entities.0: ADDRESS has no built-in pattern",
        ),
        (
            "guardrails:\n  g:\n    versions:\n      DRAFT:\n        regexes:\n          - {name: r, pattern: '[a-'}\n",
            "w.yml:6: guardrails.g.versions.DRAFT.regexes.0.pattern:",
        ),
        ("faults:\n  - kind: internal_error\n    rpm: 5\n", "w.yml:2: faults.0: rpm applies only to kind: throttle"),
        ("faults:\n  - kind: latency\n", "w.yml:2: faults.0: a latency fault needs latency_ms"),
        ("judge:\n  unreadable_rate: 2\n", "w.yml:2: judge.unreadable_rate: Input should be less than or equal to 1"),
        ("models: [1, 2\n", "w.yml:2:"),
        ("- just a list\n", "w.yml:1: a world file is a mapping"),
    ],
)
def test_errors_name_the_line_and_field(text: str, message: str) -> None:
    with pytest.raises(WorldError) as caught:
        parse_world(text, "w.yml")

    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_missing_file_is_a_world_error(tmp_path: Path) -> None:
    with pytest.raises(WorldError, match="No such file"):
        load_world(tmp_path / "absent.yml")
