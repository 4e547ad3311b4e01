"""Suite -> concrete cases. A case id comes from content (suite, section, item, model, repeat), never position,
so reordering a dataset changes no id: ids key the cache, resume, shards and baseline diffs.

A case's fingerprint is a hash of everything that decides its result: the item's content, the model's spec (its
id, inference, price), the section's settings (prompt template, system prompt, checks, judges, inference, target,
evaluator...), the specs of the models they name, and the suite's defaults. It leaves out what decides nothing
about one case's result (thresholds, concurrency, rate limits, timeouts, polling): `--resume` runs a case again
when its fingerprint changed, and only then."""

from __future__ import annotations

import hashlib
import heapq
import json
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any, Literal, TypeVar

from evalcore.domain.guardrail_mutations import mutate
from evalcore.suite.load import LoadedSuite, ResolvedProbe
from evalcore.suite.models import (
    AgentTest,
    BatchEvaluation,
    BuiltinMetric,
    CustomJudgeMetric,
    Evaluation,
    GuardrailSection,
    JobEvaluation,
    JobKnowledgeBaseSection,
    KnowledgeBaseSection,
    MutationKind,
)

Kind = Literal["evaluation", "guardrail", "agent", "knowledge_base"]


@dataclass(frozen=True, slots=True)
class EvaluationItem:
    fields: dict[str, Any]
    source: str  # "file:line"


@dataclass(frozen=True, slots=True)
class AgentItem:
    test_name: str
    test: AgentTest


ItemT = TypeVar("ItemT", EvaluationItem, ResolvedProbe, AgentItem)


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    section: str
    kind: Kind
    model: str | None  # the model's name in the suite (or its id when used directly); None where none is called
    repeat: int
    item_key: str  # identifies the item across models and repeats (pairing for comparisons)
    item: EvaluationItem | ResolvedProbe | AgentItem
    fingerprint: str = ""  # the case's inputs (see the module's docstring)

    def item_as(self, kind: type[ItemT]) -> ItemT:
        """The case's item, which must be a `kind`: a runner's own section's cases have its kind of item."""
        if not isinstance(self.item, kind):
            raise WrongCase(f"case {self.id} of section '{self.section}' holds no {kind.__name__}")
        return self.item

    def called_model(self) -> str:
        """The name of the model the case calls (evaluation and knowledge-base cases each call one)."""
        if self.model is None:
            raise WrongCase(f"case {self.id} of section '{self.section}' calls no model")
        return self.model


class WrongCase(TypeError):
    """A runner was given a case of another kind of section: a defect, reported as the section's failure."""


@dataclass
class SectionPlan:
    name: str
    kind: Kind
    models: list[str | None]
    cases: int
    model_calls: int  # estimated calls to Bedrock (models under test, judge, evaluator, guardrail)
    note: str = ""


