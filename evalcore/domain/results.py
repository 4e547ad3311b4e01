"""The results format: `results.jsonl` (one CaseResult a line, appended as cases finish) and `results.json`
(the RunResult: run metadata, aggregates, verdict). Readers and writers for both live here and nowhere else.

`SCHEMA_VERSION` changes when a field changes meaning or goes away; added fields do not change it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import threading
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from evalcore.domain import stats
from evalcore.domain.item_figures import ItemFigures, ItemTries
from evalcore.domain.plan import PlannedIds
from evalcore.text.secrets import Secrets, redact_credentials

SCHEMA_VERSION = 1
CASES_FILE = "results.jsonl"
RUN_FILE = "results.json"

Status = Literal["pass", "fail", "error", "skipped"]
Kind = Literal["evaluation", "guardrail", "agent", "knowledge_base"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MetricScore(_Model):
    """One metric on one case. `value` is on 0-1 (None: the metric did not apply; never averaged as 0)."""

    name: str
    value: float | None = None
    passed: bool | None = None  # for checks and thresholds per case
    explanation: str | None = None
    error: str | None = None  # the metric could not be computed (e.g. an unreadable judge verdict)


class Usage(_Model):
    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
        )


class PolicyHit(_Model):
    """A guardrail policy that fired: `policy` as the suite names it (content.VIOLENCE, pii.EMAIL, topic.X...)."""

    policy: str
    action: str
    confidence: str | None = None
    match: str | None = None
    score: float | None = None


class GuardrailOutcome(_Model):
    expected: Literal["blocked", "allowed", "anonymized"]
    observed: Literal["blocked", "allowed", "anonymized"]
    expected_policy: str | None = None
    policy_fired: bool | None = None  # whether expected_policy fired (None: no policy expected, or older results)
    hits: list[PolicyHit] = Field(default_factory=list)
    mutation: str | None = None  # the robustness mutation applied to the probe, if any
    source: Literal["INPUT", "OUTPUT"] = "INPUT"
    units: int = 0  # guardrail usage units consumed
    tags: list[str] = Field(default_factory=list)


class ToolCall(_Model):
    action_group: str | None = None
    function: str | None = None
    parameters: dict[str, str] = Field(default_factory=dict)


class Turn(_Model):
    user: str
    agent: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list)
    guardrail_action: str | None = None
    latency_ms: float | None = None


class AgentOutcome(_Model):
    test: str
    turns: list[Turn] = Field(default_factory=list)
    steps_attempted: bool | None = None
    reasoning: str | None = None
    evaluator_model: str | None = None
    target_usage: Usage = Field(default_factory=Usage)


class Passage(_Model):
    """A passage a knowledge base retrieved (or an answer cited): its text, where it comes from, its score."""

    text: str
    location: str | None = None  # the source URI (s3, web, confluence... location), as Bedrock gives it
    score: float | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class CitedPart(_Model):
    """A part of a generated answer and the passages it cites (`span`: its characters in the answer, inclusive)."""

    text: str
    start: int | None = None
    end: int | None = None
    references: list[Passage] = Field(default_factory=list)


class KnowledgeBaseOutcome(_Model):
    knowledge_base_id: str
    operation: Literal["retrieve", "retrieve-and-generate"]
    passages: list[Passage] = Field(default_factory=list)  # retrieved, best first (Retrieve)
    citations: list[CitedPart] = Field(default_factory=list)  # RetrieveAndGenerate
    guardrail_action: str | None = None


class EarlierAttempt(_Model):
    """An outcome a case had before `--rerun` ran it again into the same directory (oldest first)."""

    status: Status
    reason: str | None = None
    finished_at: float | None = None


class CaseResult(_Model):
    case_id: str
    section: str
    kind: Kind
    model: str | None = None  # the model's name in the suite
    model_id: str | None = None
    repeat: int = 0
    item_key: str
    status: Status
    reason: str | None = None  # why it failed, errored or was skipped
    source: str | None = None  # "file:line" of the dataset record, probe or test
    prompt: str | None = None
    system: str | None = None
    reference: str | None = None
    category: str | None = None
    cluster: str | None = None  # the item's group for cluster-robust intervals (the section's `cluster_by` field)
    output: str | None = None
    stop_reason: str | None = None
    metrics: list[MetricScore] = Field(default_factory=list)
    latency_ms: float | None = None
    usage: Usage = Field(default_factory=Usage)  # the model (or target) under test
    judge_usage: Usage = Field(default_factory=Usage)  # judges and evaluators
    cost_usd: float | None = None
    judge_cost_usd: float | None = None
    cached: bool = False
    attempts: int = 0
    finished_at: float | None = None
    guardrail: GuardrailOutcome | None = None
    agent: AgentOutcome | None = None
    knowledge_base: KnowledgeBaseOutcome | None = None
    fingerprint: str | None = None  # the case's inputs when it ran (plan.Case.fingerprint): resume re-runs on change
    earlier_attempts: list[EarlierAttempt] = Field(default_factory=list)  # `--rerun` into the same directory

    def score(self, name: str) -> float | None:
        for m in self.metrics:
            if m.name == name:
                return m.value
        return None


# ---- the run -------------------------------------------------------------------------------------------------


class Aggregate(_Model):
    """The mean over items of a per-item value (repeats averaged first) with its 95% interval: `n` items, the
    interval's `method` (stats.item_interval) and, when clustered, its number of `groups`."""

    n: int
    mean: float | None = None
    stderr: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    level: float | None = None  # 0.95; None in results written before evalcore labelled its intervals
    method: str | None = None
    groups: int | None = None

    @classmethod
    def of(
        cls, values: Sequence[float], clusters: Sequence[str] | None = None, weights: Sequence[float] | None = None
    ) -> Aggregate:
        i = stats.item_interval(values, clusters, weights)
        return cls(
            n=i.n,
            mean=i.mean,
            stderr=i.stderr,
            ci_low=i.low,
            ci_high=i.high,
            level=stats.LEVEL,
            method=i.method,
            groups=i.groups,
        )

    def label(self) -> str:
        """`95% wilson, n=30 items` (with `, 10 groups` when clustered); empty for an unlabelled interval."""
        if self.method is None or self.level is None:
            return ""
        groups = f", {self.groups} groups" if self.groups else ""
        return f"{self.level:.0%} {self.method}, n={self.n} items{groups}"


