"""What a suite asks of its models that Bedrock would refuse, by evalcore/aws_facts/model_capabilities.yml.

Each problem is one line saying what to write instead: a bare model id Bedrock serves only through inference
profiles (the profile id to write, for the suite's Region when it names one), a profile of a geography the model has
none in, a model that is no chat model, a `system` prompt to a model without system prompts, a guardrail through
Converse on a model that takes none there. The judge and the agent evaluator need no tool support: they ask each
model in the protocol it supports. A model the table does not know (an application-profile or provisioned ARN, a
new model) is not refused.
"""

from __future__ import annotations

from evalcore.aws_facts.model_capabilities import lookup, table

# The geography of the profile to suggest for a Region's prefix (us-east-1 -> us).
_GEOGRAPHY_OF_REGION = {"us": "us", "eu": "eu", "ap": "apac", "ca": "ca"}


def model_problem(model_id: str, region: str | None) -> str | None:
    """Why Bedrock would refuse every call to `model_id`, with what to write instead; None when it would not."""
    ref = lookup(model_id)
    caps = ref.capabilities
    if caps is None:
        return None
    if not caps.converse:
        return f"model '{model_id}' ({caps.name}) is not a chat model Converse serves (use a chat model)"
    if ref.on_demand_refused():
        profiles = ref.profile_ids()
        if not profiles:
            return f"model '{model_id}' is served only through provisioned throughput (give its ARN)"
        wanted = _GEOGRAPHY_OF_REGION.get((region or "us").split("-")[0].replace("gov", ""))
        first = next((p for p in profiles if p.startswith(f"{wanted}.")), profiles[0])
        return (
            f"model '{model_id}' is served only through an inference profile: write '{first}' "
            f"(profiles: {', '.join(caps.profiles)}; an on-demand call gets a ValidationException)"
        )
    if ref.unknown_geography():
        choices = ", ".join(ref.profile_ids()) or f"'{ref.base_id}' itself"
        return f"model '{model_id}' has no {ref.geography}. inference profile (use {choices})"
    return None


def system_problem(model_id: str) -> str | None:
    """Why a Converse `system` prompt to `model_id` would be refused; None when it would not."""
    caps = lookup(model_id).capabilities
    if caps is None or caps.system_prompts:
        return None
    return (
        f"model '{model_id}' ({caps.name}) takes no system prompt in Converse "
        "(put the instructions at the start of `prompt:` instead)"
    )


def guardrail_problem(model_id: str) -> str | None:
    """Why a guardrail on a Converse call to `model_id` cannot be relied on; None when it can."""
    caps = lookup(model_id).capabilities
    if caps is None or caps.guardrails:
        return None
    return (
        f"model '{model_id}' ({caps.name}) takes no guardrail in Converse by AWS's model features table "
        f"(as of {table().as_of}; use `via: apply` or another model)"
    )