class PlannedCases:
    """A plan's cases, made again on every pass in the plan's order and never held: an evaluation's dataset is read
    again record by record, so a run holds only the cases in flight. `len()` is the planned count."""

    def __init__(self) -> None:
        self._sources: list[tuple[str, Callable[[], Iterator[Case]]]] = []
        self._keep: Callable[[str], bool] | None = None  # a shard's slice, a resume's cases left
        self.counts: dict[str, int] = {}  # per section

    def add(self, section: str, source: Callable[[], Iterator[Case]], count: int) -> None:
        self._sources.append((section, source))
        self.counts[section] = count

    def sliced(self, keep: Callable[[str], bool]) -> PlannedCases:
        """The cases `keep` keeps (one pass to count them)."""
        part = PlannedCases()
        outer = self._keep
        part._sources = self._sources
        part._keep = keep if outer is None else lambda case_id: outer(case_id) and keep(case_id)
        part.counts = {name: 0 for name, _ in self._sources}
        for case in part:
            part.counts[case.section] += 1
        return part

    def of(self, section: str) -> SectionCases:
        return SectionCases(self, section)

    def _made(self, section: str | None) -> Iterator[Case]:
        for name, source in self._sources:
            if section is None or name == section:
                cases = source()
                yield from cases if self._keep is None else (c for c in cases if self._keep(c.id))

    def __iter__(self) -> Iterator[Case]:
        return self._made(None)

    def __len__(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class SectionCases:
    """One section's planned cases, re-iterable (each pass makes them again)."""

    plan: PlannedCases
    section: str

    def __iter__(self) -> Iterator[Case]:
        return self.plan._made(self.section)

    def __len__(self) -> int:
        return self.plan.counts.get(self.section, 0)


@dataclass
class Plan:
    suite: str
    cases: PlannedCases = field(default_factory=PlannedCases)
    sections: list[SectionPlan] = field(default_factory=list)


class PlannedIds:
    """The ids of a plan's cases as a sorted array of 8-byte integers (a case id is 16 hex digits): what the end of
    a run and a merge check results against, 8 bytes a case where a set of strings takes about 100."""

    def __init__(self, ids: Iterable[str]) -> None:
        self._ids = _sorted_ids(int(i, 16) for i in ids)

    def index(self, case_id: str) -> int | None:
        """The id's position among the planned ids, or None when it is not planned."""
        if len(case_id) != 16:
            return None
        try:
            value = int(case_id, 16)
        except ValueError:
            return None
        at = bisect_left(self._ids, value)
        return at if at < len(self._ids) and self._ids[at] == value else None

    def __contains__(self, case_id: object) -> bool:
        return isinstance(case_id, str) and self.index(case_id) is not None

    def __iter__(self) -> Iterator[str]:
        return (f"{value:016x}" for value in self._ids)

    def __len__(self) -> int:
        return len(self._ids)


_RUN = 65_536  # ids sorted at a time


def _sorted_ids(ids: Iterator[int]) -> array[int]:
    """The ids sorted into an array: runs of `_RUN` sorted as lists, kept as arrays and merged, so at most one run
    is ever held as Python ints (16 bytes a case at the peak, not the 40 of a list of every id)."""
    runs = []
    while run := array("Q", sorted(islice(ids, _RUN))):
        runs.append(run)
    if len(runs) <= 1:
        return runs[0] if runs else array("Q")
    merged = array("Q")
    for value in heapq.merge(*runs):
        merged.append(value)
    return merged


def content_key(value: Any) -> str:
    """A short, stable hash of JSON-able content."""
    blob = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def case_id(suite: str, section: str, item_key: str, model: str | None, repeat: int) -> str:
    return content_key([suite, section, item_key, model, repeat])


# What decides nothing about one case's result, left out of its fingerprint (pydantic `exclude` shapes). Settings
# at their defaults are left out too (`exclude_defaults`), so a setting added later changes no fingerprint until a
# suite sets it.
_AGGREGATION = {"thresholds", "primary_metrics", "cluster_by"}  # how results are gated, compared and grouped
_SCHEDULING = {
    "concurrency",
    "max_concurrency",
    "requests_per_minute",
    "tokens_per_minute",
    "timeout_seconds",
    "repeats",
}
_POLLING = {"poll_seconds", "timeout_minutes"}


def _section_inputs(loaded: LoadedSuite, section: Any, *resolved: Any) -> str:
    """The part of a fingerprint every case of `section` shares: its settings but the thresholds and what each
    case's own model and item cover, the defaults, the specs of the models they name (judges...), and
    `resolved` (what the loader read from files: responses, an agenteval plan's evaluator and target)."""
    covered = ("models", "dataset", "probes", "tests")  # each case's own model and item
    exclude: dict[str, Any] = {k: True for k in (*_SCHEDULING, *covered, *_AGGREGATION)}
    exclude |= {"job": _POLLING, "batch": _POLLING, "evaluation": _POLLING}  # `evaluation`: mode agentcore-batch
    settings = section.model_dump(mode="json", exclude=exclude, exclude_defaults=True)
    defaults = loaded.suite.defaults.model_dump(mode="json", exclude=_SCHEDULING, exclude_defaults=True)
    named = sorted(_strings([settings, defaults]) & loaded.suite.models.keys())
    return content_key([settings, defaults, {n: _model_inputs(loaded, n) for n in named}, resolved])


def _model_inputs(loaded: LoadedSuite, model: str | None) -> Any:
    """A model's spec as it decides answers (its id, inference and price; not its rate limits)."""
    if model is None:
        return None
    return loaded.suite.model_spec(model).model_dump(mode="json", exclude=_SCHEDULING, exclude_defaults=True)


def _model_key(loaded: LoadedSuite, model: str | None) -> str:
    return content_key(_model_inputs(loaded, model))


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*map(_strings, value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*map(_strings, value)) if value else set()
    return set()


def _fingerprint(section_inputs: str, model_key: str, item_content: str) -> str:
    """Of three content keys: one short hash per case, cheap enough for a plan of 100,000 cases."""
    return hashlib.sha256(f"{section_inputs}:{model_key}:{item_content}".encode()).hexdigest()[:16]


def _item_keys(contents: Iterable[Any]) -> list[str]:
    """Content keys; identical items are told apart by their occurrence number, which reordering cannot change."""
    seen = _Occurrences()
    return [_item_key(content, seen) for content in contents]


def _item_key(content: Any, seen: _Occurrences) -> str:
    """The content key of the next item, `seen` counting the keys so far."""
    key = content_key(content)
    count = seen.next(key)
    return key if count == 1 else f"{key}#{count}"


class _Occurrences:
    """How many times each content key (16 hex digits) has come so far, in 16-32 bytes a key where a dict of
    strings takes about 110: the keys as 64-bit integers in an open-addressing table of 8-byte slots at most half
    full (a content key is a hash: its low bits spread evenly), the counts above one in a dict (most datasets hold
    no duplicate). The key 0 is counted in the dict, 0 marking a free slot."""

    def __init__(self) -> None:
        self._slots = array("Q", bytes(8 * 1024))
        self._used = 0
        self._more: dict[int, int] = {}

    def next(self, key: str) -> int:
        """The key's occurrence number, counting this one (1 the first time)."""
        value = int(key, 16)
        if value != 0 and self._added(value):
            return 1
        count = self._more.get(value, 0 if value == 0 else 1) + 1
        self._more[value] = count
        return count

    def _added(self, value: int) -> bool:
        slots = self._slots
        mask = len(slots) - 1
        at = value & mask
        while (held := slots[at]) != 0:
            if held == value:
                return False
            at = (at + 1) & mask
        slots[at] = value
        self._used += 1
        if self._used * 2 > len(slots):
            self._grow()
        return True

    def _grow(self) -> None:
        old, self._slots = self._slots, array("Q", bytes(16 * len(self._slots)))
        mask = len(self._slots) - 1
        for value in old:
            if value != 0:
                at = value & mask
                while self._slots[at] != 0:
                    at = (at + 1) & mask
                self._slots[at] = value


def build_plan(loaded: LoadedSuite, sections: list[str] | None = None, models: list[str] | None = None) -> Plan:
    """Every case the suite asks for, for the selected sections (all by default), with `models` replacing the
    models of every evaluation when given."""
    suite = loaded.suite
    plan = Plan(suite=suite.name)
    for ev in suite.evaluations:
        if sections is None or ev.name in sections:
            _evaluation(plan, loaded, ev, models or ev.models)
    for gr in suite.guardrails:
        if sections is None or gr.name in sections:
            _guardrails(plan, loaded, gr)
    for ag in suite.agents:
        if sections is None or ag.name in sections:
            resolved = loaded.agents[ag.name]
            inputs = _section_inputs(
                loaded,
                ag,
                resolved.evaluator.model_dump(mode="json") if resolved.evaluator else None,
                resolved.evaluator_model_id,
                resolved.target.model_dump(mode="json"),
            )
            cases: list[Case] = []
            calls = 0
            for name, test in resolved.tests.items():
                key = content_key(["agent-test", name])
                # A conversation test's fingerprint is what it was before tool tests existed (no `tool: null`).
                test_key = content_key(test.model_dump(mode="json", exclude={"tool"} if test.tool is None else None))
                fingerprint = _fingerprint(inputs, "", test_key)
                for r in range(test.repeats or 1):
                    cases.append(
                        Case(
                            case_id(suite.name, ag.name, key, None, r),
                            ag.name,
                            "agent",
                            None,
                            r,
                            key,
                            AgentItem(name, test),
                            fingerprint,
                        )
                    )
                    # The first user message (unless given), per turn the target and "all steps attempted? else
                    # the next message" (one evaluator call), then the final verdict: at most this many calls.
                    # A tool test: initialize, notifications/initialized, tools/call.
                    calls += 3 if test.tool else (0 if test.initial_prompt else 1) + test.max_turns * 2 + 1
            plan.cases.add(ag.name, cases.__iter__, len(cases))
            plan.sections.append(SectionPlan(ag.name, "agent", [None], len(cases), calls))
    for kb in suite.knowledge_bases:
        if sections is None or kb.name in sections:
            _knowledge_bases(plan, loaded, kb)
    return plan


def _knowledge_bases(plan: Plan, loaded: LoadedSuite, kb: KnowledgeBaseSection) -> None:
    """One case per record, target and repeat; a target's settings are its "model" spec in the fingerprint."""
    records = loaded.datasets.get(kb.name, ())
    repeats = kb.repeats or loaded.suite.defaults.repeats
    dataset = str(loaded.path.parent / kb.dataset)
    inputs = _section_inputs(loaded, kb)
    by_target = {name: content_key(target.model_dump(mode="json")) for name, target in kb.targets.items()}

    def cases() -> Iterator[Case]:
        """Record by record, as the dataset is read (see _evaluation)."""
        seen = _Occurrences()
        for record in records:
            key = _item_key(record.fields.get("id") or record.fields, seen)
            item = EvaluationItem(record.fields, f"{dataset}:{record.line}")
            content = content_key(record.fields) if record.fields.get("id") else key
            for name in kb.targets:
                fingerprint = _fingerprint(inputs, by_target[name], content)
                for r in range(repeats):
                    cid = case_id(loaded.suite.name, kb.name, key, name, r)
                    yield Case(cid, kb.name, "knowledge_base", name, r, key, item, fingerprint)

    count = len(records) * len(kb.targets) * repeats
    plan.cases.add(kb.name, cases, count)
    if isinstance(kb, JobKnowledgeBaseSection):  # Bedrock retrieves and judges: jobs, not calls of evalcore
        jobs = len(kb.targets) * -(-(len(records) * repeats) // 1000)  # a job takes 1,000 prompts
        note = f"{jobs} RAG evaluation job(s)"
        plan.sections.append(SectionPlan(kb.name, "knowledge_base", list(kb.targets), count, jobs, note))
        return
    judged = sum(isinstance(m, BuiltinMetric | CustomJudgeMetric) for m in kb.metrics)
    plan.sections.append(SectionPlan(kb.name, "knowledge_base", list(kb.targets), count, count * (1 + judged)))


def _guardrails(plan: Plan, loaded: LoadedSuite, gr: GuardrailSection) -> None:
    """One case per probe, and per mutation kind one more for each must-block probe (its item content is the
    probe's plus the kind and seed, so the plain probes' ids do not change when mutations are added)."""
    written = loaded.probes.get(gr.name, [])
    items: list[tuple[ResolvedProbe, Any]] = [
        (p, p.probe.id or p.probe.model_dump(exclude={"tags", "id"})) for p in written
    ]
    if gr.mutations is not None:
        seed = gr.mutations.seed
        items += [
            (_mutated(p, kind, seed), {"probe": content, "mutation": kind, "seed": seed})
            for p, content in list(items)
            if p.probe.expect == "blocked" and p.probe.grounding_source is None
            for kind in gr.mutations.kinds
        ]
    keys = _item_keys(content for _, content in items)
    model = gr.model if gr.via != "apply" else None
    inputs = _section_inputs(loaded, gr)
    model_key = _model_key(loaded, model)
    cases: list[Case] = []
    for (probe, _), key in zip(items, keys, strict=True):
        content = content_key([probe.probe.model_dump(mode="json"), probe.mutation])
        cases.append(
            Case(
                case_id(loaded.suite.name, gr.name, key, model, 0),
                gr.name,
                "guardrail",
                model,
                0,
                key,
                probe,
                _fingerprint(inputs, model_key, content),
            )
        )
    plan.cases.add(gr.name, cases.__iter__, len(cases))
    mutated = len(items) - len(written)
    note = f"{mutated} mutated probe(s)" if mutated else ""
    plan.sections.append(SectionPlan(gr.name, "guardrail", [model], len(items), len(items), note))


def _mutated(written: ResolvedProbe, kind: MutationKind, seed: int) -> ResolvedProbe:
    """A must-block probe rewritten by a mutation; only whether it is still blocked counts, not by which policy."""
    probe = written.probe.model_copy(
        update={"text": mutate(written.probe.text, kind, seed), "policy": None, "min_confidence": None}
    )
    return ResolvedProbe(probe, written.origin, kind)


def _evaluation(plan: Plan, loaded: LoadedSuite, ev: Evaluation, models: list[str]) -> None:
    suite = loaded.suite
    records = loaded.datasets.get(ev.name, ())
    repeats = ev.repeats or suite.defaults.repeats
    dataset = str(loaded.path.parent / ev.dataset)
    judge_metrics = sum(isinstance(m, BuiltinMetric | CustomJudgeMetric) for m in ev.metrics)
    inputs = _section_inputs(loaded, ev, [r.fields for r in loaded.responses.get(ev.name, [])])
    by_model = {model: _model_key(loaded, model) for model in models}

    def cases() -> Iterator[Case]:
        """Record by record, as the dataset is read: only the occurrence count of each item key is kept."""
        seen = _Occurrences()
        for record in records:
            key = _item_key(record.fields.get("id") or record.fields, seen)
            item = EvaluationItem(record.fields, f"{dataset}:{record.line}")
            content = content_key(record.fields) if record.fields.get("id") else key  # a key without id is content
            for model in models:
                fingerprint = _fingerprint(inputs, by_model[model], content)
                for r in range(repeats):
                    yield Case(
                        case_id(suite.name, ev.name, key, model, r),
                        ev.name,
                        "evaluation",
                        model,
                        r,
                        key,
                        item,
                        fingerprint,
                    )

    count = len(records) * len(models) * repeats
    plan.cases.add(ev.name, cases, count)
    per_model = len(records) * repeats
    if isinstance(ev, JobEvaluation):
        jobs = len(models) * -(-per_model // 1000)  # a job takes 1,000 prompts; repeats are prompts too
        plan.sections.append(SectionPlan(ev.name, "evaluation", list(models), count, jobs, f"{jobs} evaluation job(s)"))
    elif isinstance(ev, BatchEvaluation):
        batched = len(models) if per_model >= ev.batch.threshold(ev.mode) else 0  # every model has as many cases
        jobs = batched * -(-per_model // ev.batch.max_records_per_job)
        calls = (len(models) - batched) * per_model + count * judge_metrics  # batch records are not calls
        note = f"{jobs} batch job(s) of {batched * per_model} records" if jobs else ""
        plan.sections.append(SectionPlan(ev.name, "evaluation", list(models), count, calls, note))
    else:
        plan.sections.append(SectionPlan(ev.name, "evaluation", list(models), count, count * (1 + judge_metrics)))


def in_shard(case_id: str, index: int, total: int) -> bool:
    """Whether a case belongs to the deterministic slice `index` of `total` (1-based), by its id."""
    return int(case_id[:8], 16) % total == index - 1


def shard(plan: Plan, index: int, total: int) -> Plan:
    """The plan's slice `index` of `total`: its cases, and per section the count of those cases (calls scaled)."""
    return only(plan, lambda case_id: in_shard(case_id, index, total))


def only(plan: Plan, keep: Callable[[str], bool]) -> Plan:
    """The plan's cases whose ids `keep` keeps, and per section the count of those cases (calls scaled)."""
    cases = plan.cases.sliced(keep)
    counts = cases.counts
    sections = [
        replace(sp, cases=counts[sp.name], model_calls=sp.model_calls * counts[sp.name] // max(sp.cases, 1))
        for sp in plan.sections
    ]
    return Plan(suite=plan.suite, cases=cases, sections=sections)