class Counts(_Model):
    passed: int = Field(0, alias="pass")
    failed: int = Field(0, alias="fail")
    error: int = 0
    skipped: int = 0
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.error + self.skipped


class FlakyItem(_Model):
    """An item whose tries disagree: some passed, some failed (an error is not an outcome of the item's own)."""

    item_key: str
    source: str | None = None  # the dataset record's "file:line"
    passes: int
    tries: int
    case_ids: list[str] = Field(default_factory=list)  # every try's case id: what `quarantine:` takes


class ModelSummary(_Model):
    model: str | None
    model_id: str | None = None
    counts: Counts = Field(default_factory=Counts)
    pass_rate: float | None = None  # pass / (pass + fail + error): errors count against
    pass_rate_ci: tuple[float | None, float | None] = (None, None)  # = pass_rate_interval's bounds
    # The pass rate's interval over items: each item's share of passed tries (repeats are not independent cases).
    pass_rate_interval: Aggregate | None = None
    error_rate: float | None = None
    metrics: dict[str, Aggregate] = Field(default_factory=dict)
    # The same metric aggregates per dataset `category` (cases without one are left out).
    categories: dict[str, dict[str, Aggregate]] = Field(default_factory=dict)
    rates: dict[str, float | None] = Field(default_factory=dict)  # section-kind rates (block_rate, pass_hat_k...)
    rate_intervals: dict[str, Aggregate] = Field(default_factory=dict)  # pass_at_k, pass_hat_k over items
    # Items with fewer tries than the section's k (a repeat has no result): left out of pass@k and pass^k.
    short_items: list[str] = Field(default_factory=list)
    latency_ms: dict[str, float | None] = Field(default_factory=dict)  # mean, p50, p90, p95, p99, max
    usage: Usage = Field(default_factory=Usage)
    judge_usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    judge_cost_usd: float | None = None
    cached: int = 0
    guardrail_units: int | None = None  # guardrail text units processed by the calls made (not cached ones)
    # With `min_passes: m`, an item passes when m of its k tries pass, and pass_rate is the share of items that do.
    min_passes: int | None = None
    flaky: list[FlakyItem] = Field(default_factory=list)
    quarantined: list[str] = Field(default_factory=list)  # case ids run and reported but left out of every figure


