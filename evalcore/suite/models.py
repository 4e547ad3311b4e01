"""The suite file as pydantic models: the one reference for its shape (and the JSON Schema)."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from evalcore.aws_facts import bedrock_metrics
from evalcore.suite import check_specs, metric_names

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, description="Letters, digits, `_`, `.`, `-`; at most 63.")]


class Strict(BaseModel):
    """Every suite model rejects unknown keys (the loader turns that into a 'did you mean' message)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Inference(Strict):
    """Inference parameters, sent as Converse's `inferenceConfig`."""

    max_tokens: int | None = Field(None, ge=1, le=200_000)
    temperature: float | None = Field(None, ge=0.0, le=1.0)
    top_p: float | None = Field(None, ge=0.0, le=1.0)
    stop_sequences: list[str] | None = Field(None, max_length=4)

    def merged(self, override: Inference | None) -> Inference:
        """These parameters with every value that `override` sets taken from it."""
        if override is None:
            return self
        return self.model_copy(update=override.model_dump(exclude_none=True))


class Price(Strict):
    """USD per million tokens; overrides evalcore's price table for this model."""

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


class ModelSpec(Strict):
    """A model under test. `id` is a model id, an inference profile id or ARN, or a provisioned throughput ARN."""

    id: str = Field(min_length=1, max_length=2048)
    inference: Inference | None = None
    price: Price | None = None
    concurrency: int | None = Field(None, ge=1, le=1024, description="At most this many calls at once.")
    requests_per_minute: int | None = Field(None, ge=1)
    tokens_per_minute: int | None = Field(None, ge=1)


