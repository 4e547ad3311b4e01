"""The emulator's world file: what its models know, what its guardrails block, which faults it injects.

A world is YAML (or JSON) validated by the pydantic models below; unknown keys are errors. ``load_world`` reports
the first problem as ``world.yml:LINE: field: problem`` through :class:`WorldError`. Every key is documented in
``docs/emulator.md``.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from evalcore.text.long_integers import too_many_digits
from evalcore_emulator.agent_world import AgentCoreRuntimeSpec, AgentSpec, JobSettings, KnowledgeBaseSpec
from evalcore_emulator.pii import BUILTIN_PII_PATTERNS

# "converse": a model the emulator serves through Converse only (its InvokeModel body format is not emulated).
ModelApi = Literal["anthropic", "titan-text", "titan-embed", "llama", "mistral", "converse"]
Strength = Literal["NONE", "LOW", "MEDIUM", "HIGH"]
ContentFilterType = Literal["HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT", "PROMPT_ATTACK"]
PiiAction = Literal["BLOCK", "ANONYMIZE"]
FaultKind = Literal[
    "latency",
    "throttle",
    "internal_error",
    "service_unavailable",
    "model_not_ready",
    "model_timeout",
    "model_error",
    "access_denied",
    "connection_reset",
    "malformed_body",
    "stream_cut",
    "stream_throttle",
]

_API_BY_PREFIX: tuple[tuple[str, ModelApi], ...] = (
    ("anthropic.", "anthropic"),
    ("amazon.titan-embed", "titan-embed"),
    ("amazon.titan-text", "titan-text"),
    ("meta.", "llama"),
    ("mistral.", "mistral"),
    ("amazon.nova-", "converse"),
    ("cohere.", "converse"),
    ("ai21.", "converse"),
    ("deepseek.", "converse"),
)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 30x faster
_PROFILE_PREFIX = re.compile(r"^(us|eu|apac|us-gov|global)\.")


def _check_regex(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelSpec(_Strict):
    """One foundation model. ``api`` (the InvokeModel body format) is inferred from the model id's provider."""

    quality: float = Field(0.8, ge=0.0, le=1.0)
    answers: dict[str, str] = Field(default_factory=dict)
    aliases: list[str] = Field(default_factory=list)
    latency_ms: float = Field(0.0, ge=0.0)
    chars_per_token: float = Field(4.0, gt=0.0)
    api: ModelApi  # inferred from the model id by World when omitted
    embedding_dimensions: int = Field(1024, gt=0)
    access_granted: bool = True  # false: calls get AccessDeniedException, as before model access is granted
    _fixed: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _index(self) -> ModelSpec:
        self._fixed = {prompt_key(k): v for k, v in self.answers.items()}
        return self

    def fixed_answer(self, prompt: str) -> str | None:
        """This model's own canned answer to ``prompt`` (matched by :func:`prompt_key`), if any."""
        return self._fixed.get(prompt_key(prompt))


class TopicSpec(_Strict):
    name: str
    definition: str = ""
    examples: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)


class ContentFilterSpec(_Strict):
    type: ContentFilterType
    input_strength: Strength = "HIGH"
    output_strength: Strength = "HIGH"
    keywords: dict[Literal["LOW", "MEDIUM", "HIGH"], list[str]] = Field(default_factory=dict)


class PiiEntitySpec(_Strict):
    type: str
    action: PiiAction = "BLOCK"
    pattern: str | None = None
    examples: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _detectable(self) -> PiiEntitySpec:
        if self.type not in BUILTIN_PII_PATTERNS and not self.pattern and not self.examples:
            known = ", ".join(sorted(BUILTIN_PII_PATTERNS))
            raise ValueError(f"{self.type} has no built-in pattern ({known}): give `pattern` or `examples`")
        if self.pattern:
            _check_regex(self.pattern)
        return self


class RegexSpec(_Strict):
    name: str
    pattern: str
    action: PiiAction = "BLOCK"
    description: str = ""

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        _check_regex(value)
        return value


class GroundingSpec(_Strict):
    grounding_threshold: float | None = Field(None, ge=0.0, le=0.99)
    relevance_threshold: float | None = Field(None, ge=0.0, le=0.99)