class SectionSummary(_Model):
    name: str
    kind: Kind
    status: Literal["ran", "partial", "not_run"] = "ran"
    reason: str | None = None  # why a section did not run (or not completely)
    planned: int = 0
    models: list[ModelSummary] = Field(default_factory=list)
    # From the suite, for the baseline comparison (compare.py): metrics tested first, the group field clustered by.
    primary_metrics: list[str] = Field(default_factory=list)
    cluster_by: str | None = None


class ConcurrencyLevel(_Model):
    """The run's adaptive concurrency (model calls in flight at most): where it started, its ceiling, the highest
    level it reached, where it ended, the lowest level throttling cut it to and how many times it did."""

    start: int
    ceiling: int
    reached: int
    final: int
    lowest: int | None = None  # None: written by an older evalcore
    cuts: int = 0


class Rerun(_Model):
    """The run ran again the `which` cases (failed, errored or both) of the run in `of`: into that same directory
    (`in_place`: the verdict is over all its cases, the rerun ones with their newest outcome) or into a fresh one
    (only those cases are in it)."""

    of: str
    of_run_id: str
    which: Literal["failed", "errored", "both"]
    cases: int
    in_place: bool

    def what(self) -> str:
        return "failed or errored" if self.which == "both" else self.which

    def describe(self) -> str:
        """`3 errored cases`, `1 failed or errored case`."""
        return f"{self.cases} {self.what()} case{'' if self.cases == 1 else 's'}"


class RunMeta(_Model):
    suite: str
    suite_path: str | None = None
    suite_hash: str | None = None
    run_id: str
    tool_version: str
    started_at: float
    finished_at: float | None = None
    git_sha: str | None = None
    git_ref: str | None = None
    shard: str | None = None  # "i/n" when the run is one shard of a larger one
    sections: list[str] | None = None  # the selection the run was made with (None: all)
    models: list[str] | None = None
    cache_entries_dropped: int = 0  # bad response cache entries found, removed and asked again (cache.py)
    concurrency: ConcurrencyLevel | None = None  # None: a merge of shards, or written by an older evalcore
    max_cost_usd: float | None = None  # the run's cost budget (--max-cost-usd, defaults.max_cost_usd); None: none
    cost_usd: float | None = None  # what the run's model and judge calls cost, as the budget counted it
    cut_by_budget: int = 0  # cases the budget left not run
    cost_not_counted: list[str] = Field(default_factory=list)  # "section: calls" a budget cannot count (accepted)
    rerun: Rerun | None = None  # `--rerun`: which cases of which earlier run this run ran again


class Breach(_Model):
    section: str
    model: str | None
    metric: str
    bound: Literal["min", "max"]
    threshold: float
    value: float | None
    line: int | None = None  # where the threshold stands in the suite file

    @property
    def op(self) -> str:
        return ">=" if self.bound == "min" else "<="

    def describe(self) -> str:
        shown = "no value" if self.value is None else f"{self.value:.4g}"
        who = f" ({self.model})" if self.model else ""
        return f"{self.section}{who}: {self.metric} {self.op} {self.threshold:g}: got {shown}"


class ThresholdCheck(_Model):
    section: str
    model: str | None
    metric: str
    bound: Literal["min", "max"]
    threshold: float
    value: float | None
    passed: bool
    line: int | None = None
    # Where its bound came from: a default (error_rate <= 0; pass_rate >= 1 where the suite sets no thresholds),
    # the suite file or a command-line override; None in results written before evalcore recorded it.
    origin: Literal["default", "suite", "override"] | None = None
    on: Literal["value", "ci_low", "ci_high"] = "value"  # `value` held the estimate or this end of its interval
    interval: Aggregate | None = None  # the aggregate's labelled 95% interval, where it has one


