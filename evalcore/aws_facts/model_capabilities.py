"""What each Bedrock model family can do through Converse: model_capabilities.yml, typed and looked up by model id.

One table for evalcore (the judge's and evaluator's answer protocol, the suite loader's checks) and for its emulator
(the ValidationExceptions it answers), so the two cannot drift. Each row cites its sources; see the data file.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Protocol = Literal["tool", "any", "text"]  # forced tool, `toolChoice.any` with one tool, a tagged text answer


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Capabilities(_Strict):
    """One model family's row."""

    family: str
    name: str
    match: list[str] = Field(min_length=1)  # regular expressions, matched at the start of the bare model id
    converse: bool = True  # a chat model Converse serves
    system_prompts: bool
    tool_use: bool
    tool_choice_any: bool
    tool_choice_tool: bool
    streaming_tool_use: bool
    documents: bool
    images: bool
    guardrails: bool
    on_demand: bool  # False: only through an inference profile (or provisioned throughput)
    profiles: list[str]  # the geographies of its system-defined inference profiles
    sources: list[str] = Field(min_length=1)  # keys of CapabilityTable.sources
    notes: str = ""

    def matches(self, base_id: str) -> bool:
        return any(re.match(pattern, base_id) for pattern in self.match)

    @property
    def protocol(self) -> Protocol:
        """The strongest answer protocol the family supports: a forced tool, else `any` with one tool, else text."""
        if self.tool_use and self.tool_choice_tool:
            return "tool"
        if self.tool_use and self.tool_choice_any:
            return "any"
        return "text"


class CapabilityTable(_Strict):
    as_of: date
    sources: dict[str, str]
    geographies: list[str]
    families: list[Capabilities]

    @model_validator(mode="after")
    def _cited(self) -> CapabilityTable:
        for row in self.families:
            unknown = [s for s in row.sources if s not in self.sources]
            if unknown:
                raise ValueError(f"family {row.family}: unknown sources {unknown}")
            stray = [g for g in row.profiles if g not in self.geographies]
            if stray:
                raise ValueError(f"family {row.family}: unknown geographies {stray}")
        return self


@dataclass(frozen=True)
class ModelRef:
    """A model identifier as a caller wrote it, and what the table knows of it."""

    identifier: str
    base_id: str | None  # the foundation model's id, when the identifier names one
    geography: str | None  # the system-defined profile's geography (`us`, ...), when it is one
    on_demand: bool  # a call on on-demand throughput (a bare model id or a foundation-model ARN)
    capabilities: Capabilities | None  # None: the table does not know this model

    def on_demand_refused(self) -> bool:
        """Bedrock refuses this call: on-demand throughput for a model served only through inference profiles."""
        return self.on_demand and self.capabilities is not None and not self.capabilities.on_demand

    def unknown_geography(self) -> bool:
        """A profile of a geography the model has none in."""
        caps = self.capabilities
        return self.geography is not None and caps is not None and self.geography not in caps.profiles

    def profile_ids(self) -> list[str]:
        """The system-defined inference profile ids of the model, in the table's order of geographies."""
        if self.capabilities is None or self.base_id is None:
            return []
        return [f"{geo}.{self.base_id}" for geo in self.capabilities.profiles]


@functools.cache
def table() -> CapabilityTable:
    text = resources.files("evalcore.aws_facts").joinpath("model_capabilities.yml").read_text(encoding="utf-8")
    # libyaml's safe loader when PyYAML has it (the same documents, about ten times faster: this table is read
    # before every run's first call)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return CapabilityTable.model_validate(yaml.load(text, Loader=loader))


@functools.cache  # asked for every judge call; the table is fixed and a ModelRef frozen
def lookup(identifier: str) -> ModelRef:
    """What the table knows of a model id, inference profile id or ARN."""
    geographies = table().geographies
    name, on_demand = identifier, True
    if identifier.startswith("arn:"):
        resource = identifier.split(":", 5)[-1]
        kind, _, name = resource.partition("/")
        if kind not in ("foundation-model", "inference-profile"):
            # Provisioned throughput, custom or imported models, application inference profiles: the ARN does not
            # name the model, so nothing is known of it.
            return ModelRef(identifier, None, None, False, None)
        on_demand = kind == "foundation-model"
    geography = next((geo for geo in geographies if name.startswith(geo + ".")), None)
    base = name[len(geography) + 1 :] if geography else name
    caps = next((row for row in table().families if row.matches(base)), None)
    return ModelRef(identifier, base, geography, on_demand and geography is None, caps)


def capabilities(identifier: str) -> Capabilities | None:
    return lookup(identifier).capabilities


def protocol_for(identifier: str) -> Protocol:
    """How evalcore asks this model for a structured answer; a model the table does not know gets text."""
    caps = capabilities(identifier)
    return caps.protocol if caps is not None else "text"


def takes_system_prompt(identifier: str) -> bool:
    """Whether a Converse `system` prompt may be sent; not for a model the table does not know."""
    caps = capabilities(identifier)
    return caps is not None and caps.system_prompts