class GuardrailPolicies(_Strict):
    blocked_input_messaging: str = "Sorry, the model cannot answer this question."
    blocked_outputs_messaging: str = "Sorry, the model cannot answer this question."
    topics: list[TopicSpec] = Field(default_factory=list)
    content_filters: list[ContentFilterSpec] = Field(default_factory=list)
    words: list[str] = Field(default_factory=list)
    managed_word_lists: list[Literal["PROFANITY"]] = Field(default_factory=list)
    pii_entities: list[PiiEntitySpec] = Field(default_factory=list)
    regexes: list[RegexSpec] = Field(default_factory=list)
    contextual_grounding: GroundingSpec | None = None
    automated_reasoning_invalid: list[str] = Field(
        default_factory=list,
        description="claims an automated reasoning policy finds invalid: an OUTPUT holding one gets an "
        "`automatedReasoningPolicy` finding `invalid` and the guardrail intervenes",
    )


class GuardrailSpec(_Strict):
    name: str | None = None
    versions: dict[str, GuardrailPolicies]

    @field_validator("versions")
    @classmethod
    def _version_names(cls, value: dict[str, GuardrailPolicies]) -> dict[str, GuardrailPolicies]:
        for name in value:
            if name != "DRAFT" and not name.isdigit():
                raise ValueError(f"version {name!r} must be DRAFT or a number")
        if not value:
            raise ValueError("at least one version is required")
        return value


class JudgeSpec(_Strict):
    noise: float = Field(0.0, ge=0.0)
    # The noise's own seed (default: the world's). Another judge seed is the same system judged again: the answers
    # stay, only the judge's noise changes, as between two real runs.
    seed: int | None = None
    unreadable_rate: float = Field(0.0, ge=0.0, le=1.0)


class FaultSpec(_Strict):
    """A fault injected into calls whose operation and target match the globs."""

    kind: FaultKind
    operation: str = "*"
    target: str = "*"
    rate: float = Field(1.0, ge=0.0, le=1.0)
    first: int | None = Field(None, ge=0)
    rpm: int | None = Field(None, gt=0)
    latency_ms: float | tuple[float, float] = 0.0

    @model_validator(mode="after")
    def _coherent(self) -> FaultSpec:
        if self.rpm is not None and self.kind != "throttle":
            raise ValueError("rpm applies only to kind: throttle")
        if isinstance(self.latency_ms, tuple) and self.latency_ms[0] > self.latency_ms[1]:
            raise ValueError("latency_ms range must be [low, high]")
        if self.kind == "latency" and self.latency_ms == 0.0:
            raise ValueError("a latency fault needs latency_ms")
        return self


class DatasetScenario(_Strict):
    """One scenario of an AgentCore dataset (bedrock-agentcore-control datasets; the example's fields here are the
    emulator's own): the prompt sent to the runtime and the ground truth its evaluators score against."""

    scenario_id: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    assertions: list[str] = Field(default_factory=list)
    expected_tools: list[str] | None = None