class AwsSettings(Strict):
    """All optional; defaults come from the environment (credential chain, AWS_REGION)."""

    region: str | None = Field(None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    profile: str | None = None
    endpoint_url: str | None = Field(None, pattern=r"^https?://", description="A Bedrock-compatible endpoint.")


class Defaults(Strict):
    concurrency: int = Field(
        16,
        ge=1,
        le=1024,
        description="Model calls at once to start with; when set without max_concurrency, also the most at once.",
    )
    max_concurrency: int = Field(
        64, ge=1, le=1024, description="The most model calls at once the adaptive level may grow to."
    )
    repeats: int = Field(1, ge=1, le=100)
    inference: Inference = Field(default_factory=lambda: Inference(max_tokens=512, temperature=0.0))
    judge: str | None = Field(None, description="Model name or id of the LLM judge.")
    timeout_seconds: float = Field(120.0, gt=0, le=3600, description="Per model call.")
    retry_budget_seconds: float = Field(
        300.0,
        ge=0,
        le=3600,
        description="How long a throttled or transiently failing model call is retried after its first failure "
        "(0: never retried).",
    )
    max_cost_usd: float | None = Field(
        None,
        gt=0,
        description="A cost budget in USD: no new model call starts once the spend plus its worst case would pass "
        "it; the cases not started are not run and the run exits 3 (--max-cost-usd overrides it).",
    )
    accept_uncounted_cost: bool = Field(
        False,
        description="Run with a cost budget even though some calls are not counted by it (knowledge-base "
        "retrieval and generation, agent runtimes, guardrail text units, evaluation jobs): without it such a "
        "budget is refused (exit 2); with it they are named in a warning, results.json and the summary.",
    )


class Bound(Strict):
    """A bound checked against the aggregate's estimate (`on: value`) or an end of its 95% interval: `min` on
    `ci_low` passes only when the interval lies above the bound (no missed regressions, more false failures);
    `min` on `ci_high` fails only when it lies wholly below (no false failures, more missed regressions)."""

    value: float
    on: Literal["value", "ci_low", "ci_high"] = "value"


class Threshold(Strict):
    """A bound on an aggregate; `models` limits it to some models of the section. A bound is a number (the
    estimate must clear it) or `{value: 0.85, on: ci_low}` (an end of the aggregate's 95% interval must)."""

    min: float | Bound | None = None
    max: float | Bound | None = None
    models: list[str] | None = None

    def bound(self, which: Literal["min", "max"]) -> Bound | None:
        """The `min` or `max` bound as a Bound (a bare number is checked against the estimate)."""
        given = self.min if which == "min" else self.max
        return Bound(value=given) if isinstance(given, int | float) else given

    @model_validator(mode="after")
    def _bounds(self) -> Threshold:
        low, high = self.bound("min"), self.bound("max")
        if low is None and high is None:
            raise PydanticCustomError("threshold", "a threshold needs `min` or `max` (e.g. {min: 0.8})")
        if low is not None and high is not None and low.value > high.value:
            raise PydanticCustomError(
                "threshold", f"min {low.value} is greater than max {high.value} (swap them or drop one)"
            )
        return self


Thresholds = dict[str, Threshold]


# ---- metrics ---------------------------------------------------------------------------------------------------


class RatingLevel(Strict):
    definition: str = Field(min_length=1)
    value: float | str


class CheckMetric(Strict):
    """A deterministic check computed here, e.g. `exact_match` or `{contains: "{{referenceResponse}}"}`."""

    check: Literal[check_specs.NAMES]  # type: ignore[valid-type]
    arg: Any = None
    name: str
    case_sensitive: bool = False


class BuiltinMetric(Strict):
    """One of Bedrock's built-in metrics (judge, algorithmic or RAG)."""

    name: str


class CustomJudgeMetric(Strict):
    """A judge metric in Bedrock's custom-metric shape; works in direct mode and in managed jobs."""

    name: str = Field(pattern=NAME_PATTERN)
    instructions: str = Field(min_length=1)
    rating_scale: list[RatingLevel] = Field(min_length=2, max_length=10)
    judge: str | None = None


Metric = CheckMetric | BuiltinMetric | CustomJudgeMetric

_BUILTINS = bedrock_metrics.JUDGE + bedrock_metrics.ALGORITHMIC + bedrock_metrics.RAG
_CHECK_KEYS = set(check_specs.WITH_ARGUMENT)


def parse_metric(value: Any) -> Any:
    """Turn the user's spelling of a metric into one of the metric models (or raise a readable error)."""
    if isinstance(value, CheckMetric | BuiltinMetric | CustomJudgeMetric):
        return value
    if isinstance(value, str):
        if value in _BUILTINS:
            return BuiltinMetric(name=value)
        if value in check_specs.WITHOUT_ARGUMENT:
            return CheckMetric(check=value, name=value)
        if value in _CHECK_KEYS:
            raise PydanticCustomError("metric", "metric '{m}' takes an argument (write it as `{m}: ...`)", {"m": value})
        raise PydanticCustomError("unknown_metric", "unknown metric '{m}'", {"m": value})
    if isinstance(value, dict):
        if "instructions" in value or "rating_scale" in value:
            return CustomJudgeMetric.model_validate(value)
        keys = [k for k in value if k in _CHECK_KEYS]
        if len(keys) == 1:
            key = keys[0]
            rest = {k: v for k, v in value.items() if k != key}
            unknown = set(rest) - {"name", "case_sensitive"}
            if unknown:
                raise PydanticCustomError(
                    "metric",
                    "unexpected key '{k}' in a `{c}` check (a check takes only `name` and `case_sensitive`)",
                    {"k": sorted(unknown)[0], "c": key},
                )
            return CheckMetric(
                check=key,
                arg=value[key],
                name=rest.get("name", key),
                case_sensitive=rest.get("case_sensitive", False),
            )
        raise PydanticCustomError(
            "metric",
            "a metric is a name, a one-key check such as `contains: ...`, or a custom judge metric with "
            "`name`, `instructions` and `rating_scale`",
        )
    raise PydanticCustomError("metric", "a metric is a name or a mapping, not {t}", {"t": type(value).__name__})


# The schema lists what a suite can declare: not the knowledge-base (RAG) metrics, which parse only so that the
# loader can say why it refuses them (suites cannot declare a knowledge-base evaluation yet).
MetricName = Literal[bedrock_metrics.JUDGE + bedrock_metrics.ALGORITHMIC + check_specs.WITHOUT_ARGUMENT]  # type: ignore[valid-type]
CheckMapping = dict[Literal[(*check_specs.WITH_ARGUMENT, "name", "case_sensitive")], Any]  # type: ignore[valid-type]

MetricEntry = Annotated[
    Metric,
    BeforeValidator(parse_metric, json_schema_input_type=MetricName | CheckMapping | CustomJudgeMetric),
]


# ---- sections --------------------------------------------------------------------------------------------------


class JobSettings(Strict):
    """Where a managed evaluation job reads and writes, and who it runs as."""

    role_arn: str = Field(pattern=r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/.+$")
    s3_uri: str = Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")
    kms_key_id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    poll_seconds: float = Field(15.0, gt=0, le=600)
    timeout_minutes: float = Field(180.0, gt=0, le=7 * 24 * 60)


class BatchSettings(JobSettings):
    """Bedrock batch inference (`mode: batch|auto`): where the records and answers go, who the jobs run as, and
    the sizes that decide. Bedrock refuses a job below its quota "Minimum number of records per batch inference
    job" (100 by default: Bedrock user guide, "Format and upload your batch inference data" and the Bedrock
    service quotas) and caps "Records per batch inference job" (50,000 by default for most models)."""

    min_records: int = Field(100, ge=1, description="Bedrock's minimum records per job (your account's quota).")
    max_records_per_job: int = Field(50_000, ge=1, description="Bedrock's maximum records per job (quota).")
    auto_threshold: int = Field(
        1000, ge=1, description="mode auto: a model with at least this many cases (and min_records) goes batch."
    )
    poll_seconds: float = Field(60.0, gt=0, le=600)
    timeout_minutes: float = Field(24 * 60.0, gt=0, le=7 * 24 * 60)

    def threshold(self, mode: str) -> int:
        """The fewest cases a model needs this run for its cases to go batch (else they run direct)."""
        return max(self.min_records, self.auto_threshold) if mode == "auto" else self.min_records


def _min_passes() -> Any:
    """`min_passes`, as every section kind with repeats takes it."""
    return Field(
        None,
        ge=1,
        le=100,
        description="With repeats k: an item passes when at least this many of its k tries pass (its pass count "
        "out of k); the section's pass_rate is then over items. At most the section's repeats.",
    )


class Evaluation(Strict):
    """Several models side by side on one dataset: what every mode shares. A section is one of the mode types
    below (`EvaluationEntry` picks it by `mode`), each with only the keys and rules of its mode."""

    # What to say when a key the mode requires is missing (`{mode}`: the section's mode).
    missing_hints: ClassVar[dict[str, str]] = {}

    name: Name
    dataset: str = Field(min_length=1, description="JSONL (Bedrock's format) or CSV, relative to the suite file.")
    models: list[str] = Field(min_length=1)
    system: str | None = None
    prompt: str = Field("{{prompt}}", description="A template over the dataset's fields.")
    metrics: list[MetricEntry] = Field(default_factory=list)
    thresholds: Thresholds = Field(default_factory=dict)
    repeats: int | None = Field(None, ge=1, le=100)
    min_passes: int | None = _min_passes()
    cluster_by: str | None = Field(
        None,
        min_length=1,
        description="A dataset field whose value groups the items (e.g. category): intervals, and the pull-request "
        "comparison's paired differences, are then cluster-robust (t on G-1 degrees of freedom for G groups).",
    )
    concurrency: int | None = Field(None, ge=1, le=1024)
    inference: Inference | None = None
    judge: str | None = None
    primary_metrics: list[str] = Field(
        default_factory=list,
        description="Metrics the pull-request comparison tests first: they share half of the false discovery rate "
        "budget whatever their number, every other row the other half.",
    )


class ScoredHere(Evaluation):
    """The modes whose answers evalcore scores itself (the direct runner's metrics): direct, batch and auto."""

    judge_samples: int = Field(
        1,
        ge=1,
        le=10,
        description="direct and batch modes: ask the judge this many times per answer and average the grades "
        "(each grade its own sample and cache entry).",
    )


MODES = ("direct", "bedrock-job", "batch", "auto")


class DirectEvaluation(ScoredHere):
    """mode direct (the default): Converse calls now, scored here."""

    mode: Literal["direct"] = Field("direct", description="direct: Converse calls now (the default).")

    @field_validator("mode", mode="before")
    @classmethod
    def _known_mode(cls, value: Any) -> Any:
        # A mode no type declares is validated here (the discriminator sends it to this type): name every mode.
        if value not in MODES:
            raise PydanticCustomError(
                "literal_error",
                "Input should be {expected}",
                {"expected": ", ".join(f"'{m}'" for m in MODES[:-1]) + f" or '{MODES[-1]}'"},
            )
        return value


class BatchEvaluation(ScoredHere):
    """mode batch: Bedrock batch inference (about half the price, slower to start), scored here like direct;
    mode auto: batch for a model with at least `batch.auto_threshold` cases, direct below."""

    mode: Literal["batch", "auto"] = Field(
        description="batch: Bedrock batch inference; auto: batch for a model with at least "
        "`batch.auto_threshold` cases, direct below."
    )
    batch: BatchSettings

    missing_hints: ClassVar[dict[str, str]] = {
        "batch": "mode {mode} needs a `batch:` block with `role_arn` and `s3_uri: s3://...` "
        "(where batch jobs read and write)"
    }


class JobEvaluation(Evaluation):
    """mode bedrock-job: managed evaluation jobs call the models and score the answers."""

    mode: Literal["bedrock-job"] = Field(description="bedrock-job: managed evaluation jobs.")
    job: JobSettings
    task_type: (
        Literal["Summarization", "Classification", "QuestionAndAnswer", "Generation", "General", "Custom"] | None
    ) = Field(
        None,
        description="managed jobs: Bedrock's taskType. Default: General for judge and custom-metric jobs (as in "
        "every AWS model-as-judge example), QuestionAndAnswer for algorithmic metrics.",
    )

    missing_hints: ClassVar[dict[str, str]] = {
        "job": "mode {mode} needs `job: {{role_arn: ..., s3_uri: s3://...}}` (where Bedrock reads and writes)"
    }


class ResponsesJobEvaluation(JobEvaluation):
    """mode bedrock-job with `responses:` (bring your own inference): Bedrock scores answers already made."""

    responses: str = Field(
        description="bedrock-job, bring your own inference: a JSONL or CSV file of responses already made "
        "(`prompt` as in the dataset, `response`, and `model`: a name of this section's `models`, optional with "
        "one model), relative to the suite file; a direct run's results.jsonl works as it is. Bedrock scores them "
        "instead of calling models; `models` then name the response sources.",
    )


def _mode_tag(value: Any) -> str:
    """The union member for a section: by `mode` (absent: direct; unknown: direct, whose rule names every mode)."""
    mode = value.get("mode", "direct") if isinstance(value, dict) else getattr(value, "mode", "direct")
    if mode == "bedrock-job":
        return "responses-mode" if "responses" in _keys(value) else "job-mode"
    return "batch-mode" if mode in ("batch", "auto") else "direct-mode"


EvaluationEntry = Annotated[
    Annotated[DirectEvaluation, Tag("direct-mode")]
    | Annotated[BatchEvaluation, Tag("batch-mode")]
    | Annotated[JobEvaluation, Tag("job-mode")]
    | Annotated[ResponsesJobEvaluation, Tag("responses-mode")],
    Discriminator(_mode_tag),
]
EVALUATION_TAGS = {  # union tags: distinct from every key, as they are dropped from error locations
    "direct-mode": DirectEvaluation,
    "batch-mode": BatchEvaluation,
    "job-mode": JobEvaluation,
    "responses-mode": ResponsesJobEvaluation,
}


_MODE_TYPES: dict[str, tuple[type[Evaluation], ...]] = {
    "direct": (DirectEvaluation,),
    "bedrock-job": (JobEvaluation, ResponsesJobEvaluation),
    "batch": (BatchEvaluation,),
    "auto": (BatchEvaluation,),
}


def modes_with(key: str) -> list[str]:
    """The evaluation modes whose sections take `key` (to say so when a section of another mode has it)."""
    return [mode for mode, types in _MODE_TYPES.items() if any(key in t.model_fields for t in types)]


class GuardrailRef(Strict):
    id: str = Field(min_length=1, description="Guardrail id or ARN.")
    version: str = Field("DRAFT", pattern=r"^(DRAFT|[1-9][0-9]{0,7})$")


class Probe(Strict):
    """A prompt the guardrail must block, allow or anonymize; optionally the policy that must fire."""

    text: str = Field(min_length=1)
    expect: Literal["blocked", "allowed", "anonymized"]
    source: Literal["INPUT", "OUTPUT"] = "INPUT"
    policy: str | None = Field(
        None,
        pattern=r"^(topic|content|word|managed_word|pii|regex|grounding|relevance)(\.\S.*)?$",
        description="The policy that must fire: a kind (topic, content, word, managed_word, pii, regex, grounding, "
        "relevance) or a kind and a name, e.g. content.VIOLENCE, topic.Investment advice, pii.EMAIL, "
        "regex.account_id, word.competitorco, managed_word.PROFANITY",
    )
    min_confidence: Literal["LOW", "MEDIUM", "HIGH"] | None = Field(
        None, description="With a content policy: the filter must fire at this confidence or higher."
    )
    grounding_source: str | None = Field(None, description="Contextual grounding: the text the answer must rest on.")
    query: str | None = Field(None, description="Contextual grounding: the question the answer must be relevant to.")
    tags: list[str] = Field(default_factory=list)
    id: str | None = None

    @model_validator(mode="after")
    def _grounding(self) -> Probe:
        if (self.grounding_source is not None or self.query is not None) and self.source != "OUTPUT":
            raise PydanticCustomError(
                "probe",
                "contextual grounding checks model answers: a probe with `grounding_source` or `query` "
                "needs `source: OUTPUT`",
            )
        if self.policy is not None and self.expect == "allowed":
            raise PydanticCustomError(
                "probe", "`policy` names what must block or anonymize: a probe expected to be allowed has none"
            )
        if self.policy in ("grounding", "relevance") and self.grounding_source is None:
            raise PydanticCustomError(
                "probe", "policy {p} needs `grounding_source` (and `query` for relevance)", {"p": self.policy}
            )
        return self


class ProbeFile(Strict):
    file: str = Field(min_length=1, description="JSONL or CSV of probes, relative to the suite file.")


MutationKind = Literal[
    "case",
    "spacing",
    "punctuation",
    "leetspeak",
    "homoglyph",
    "base64",
    "roleplay",
    "ignore_previous",
]


class Mutations(Strict):
    """Seeded variations of must-block probes, to see how easily the guardrail is bypassed."""

    kinds: list[MutationKind] = Field(min_length=1)
    seed: int = 0


ProbeEntry = Annotated[
    Annotated[Probe, Tag("probe")] | Annotated[ProbeFile, Tag("probe-file")],
    Discriminator(lambda v: "probe-file" if isinstance(v, dict | ProbeFile) and "file" in _keys(v) else "probe"),
]


def _keys(value: Any) -> set[str]:
    return set(value) if isinstance(value, dict) else set(type(value).model_fields)


class GuardrailSection(Strict):
    name: Name
    guardrail: GuardrailRef
    via: Literal["apply", "converse", "invoke"] = "apply"
    model: str | None = Field(None, description="The model to go through for via converse|invoke.")
    probes: list[ProbeEntry] = Field(min_length=1)
    mutations: Mutations | None = None
    thresholds: Thresholds = Field(default_factory=dict)
    concurrency: int | None = Field(None, ge=1, le=1024)

    def rate_names(self) -> list[str]:
        """The guardrail rates a threshold of this section may name: block_rate.<kind> for each mutation."""
        kinds = self.mutations.kinds if self.mutations else []
        return [*metric_names.GUARDRAIL_AGGREGATES, *(f"block_rate.{k}" for k in kinds)]

    @model_validator(mode="after")
    def _model_for_via(self) -> GuardrailSection:
        if self.via != "apply" and self.model is None:
            raise PydanticCustomError(
                "via", "via {via} sends the probes through a model: add `model:`", {"via": self.via}
            )
        return self


class Evaluator(Strict):
    """The model that plays the user and judges; agenteval's aliases (claude-3, claude-3_5, ...) work too."""

    model: str = Field(min_length=1)
    region: str | None = None
    endpoint_url: str | None = None
    max_retry: int = Field(10, ge=0, le=50)


class ToolCallExpectation(Strict):
    action_group: str | None = None
    function: str | None = None
    parameters: dict[str, Any] | None = None
    must: bool = True

    @model_validator(mode="after")
    def _something(self) -> ToolCallExpectation:
        if self.action_group is None and self.function is None:
            raise PydanticCustomError("tool_call", "name the `action_group` or the `function` (or both)")
        return self


# What a tool's result takes: the deterministic checks that need no reference answer (the schema lists only them).
_REFERENCE_FREE = tuple(n for n in check_specs.WITHOUT_ARGUMENT if not check_specs.CHECKS[n].needs_reference)
ToolCheckEntry = Annotated[
    Metric,
    BeforeValidator(parse_metric, json_schema_input_type=Literal[_REFERENCE_FREE] | CheckMapping),
]


class McpToolTest(Strict):
    """One call of a tool of an MCP server (an `agentcore-mcp` target): `tools/call` with `name` and `arguments`,
    its result checked. The checks read the text of the result's `content`; `expected` maps a JSONPath into the
    result (e.g. `$.structuredContent.total`, `$.content[0].text`) to the value it must equal."""

    name: str = Field(min_length=1, description="The tool's name (MCP `tools/call` params.name).")
    arguments: dict[str, Any] = Field(default_factory=dict, description="The tool's arguments, as JSON.")
    expect_error: bool = Field(
        False, description="The call must end in an error: a JSON-RPC error or a result with isError true."
    )
    checks: list[ToolCheckEntry] = Field(
        default_factory=list, description="Deterministic checks (contains, regex, json_schema...) on the result text."
    )
    expected: dict[str, Any] = Field(default_factory=dict, description="JSONPath into the result -> the value there.")

    @field_validator("checks")
    @classmethod
    def _deterministic_checks(cls, checks: list[Any]) -> list[Any]:
        for metric in checks:
            if not isinstance(metric, CheckMetric):
                raise PydanticCustomError("tool_check", "a tool's result takes deterministic checks only")
            spec = check_specs.CHECKS[metric.check]
            if spec.needs_reference:
                raise PydanticCustomError(
                    "tool_check", "`{c}` compares with a reference answer, which a tool test has not", {"c": spec.name}
                )
            if spec.reads_model_call:
                raise PydanticCustomError(
                    "tool_check", "`{c}` bounds a model call's measures, which a tool call has not", {"c": spec.name}
                )
            problem = spec.argument_problem(metric.arg)
            if problem:
                raise PydanticCustomError("tool_check", "{p}", {"p": problem})
        return checks


class AgentTest(Strict):
    """A conversation (`steps` and `expected_results`; the section's `evaluator` plays the user), a `tool:` call
    (agentcore-mcp targets), or in mode agentcore-batch a scenario of the dataset named by the test's key
    (`steps` and `expected_results` then optional, documentation only)."""

    steps: list[str] = Field(
        default_factory=list, description="What the evaluator asks, in order (a conversation test; required there)."
    )
    expected_results: list[str] = Field(
        default_factory=list, description="What the agent must have done (a conversation test; required there)."
    )
    initial_prompt: str | None = None
    max_turns: int = Field(2, ge=1, le=50)
    hook: str | None = None
    expected_tool_calls: list[ToolCallExpectation] = Field(default_factory=list)
    expected_citations: list[str] = Field(default_factory=list)
    return_control: dict[str, str] = Field(
        default_factory=dict, description="Answers to returnControl, by function or API path."
    )
    repeats: int | None = Field(None, ge=1, le=100)
    timeout_seconds: float | None = Field(None, gt=0)
    tool: McpToolTest | None = Field(
        None, description="A tool test (agentcore-mcp targets): call this tool and check its result, no conversation."
    )

    @model_validator(mode="after")
    def _conversation_or_tool(self) -> AgentTest:
        if self.tool is not None and (self.steps or self.expected_results or self.initial_prompt):
            raise PydanticCustomError(
                "agent_test",
                "a `tool:` test calls one tool: it takes no `steps`, `expected_results` or `initial_prompt`",
            )
        return self


class Target(BaseModel):
    """What the evaluator talks to. `type` picks the kind; the other keys depend on it (see README)."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(min_length=1)


# botocore's bedrock-agentcore model, shape EvaluatorId: a built-in, third-party or custom evaluator.
AgentCoreEvaluatorId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=111,
        pattern=r"^(Builtin\.[a-zA-Z0-9._-]+|ThirdParty\.[a-zA-Z0-9_-]+\.[a-zA-Z0-9_-]+|[a-zA-Z][a-zA-Z0-9-_]{0,99}-[a-zA-Z0-9]{10})$",
    ),
]


class AgentCoreBatchEvaluation(Strict):
    """mode agentcore-batch: AgentCore runs the dataset's scenarios against the runtime and scores the sessions
    (bedrock-agentcore StartBatchEvaluation with `datasetExecutionConfig`; botocore's model, 2024-02-28). Each test
    of the section names one scenario of the dataset (its key is the scenario id)."""

    mode: Literal["agentcore-batch"] = Field(description="agentcore-batch: a managed AgentCore batch evaluation.")
    # botocore's bedrock-agentcore model: DatasetId, DatasetVersion, OptionalLogGroupName.
    dataset_id: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,110}$", description="The AgentCore dataset's id.")
    dataset_version: str | None = Field(None, pattern=r"^(DRAFT|[0-9]{1,19})$", description="Default: the latest.")
    log_group: str | None = Field(
        None,
        pattern=r"^[.\-_/#A-Za-z0-9]+$",
        description="The CloudWatch Logs group the per-session results go to (outputConfig); default AgentCore's.",
    )
    request_template: str | None = Field(
        None, max_length=10240, description="How a scenario becomes the runtime's payload (requestTemplate)."
    )
    poll_seconds: float = Field(15.0, gt=0, le=600)
    timeout_minutes: float = Field(180.0, gt=0, le=7 * 24 * 60)


class AgentSection(Strict):
    name: Name
    plan: str | None = Field(None, description="An agenteval plan (agenteval.yml), run as it is.")
    evaluator: Evaluator | None = Field(
        None,
        description="The model playing the user in conversation tests; a section of only `tool:` tests, or in mode "
        "agentcore-batch, needs none.",
    )
    target: Target | None = None
    tests: dict[str, AgentTest] = Field(default_factory=dict)
    thresholds: Thresholds = Field(default_factory=dict)
    concurrency: int | None = Field(None, ge=1, le=1024)
    agentcore_evaluators: list[AgentCoreEvaluatorId] = Field(
        default_factory=list,
        description="AgentCore Evaluations evaluators (e.g. Builtin.Helpfulness) scoring each test's runtime session "
        "(agentcore-runtime targets).",
    )
    evaluation: AgentCoreBatchEvaluation | None = Field(
        None, description="mode agentcore-batch: AgentCore runs and scores the tests' scenarios (no evaluator needed)."
    )

    @model_validator(mode="after")
    def _plan_or_native(self) -> AgentSection:
        native = self.evaluator is not None or self.target is not None or bool(self.tests or self.agentcore_evaluators)
        native = native or self.evaluation is not None
        if self.plan is not None and native:
            raise PydanticCustomError(
                "agents", "give either `plan:` (an agenteval plan) or `evaluator`/`target`/`tests`, not both"
            )
        if self.plan is None:
            # Which tests need the evaluator is the loader's check, at the test (a `tool:` test needs none).
            needed = ("evaluator", "target") if self.evaluation is None and not self.tests else ("target",)
            missing = [k for k in needed if getattr(self, k) is None]
            if self.evaluation is not None and not self.agentcore_evaluators:
                missing.append("agentcore_evaluators")
            if not self.tests:
                missing.append("tests")
            if missing:
                raise PydanticCustomError(
                    "agents",
                    "missing {keys} (or point `plan:` at an agenteval plan)",
                    {"keys": ", ".join(missing)},
                )
        return self


class RetrievalMetric(Strict):
    """A deterministic retrieval metric of a knowledge-base section (metrics/retrieval.py)."""

    name: Literal[metric_names.RETRIEVAL]  # type: ignore[valid-type]


def parse_knowledge_base_metric(value: Any) -> Any:
    """A knowledge-base section's metric: a retrieval metric, a judge metric or a check on the answer."""
    if isinstance(value, str) and value in metric_names.RETRIEVAL:
        return RetrievalMetric(name=value)
    if isinstance(value, RetrievalMetric):
        return value
    return parse_metric(value)


KnowledgeBaseMetricName = Literal[  # type: ignore[valid-type]
    metric_names.RETRIEVAL + bedrock_metrics.KNOWLEDGE_BASE_JUDGE + check_specs.WITHOUT_ARGUMENT
]
KnowledgeBaseMetricEntry = Annotated[
    RetrievalMetric | Metric,
    BeforeValidator(
        parse_knowledge_base_metric,
        json_schema_input_type=KnowledgeBaseMetricName | CheckMapping | CustomJudgeMetric,
    ),
]


class KnowledgeBaseTarget(Strict):
    """One knowledge base (or one retrieval setting of it) under test. Sent as botocore's bedrock-agent-runtime
    `KnowledgeBaseRetrievalConfiguration.vectorSearchConfiguration` (numberOfResults 1-100, overrideSearchType,
    filter: a `RetrievalFilter` as Bedrock takes it)."""

    knowledge_base_id: str = Field(
        pattern=r"^[0-9a-zA-Z]{10}$",
        description="The knowledge base id (10 letters or digits: Retrieve takes 10-2048 characters, "
        "RetrieveAndGenerate at most 10).",
    )
    number_of_results: int = Field(5, ge=1, le=100, description="How many passages to retrieve (Bedrock's default 5).")
    search_type: Literal["HYBRID", "SEMANTIC"] | None = Field(None, description="overrideSearchType.")
    filter: dict[str, Any] | None = Field(
        None, description="A metadata filter in Bedrock's RetrievalFilter shape, e.g. {equals: {key: k, value: v}}."
    )


class PrecomputedRagTarget(Strict):
    """Bring your own RAG (mode bedrock-job only): a system of yours whose passages, and answer for
    retrieve-and-generate, each dataset record carries; sent as botocore's bedrock `EvaluationPrecomputedRagSourceConfig`
    (`ragSourceIdentifier`: `[a-zA-Z0-9]([a-zA-Z0-9._-]){0,255}`)."""

    rag_source_id: str = Field(
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,255}$",
        description="The ragSourceIdentifier: a label of your RAG system (the records' knowledgeBaseIdentifier).",
    )
    response_field: str = Field(
        "response", min_length=1, description="retrieve-and-generate: the record field with your system's answer."
    )
    passages_field: str = Field(
        "retrievedPassages", min_length=1, description="The record field with the passages retrieved (a list of texts)."
    )


class KnowledgeBaseSection(Strict):
    """Knowledge bases (RAG) compared side by side on one dataset: what both modes share. A section is one of the
    mode types below (`KnowledgeBaseEntry` picks it by `mode`)."""

    name: Name
    dataset: str = Field(
        min_length=1,
        description="JSONL or CSV: `prompt`, optional `referenceResponse`, `expectedSources` (URIs) and/or "
        "`expectedPassages` (texts) for the retrieval metrics, `category`, `id`.",
    )
    operation: Literal["retrieve", "retrieve-and-generate"] = Field(
        "retrieve-and-generate", description="retrieve: passages only; retrieve-and-generate: an answer with citations."
    )
    targets: dict[str, KnowledgeBaseTarget | PrecomputedRagTarget] = Field(
        min_length=1, description="Named knowledge bases or retrieval settings, compared like models."
    )
    model: str | None = Field(None, description="retrieve-and-generate: the generating model (name or id).")
    prompt_template: str | None = Field(
        None,
        min_length=1,
        max_length=4000,
        description="retrieve-and-generate: Bedrock's textPromptTemplate ($search_results$, $query$...).",
    )
    inference: Inference | None = Field(None, description="retrieve-and-generate: textInferenceConfig.")
    guardrail: GuardrailRef | None = Field(None, description="retrieve-and-generate: guardrailConfiguration.")
    metrics: list[KnowledgeBaseMetricEntry] = Field(default_factory=list)
    thresholds: Thresholds = Field(default_factory=dict)
    judge: str | None = None
    repeats: int | None = Field(None, ge=1, le=100)
    min_passes: int | None = _min_passes()
    concurrency: int | None = Field(None, ge=1, le=1024)

    def knowledge_base_targets(self) -> dict[str, KnowledgeBaseTarget]:
        """The targets that are Bedrock knowledge bases (not bring-your-own RAG sources)."""
        return {k: t for k, t in self.targets.items() if isinstance(t, KnowledgeBaseTarget)}

    @model_validator(mode="after")
    def _generation(self) -> KnowledgeBaseSection:
        if self.operation == "retrieve-and-generate" and self.model is None and self.knowledge_base_targets():
            raise PydanticCustomError(
                "model", "operation retrieve-and-generate needs `model:` (the model that writes the answer)"
            )
        if self.operation == "retrieve":
            given = [k for k in ("model", "prompt_template", "inference", "guardrail") if getattr(self, k) is not None]
            if given:
                raise PydanticCustomError(
                    "operation",
                    "`{k}` is for operation retrieve-and-generate (operation retrieve generates nothing)",
                    {"k": given[0]},
                )
        return self


class DirectKnowledgeBaseSection(KnowledgeBaseSection):
    """mode direct (the default): Retrieve / RetrieveAndGenerate calls now, scored here."""

    mode: Literal["direct"] = Field("direct", description="direct: Retrieve / RetrieveAndGenerate calls now.")
    targets: dict[str, KnowledgeBaseTarget] = Field(  # type: ignore[assignment]  # narrowed: no own RAG sources
        min_length=1, description="Named knowledge bases or retrieval settings, compared like models."
    )


class JobKnowledgeBaseSection(KnowledgeBaseSection):
    """mode bedrock-job: Bedrock RAG evaluation jobs (`applicationType: RagEvaluation`), one per target and per
    1,000 prompts; Bedrock retrieves (and generates) and its judge scores Bedrock's RAG metrics."""

    mode: Literal["bedrock-job"] = Field(description="bedrock-job: Bedrock RAG evaluation jobs.")
    job: JobSettings
    targets: dict[str, KnowledgeBaseTarget | PrecomputedRagTarget] = Field(
        min_length=1,
        description="Named knowledge bases (`knowledge_base_id`) or your own RAG systems whose outputs the dataset "
        "carries (`rag_source_id`), compared like models.",
    )

    missing_hints: ClassVar[dict[str, str]] = {
        "job": "mode {mode} needs `job: {{role_arn: ..., s3_uri: s3://...}}` (where Bedrock reads and writes)"
    }


KnowledgeBaseEntry = Annotated[
    Annotated[DirectKnowledgeBaseSection, Tag("kb-direct-mode")]
    | Annotated[JobKnowledgeBaseSection, Tag("kb-job-mode")],
    Discriminator(
        lambda v: (
            "kb-job-mode"
            if (v.get("mode") if isinstance(v, dict) else getattr(v, "mode", None)) == "bedrock-job"
            else "kb-direct-mode"
        )
    ),
]


ModelEntry = Annotated[
    Annotated[str, Tag("model-id")] | Annotated[ModelSpec, Tag("model-spec")],
    Discriminator(lambda v: "model-id" if isinstance(v, str) else "model-spec"),
]

# Tags of the unions above: they appear in pydantic's error locations and are dropped from what users see.
UNION_TAGS = frozenset(
    {"probe", "probe-file", "model-id", "model-spec", "kb-direct-mode", "kb-job-mode", *EVALUATION_TAGS}
)


SectionT = TypeVar("SectionT", bound=BaseModel)


class Suite(Strict):
    """An evalcore suite: models, datasets, metrics, thresholds."""

    model_config = ConfigDict(
        extra="forbid",
        title="evalcore suite",
        json_schema_extra={"$id": "https://evalcore.dev/suite.schema.json"},
    )

    version: Literal[1] = 1
    name: Name
    aws: AwsSettings = Field(default_factory=AwsSettings)
    defaults: Defaults = Field(default_factory=Defaults)
    models: dict[str, ModelEntry] = Field(default_factory=dict)
    evaluations: list[EvaluationEntry] = Field(default_factory=list)
    guardrails: list[GuardrailSection] = Field(default_factory=list)
    agents: list[AgentSection] = Field(default_factory=list)
    knowledge_bases: list[KnowledgeBaseEntry] = Field(default_factory=list)
    quarantine: list[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]] = Field(
        default_factory=list,
        description="Case ids (16 hex digits, as results.jsonl and the reports name them) that are run and reported, "
        "marked quarantined, but never gate the verdict.",
    )

    @field_validator("models")
    @classmethod
    def _model_names(cls, value: dict[str, str | ModelSpec]) -> dict[str, str | ModelSpec]:
        for name in value:
            if not re.match(NAME_PATTERN, name):
                raise PydanticCustomError(
                    "model_name", "model name '{n}' must be letters, digits, `_`, `.` or `-`", {"n": name}
                )
        return value

    @model_validator(mode="after")
    def _min_passes(self) -> Suite:
        for section in [*self.evaluations, *self.knowledge_bases]:
            k = section.repeats or self.defaults.repeats
            if section.min_passes is not None and section.min_passes > k:
                raise PydanticCustomError(
                    "min_passes",
                    "section '{s}': min_passes {m} is more than its {k} repeats (set repeats: to at least {m})",
                    {"s": section.name, "m": section.min_passes, "k": k},
                )
        return self

    def model_spec(self, name: str) -> ModelSpec:
        """The spec of a named model, or of a raw model id used directly."""
        spec = self.models.get(name, name)
        return ModelSpec(id=spec) if isinstance(spec, str) else spec

    def sections(self) -> list[Evaluation | GuardrailSection | AgentSection | KnowledgeBaseSection]:
        return [*self.evaluations, *self.guardrails, *self.agents, *self.knowledge_bases]

    def section(self, name: str, kind: type[SectionT]) -> SectionT:
        """The section named `name`, which must be a `kind` (a runner's own section); LookupError otherwise."""
        for section in self.sections():
            if section.name == name and isinstance(section, kind):
                return section
        raise LookupError(f"the suite has no {kind.__name__} section named '{name}'")