class Verdict(_Model):
    status: Literal["passed", "failed", "error"]
    exit_code: int
    checks: list[ThresholdCheck] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)  # one line each: breaches, errors, sections not run


class RunResult(_Model):
    schema_version: int = SCHEMA_VERSION
    run: RunMeta
    sections: list[SectionSummary] = Field(default_factory=list)
    verdict: Verdict | None = None

    def section(self, name: str) -> SectionSummary | None:
        return next((s for s in self.sections if s.name == name), None)


# ---- files -----------------------------------------------------------------------------------------------------


class CaseWriter:
    """Appends CaseResults to results.jsonl, one line each, written at once: a cancelled run keeps what finished.

    Each line goes out in one write(2) on a file opened with O_APPEND, which appends it whole: concurrent workers
    need no lock (a lock held across the system call made them queue behind each other)."""

    def __init__(self, path: Path, on_failure: Callable[[OSError], None] | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        drop_fragment(path)
        self.path = path
        self._secrets = Secrets.from_env(os.environ)  # a model or agent may repeat a credential it was shown
        self._lock = threading.Lock()
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.failure: OSError | None = None  # the write that failed (a full disk): nothing is written after it
        self._on_failure = on_failure

    def write(self, result: CaseResult) -> None:
        line = redacted(result, self._secrets).model_dump_json(exclude_defaults=True, by_alias=True)
        data = (line + "\n").encode()
        fd = self._fd
        if fd is None:
            raise ValueError(f"{self.path}: the results file is closed")
        if self.failure is not None:
            return  # the run is stopping: a line after a failed one could land after its torn fragment
        view = memoryview(data)
        try:
            while view:  # one write unless the disk is full (then the line may be torn, as any write would be)
                view = view[os.write(fd, view) :]
        except OSError as exc:
            self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        """A write failed (a full disk, an I/O error): write nothing more and tell the run, which stops. The torn
        line it may have left is cut on close, once no write is under way: cut now, it would free the space for a
        write in flight to tear another line."""
        with self._lock:
            if self.failure is not None:
                return
            self.failure = OSError(exc.errno, exc.strerror, str(self.path))
        if self._on_failure is not None:
            self._on_failure(self.failure)

    def close(self) -> None:
        """Close the file; after a failed write, first cut it back to its last whole line (readable, resumable)."""
        with self._lock:
            if self._fd is not None:
                try:
                    if self.failure is not None:
                        with contextlib.suppress(OSError):
                            os.ftruncate(self._fd, _whole_lines_size(self.path))
                    os.fsync(self._fd)
                finally:
                    os.close(self._fd)
                    self._fd = None

    def __enter__(self) -> CaseWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def drop_fragment(path: Path) -> None:
    """Cut a results file back to its last whole line. A last line without its newline is what a full disk or a
    killed writer leaves; readers skip it, but a line appended after it would be glued onto it and make the file
    unreadable from there on. Its case has no result, so a resume runs it again."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    whole = _whole_lines_size(path)
    if whole < size:
        os.truncate(path, whole)


_UNTRUSTED_TEXT = ("reason", "prompt", "system", "reference", "output")  # a CaseResult's own text fields


def redacted(result: CaseResult, secrets: Secrets) -> CaseResult:
    """`result` without credentials in its untrusted text: what a model, an agent, a judge, a dataset or an error
    said. Keys, ids, names, statuses and numbers are never touched, so a result means what it meant."""

    def clean(text: str | None) -> str | None:
        return None if text is None else redact_credentials(text, secrets)

    update: dict[str, object] = {name: clean(getattr(result, name)) for name in _UNTRUSTED_TEXT}
    update["metrics"] = [
        m.model_copy(update={"explanation": clean(m.explanation), "error": clean(m.error)}) for m in result.metrics
    ]
    if result.guardrail is not None:
        hits = [h.model_copy(update={"match": clean(h.match)}) for h in result.guardrail.hits]
        update["guardrail"] = result.guardrail.model_copy(update={"hits": hits})
    if result.agent is not None:
        turns = [
            turn.model_copy(
                update={
                    "user": clean(turn.user),
                    "agent": clean(turn.agent),
                    "tool_calls": [
                        call.model_copy(update={"parameters": {k: clean(v) for k, v in call.parameters.items()}})
                        for call in turn.tool_calls
                    ],
                }
            )
            for turn in result.agent.turns
        ]
        update["agent"] = result.agent.model_copy(update={"turns": turns, "reasoning": clean(result.agent.reasoning)})
    if result.knowledge_base is not None:  # a knowledge base's documents are text from outside too
        outcome = result.knowledge_base

        def passages(found: list[Passage]) -> list[Passage]:
            return [
                p.model_copy(update={"text": clean(p.text), "metadata": {k: clean(v) for k, v in p.metadata.items()}})
                for p in found
            ]

        citations = [
            part.model_copy(update={"text": clean(part.text), "references": passages(part.references)})
            for part in outcome.citations
        ]
        update["knowledge_base"] = outcome.model_copy(
            update={"passages": passages(outcome.passages), "citations": citations}
        )
    return result.model_copy(update=update)


def _whole_lines_size(path: Path) -> int:
    """The size of `path` up to the end of its last whole line (ending with a newline)."""
    with path.open("rb") as fh:
        end = fh.seek(0, os.SEEK_END)
        while end > 0:
            start = max(0, end - 65536)
            fh.seek(start)
            newline = fh.read(end - start).rfind(b"\n")
            if newline >= 0:
                return start + newline + 1
            end = start
    return 0


def read_cases(path: Path) -> Iterator[CaseResult]:
    """The CaseResults of a results.jsonl; a last line cut short by a cancelled run is ignored."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            if not line.endswith("\n"):
                return  # the partial last line of an interrupted write
            try:
                yield CaseResult.model_validate_json(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not a case result ({exc.__class__.__name__})") from None


def final_cases(
    path: Path, keep: Callable[[str], bool] | None = None, planned: PlannedIds | None = None
) -> Iterator[CaseResult]:
    """Each case's last result in a results.jsonl (a resumed run may have retried it), streamed: a first pass
    notes where each case's last result stands, the second yields those, so no run is ever held whole. With
    `planned`, only planned cases are read and each one's last line is noted by its place among the planned ids
    (8 bytes a case); without, by its place among the file's own ids when every id is one evalcore makes (16 hex
    digits: 24 bytes a line), else in a dict of case ids."""
    if planned is not None:
        yield from _final_planned(path, planned, keep)
        return
    in_order = array("Q")
    for case_id in _case_ids(path):
        value = _id_value(case_id)
        if value is None:
            break
        in_order.append(value)
    else:
        yield from _final_planned(path, PlannedIds(f"{value:016x}" for value in in_order), keep, in_order)
        return
    del in_order
    last: dict[str, int] = {}
    for number, case_id in enumerate(_case_ids(path)):
        last[case_id] = number
    wanted = {n for cid, n in last.items() if keep is None or keep(cid)}
    for number, case in enumerate(read_cases(path)):
        if number in wanted:
            yield case


def _final_planned(
    path: Path, planned: PlannedIds, keep: Callable[[str], bool] | None, in_order: array[int] | None = None
) -> Iterator[CaseResult]:
    """`in_order`: the file's ids, line by line, when already read."""
    last = array("q", [-1]) * len(planned)  # by planned position: the number of the case's last result line
    ids = (f"{value:016x}" for value in in_order) if in_order is not None else _case_ids(path)
    for number, case_id in enumerate(ids):
        at = planned.index(case_id)
        if at is not None and (keep is None or keep(case_id)):
            last[at] = number
    for number, case in enumerate(read_cases(path)):
        at = planned.index(case.case_id)
        if at is not None and last[at] == number:
            yield case


def _id_value(case_id: str) -> int | None:
    """A case id evalcore makes (16 lowercase hex digits) as its 64-bit value; None for any other string."""
    try:
        value = int(case_id, 16)
    except ValueError:
        return None
    return value if len(case_id) == 16 and f"{value:016x}" == case_id else None


@dataclass(frozen=True)
class ResultsFile:
    """The final result of each case of a results.jsonl (none when the file is missing), read afresh from the file
    every time it is iterated: for readers that go over a run more than once without holding it."""

    path: Path

    def __iter__(self) -> Iterator[CaseResult]:
        return final_cases(self.path) if self.path.exists() else iter(())


def _case_ids(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip() and line.endswith("\n"):
                try:
                    yield str(json.loads(line)["case_id"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{path}:{number}: not a case result ({exc.__class__.__name__})") from None


def write_run(path: Path, run: RunResult) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(run.model_dump_json(indent=2, by_alias=True), encoding="utf-8")
    tmp.replace(path)


def read_run(path: Path) -> RunResult:
    data = json.loads(path.read_text(encoding="utf-8"))
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(f"{path}: results schema_version {version} is not {SCHEMA_VERSION} (re-run with this version)")
    return RunResult.model_validate(data)


# ---- aggregation -----------------------------------------------------------------------------------------------


def summarize(
    cases: Iterable[CaseResult],
    quarantine: frozenset[str] = frozenset(),
    min_passes: dict[str, int] | None = None,
) -> dict[tuple[str, str | None], ModelSummary]:
    """Aggregates per (section, model). Metric means are over items: repeats of one item are averaged first.
    Quarantined cases (by id) are named and left out of every figure; a section in `min_passes` passes an item
    when that many of its tries pass.

    Streams: each case is folded into its group's running figures and then dropped, and what each item needs
    (its tries, metric values, category, cluster) is kept in a temporary database (item_figures), so a run of
    any size aggregates in about the memory of a small one."""
    groups: dict[tuple[str, str | None], _Group] = {}
    with ItemFigures() as figures:
        for case in cases:
            group = groups.get((case.section, case.model))
            if group is None:
                minimum = (min_passes or {}).get(case.section)
                group = groups[(case.section, case.model)] = _Group(case, figures, len(groups), minimum)
            if case.case_id in quarantine:
                group.quarantined.append(case.case_id)
            else:
                group.add(case)
        return {key: group.summary() for key, group in groups.items()}


class _Group:
    """The running figures of one (section, model): what a ModelSummary needs; what each item needs is kept in
    `figures` under the group's number."""

    def __init__(self, first: CaseResult, figures: ItemFigures, number: int, min_passes: int | None = None) -> None:
        self.model, self.model_id, self.kind = first.model, first.model_id, first.kind
        self.figures, self.number = figures, number
        self.min_passes = min_passes
        self.quarantined: list[str] = []
        self.tally = {"pass": 0, "fail": 0, "error": 0, "skipped": 0}
        self.usage, self.judge_usage = Usage(), Usage()
        self.cost = self.judge_cost = 0.0
        self.costed = False
        self.cached = 0
        self.units: int | None = None
        self.probes: list[GuardrailOutcome] = []

    def add(self, case: CaseResult) -> None:
        self.tally[case.status] += 1
        latency = case.latency_ms if case.status != "error" else None
        self.figures.add(
            self.number,
            case.item_key,
            case.status,
            case.repeat,
            case.case_id,
            [(m.name, m.value) for m in case.metrics if m.value is not None],
            case.category,
            case.cluster,
            case.source,
            latency,
        )
        self.usage += case.usage
        self.judge_usage += case.judge_usage
        if case.cost_usd is not None:
            self.cost += case.cost_usd
            self.costed = True
        if case.judge_cost_usd is not None:
            self.judge_cost += case.judge_cost_usd
            self.costed = True
        self.cached += case.cached
        if case.kind == "guardrail":
            units = case.guardrail.units if case.guardrail is not None and not case.cached else 0
            self.units = (self.units or 0) + units
            if case.guardrail is not None and case.status != "error":
                self.probes.append(case.guardrail)

    def _items(self) -> Iterator[ItemTries]:
        return self.figures.tries(self.number)

    def summary(self) -> ModelSummary:
        counts = Counts.model_validate(self.tally)
        decided = counts.passed + counts.failed + counts.error
        clustered = self.figures.clustered(self.number)
        # The pass rate is the share of decided cases; its interval takes the item as the unit (a share of its
        # tries, weighted by their number), so repeats of one item never count as independent cases.
        tried = _Values(clustered)
        weights = array("d")
        met = _Values(clustered)
        for item in self._items():
            if item.tried:
                tried.add(item.key, item.cluster, item.passes / item.tried)
                weights.append(float(item.tried))
                if self.min_passes is not None:
                    met.add(item.key, item.cluster, float(item.passes >= self.min_passes))
        pass_interval = tried.interval(weights) if tried.values else None
        pass_rate = counts.passed / decided if decided else None
        if self.min_passes is not None:  # the item is the outcome: m of its k tries passed, or not
            pass_interval = met.interval() if met.values else None
            pass_rate = sum(met.values) / len(met.values) if met.values else None
        latencies = array("d", self.figures.latencies(self.number))
        rates: dict[str, float | None] = {}
        rate_intervals: dict[str, Aggregate] = {}
        short: list[str] = []
        if self.probes:
            rates = _guardrail_rates(self.probes)
        elif self.kind in ("agent", "evaluation", "knowledge_base"):
            rates, rate_intervals, short = _repeat_rates(self._items, self.kind == "agent", clustered)
        return ModelSummary(
            model=self.model,
            model_id=self.model_id,
            counts=counts,
            pass_rate=pass_rate,
            pass_rate_ci=(pass_interval.ci_low, pass_interval.ci_high) if pass_interval else (None, None),
            pass_rate_interval=pass_interval,
            error_rate=counts.error / counts.total if counts.total else None,
            metrics=_metric_aggregates(self.figures.metric_values(self.number), clustered),
            categories=_category_aggregates(self.figures.category_values(self.number)),
            rates=rates,
            rate_intervals=rate_intervals,
            short_items=short,
            latency_ms={
                "mean": sum(latencies) / len(latencies) if latencies else None,
                **{f"p{q}": stats.percentile(latencies, q) for q in (50, 90, 95, 99)},
                "max": latencies[-1] if latencies else None,
            },
            usage=self.usage,
            judge_usage=self.judge_usage,
            cost_usd=self.cost if self.costed else None,
            judge_cost_usd=self.judge_cost if self.costed else None,
            cached=self.cached,
            guardrail_units=self.units,
            min_passes=self.min_passes,
            flaky=self._flaky(),
            quarantined=sorted(self.quarantined),
        )

    def _flaky(self) -> list[FlakyItem]:
        """Items whose tries disagree: at least one passed and at least one failed."""
        found = [
            FlakyItem(
                item_key=item.key,
                source=item.source,
                passes=item.passes,
                tries=item.decided,
                case_ids=sorted(self.figures.case_ids(self.number, item.key)),
            )
            for item in self._items()
            if item.passes and item.failed
        ]
        return sorted(found, key=lambda f: (f.source or "", f.item_key))


class _Values:
    """Per-item values in the items' order, with each item's cluster label when the group is clustered (an item
    that names none is a group of its own): 8 bytes an item, and a label only when clustered."""

    def __init__(self, clustered: bool) -> None:
        self.values = array("d")
        self.labels: list[str] | None = [] if clustered else None
        self._interned: dict[str, str] = {}

    def add(self, item: str, cluster: str | None, value: float) -> None:
        self.values.append(value)
        if self.labels is not None:
            label = f"\0{item}" if cluster is None else self._interned.setdefault(cluster, cluster)
            self.labels.append(label)

    def interval(self, weights: array[float] | None = None) -> Aggregate:
        return Aggregate.of(self.values, self.labels, weights)


def _metric_aggregates(rows: Iterator[tuple[str, str, str | None, float]], clustered: bool) -> dict[str, Aggregate]:
    """Metric aggregates over items, each item's repeats averaged first (`rows` by metric, then item, as
    ItemFigures.metric_values gives them); clustered when items name a cluster."""
    found: dict[str, Aggregate] = {}
    for name, by_item in groupby(rows, key=lambda row: row[0]):
        values = _Values(clustered)
        for (item, cluster), tries in groupby(by_item, key=lambda row: (row[1], row[2])):
            item_values = [row[3] for row in tries]
            values.add(item, cluster, sum(item_values) / len(item_values))
        found[name] = values.interval()
    return found


def _category_aggregates(rows: Iterator[tuple[str, str, str, float]]) -> dict[str, dict[str, Aggregate]]:
    """Each category's metric aggregates over its items (`rows` by category, as ItemFigures.category_values gives
    them), without clusters."""
    return {
        category: _metric_aggregates(((name, item, None, value) for _, name, item, value in by_metric), False)
        for category, by_metric in groupby(rows, key=lambda row: row[0])
    }


def _guardrail_rates(all_probes: list[GuardrailOutcome]) -> dict[str, float | None]:
    """Block, false-positive, anonymization and policy-match rates of guardrail probes.

    `block_rate` is over the probes as written; `block_rate.<mutation>` over each mutation of the must-block ones."""
    probes = [p for p in all_probes if p.mutation is None]
    must_block = [p for p in probes if p.expected == "blocked"]
    must_allow = [p for p in probes if p.expected == "allowed"]
    must_anon = [p for p in probes if p.expected == "anonymized"]
    with_policy = [p for p in probes if p.expected_policy and p.observed != "allowed"]
    rates = {
        "block_rate": _share(must_block, lambda p: p.observed == "blocked"),
        "false_positive_rate": _share(must_allow, lambda p: p.observed != "allowed"),
        "anonymization_rate": _share(must_anon, lambda p: p.observed == "anonymized"),
        "policy_match_rate": _share(with_policy, _policy_fired),
    }
    mutated: dict[str, list[GuardrailOutcome]] = defaultdict(list)
    for p in all_probes:
        if p.mutation is not None and p.expected == "blocked":
            mutated[p.mutation].append(p)
    for kind, outcomes in sorted(mutated.items()):
        rates[f"block_rate.{kind}"] = _share(outcomes, lambda p: p.observed == "blocked")
    return rates


def _repeat_rates(
    items: Callable[[], Iterator[ItemTries]], per_item: bool, clustered: bool
) -> tuple[dict[str, float | None], dict[str, Aggregate], list[str]]:
    """pass@k (at least one of k tries passes) and pass^k (all k tries pass): each item's unbiased estimates
    1 - C(n-c, k)/C(n, k) and C(c, k)/C(n, k) (n tries, c passed), averaged over items, with their intervals over
    items. An error counts as not passed.

    An item is short when a try has no result: a repeat index missing below its highest (`per_item`: agent tests
    set their own repeats), or fewer tries than the section's most (evaluations repeat every item alike). A short
    item is left out and named, never counted at a lower k. k is the fewest tries of a whole item. Reported when
    items are repeated (`per_item`: always). `items` gives the items afresh at each call, in their order.
    Returns (rates, their intervals, the short items)."""
    most = max((item.tries for item in items()), default=None)
    if most is None:
        return {}, {}, []

    def is_short(item: ItemTries) -> bool:
        return item.repeats < (item.top_repeat + 1 if per_item else most)

    short = sorted(item.key for item in items() if is_short(item))
    k = min((item.tries for item in items() if not is_short(item)), default=None)
    if k is None:
        return {}, {}, short
    if k < 2 and not per_item:
        return {}, {}, short
    at_k, hat_k = _Values(clustered), _Values(clustered)
    for item in items():
        if not is_short(item):
            n, c = item.tries, item.passes
            at_k.add(item.key, item.cluster, 1 - math.comb(n - c, k) / math.comb(n, k))
            hat_k.add(item.key, item.cluster, math.comb(c, k) / math.comb(n, k))
    intervals = {"pass_at_k": at_k.interval(), "pass_hat_k": hat_k.interval()}
    rates = {"k": float(k), "pass_at_k": intervals["pass_at_k"].mean, "pass_hat_k": intervals["pass_hat_k"].mean}
    return rates, intervals, short


def _policy_fired(p: GuardrailOutcome) -> bool:
    if p.policy_fired is not None:
        return p.policy_fired
    return any(h.policy.startswith(p.expected_policy or "") for h in p.hits)


def _share(items: list[GuardrailOutcome], hit: Callable[[GuardrailOutcome], bool]) -> float | None:
    return sum(1 for i in items if hit(i)) / len(items) if items else None