class World(_Strict):
    seed: int = 0
    answers: dict[str, str] = Field(default_factory=dict)
    models: dict[str, ModelSpec] = Field(default_factory=dict)
    guardrails: dict[str, GuardrailSpec] = Field(default_factory=dict)
    judge: JudgeSpec = Field(default_factory=JudgeSpec)
    faults: list[FaultSpec] = Field(default_factory=list)
    agents: dict[str, AgentSpec] = Field(default_factory=dict)
    agentcore_runtimes: dict[str, AgentCoreRuntimeSpec] = Field(
        default_factory=dict, description="AgentCore Runtime agents by runtime id (InvokeAgentRuntime)"
    )
    agentcore_datasets: dict[str, list[DatasetScenario]] = Field(
        default_factory=dict, description="AgentCore datasets by dataset id (StartBatchEvaluation's dataset execution)"
    )
    knowledge_bases: dict[str, KnowledgeBaseSpec] = Field(default_factory=dict)
    jobs: JobSettings = Field(default_factory=JobSettings)
    buckets: list[str] = Field(
        default_factory=list, description="S3 buckets (moto) that exist from the start, e.g. for evaluation jobs"
    )
    _references: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("models", mode="before")
    @classmethod
    def _infer_apis(cls, value: Any) -> Any:
        """Fill each model's ``api`` from its id's provider when not given (an unknown provider must set it)."""
        if not isinstance(value, dict):
            return value
        filled = {}
        for model_id, spec in value.items():
            api = infer_api(str(model_id))
            if isinstance(spec, dict) and "api" not in spec and api is not None:
                spec = {**spec, "api": api}
            filled[model_id] = spec
        return filled

    @model_validator(mode="after")
    def _index(self) -> World:
        unknown = sorted(
            r for r, spec in self.agentcore_runtimes.items() if spec.agent is not None and spec.agent not in self.agents
        )
        if unknown:
            raise ValueError(f"agentcore_runtimes {', '.join(unknown)}: `agent` names none of the world's agents")
        self._references = {prompt_key(k): v for k, v in self.answers.items()}
        return self

    def reference_answer(self, prompt: str) -> str | None:
        """The correct answer to ``prompt`` from the world's ``answers`` (matched by :func:`prompt_key`), if any."""
        return self._references.get(prompt_key(prompt))

    def resolve_model(self, identifier: str) -> tuple[str, ModelSpec] | None:
        """The model a model id, alias, ARN, inference-profile id or provisioned-throughput ARN names."""
        candidates = [identifier]
        if identifier.startswith("arn:"):
            candidates.append(identifier.rsplit("/", 1)[-1])
        for candidate in list(candidates):
            stripped = _PROFILE_PREFIX.sub("", candidate)
            if stripped != candidate:
                candidates.append(stripped)
        for candidate in candidates:
            if candidate in self.models:
                return candidate, self.models[candidate]
            for model_id, spec in self.models.items():
                if candidate in spec.aliases or _PROFILE_PREFIX.sub("", model_id) == candidate:
                    return model_id, spec
        return None


def prompt_key(prompt: str) -> str:
    """How canned answers are matched: whitespace collapsed, case folded."""
    return " ".join(prompt.split()).casefold()


def infer_api(model_id: str) -> ModelApi | None:
    bare = _PROFILE_PREFIX.sub("", model_id)
    return next((api for prefix, api in _API_BY_PREFIX if bare.startswith(prefix)), None)


class WorldError(Exception):
    """A world file that does not validate: ``file:line: field: problem``."""

    def __init__(self, source: str, line: int | None, field: str, problem: str) -> None:
        self.source, self.line, self.field, self.problem = source, line, field, problem
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")


def parse_world(text: str, source: str = "<world>") -> World:
    """Validate world text (YAML or JSON); raise :class:`WorldError` on the first problem."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise WorldError(source, line, "", str(getattr(exc, "problem", exc))) from None
    except ValueError as exc:  # an integer past Python's digit limit, a date that does not exist
        digits = too_many_digits(exc)
        line = _long_integer_line(root) if digits else None
        raise WorldError(source, line, "", digits or str(exc)) from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise WorldError(source, 1, "", "a world file is a mapping")
    try:
        return World.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        raise WorldError(source, _line_of(root, loc), ".".join(str(p) for p in loc), message) from None


def _long_integer_line(node: Any) -> int | None:
    """The 1-based line of the first integer scalar with more digits than Python converts."""
    if isinstance(node, yaml.ScalarNode):
        long = node.tag.endswith(":int") and sum(c.isdigit() for c in node.value) > sys.get_int_max_str_digits()
        return node.start_mark.line + 1 if long else None
    children = node.value if isinstance(node, yaml.SequenceNode) else []
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    return next((line for child in children if (line := _long_integer_line(child)) is not None), None)


def load_world(path: str | Path | None = None) -> World:
    """The world in ``path``, or the default world shipped with evalcore when ``path`` is None."""
    if path is None:
        return _default_world().model_copy(deep=True)
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise WorldError(str(path), None, "", exc.strerror or str(exc)) from None
    return parse_world(text, str(path))


@cache
def _default_world() -> World:
    text = resources.files("evalcore_emulator").joinpath("default_world.yml").read_text()
    return parse_world(text, "default_world.yml")


def _line_of(node: Any, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest YAML node on ``loc`` (a pydantic error location)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                return line
            key, node = match
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
