"""Load a suite file: YAML -> validated Suite, with its datasets, probe files and agent plans read and checked.

Every problem found is reported at once (an InputError); nothing here calls AWS.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalcore.aws_facts import bedrock_metrics
from evalcore.suite import metric_names
from evalcore.suite.agenteval_plan import EVALUATOR_ALIASES, AgentevalPlan
from evalcore.suite.batch_checks import batch_problems
from evalcore.suite.capability_checks import guardrail_problem, model_problem, system_problem
from evalcore.suite.check_specs import CHECKS, REFERENCE_FIELD
from evalcore.suite.datasets import Dataset, Record, read_records, scan_dataset
from evalcore.suite.expected_sources import PASSAGES_FIELD, SOURCES_FIELD, expected_items
from evalcore.suite.job_checks import dataset_problems, job_model_problems, job_problems, response_problems
from evalcore.suite.models import (
    AgentCoreBatchEvaluation,
    AgentSection,
    AgentTest,
    BatchEvaluation,
    BuiltinMetric,
    CheckMetric,
    CustomJudgeMetric,
    DirectEvaluation,
    Evaluation,
    Evaluator,
    GuardrailSection,
    JobEvaluation,
    JobKnowledgeBaseSection,
    KnowledgeBaseSection,
    PrecomputedRagTarget,
    Probe,
    ProbeFile,
    ResponsesJobEvaluation,
    RetrievalMetric,
    ScoredHere,
    Suite,
)
from evalcore.suite.problems import InputError, Loc, Problem
from evalcore.suite.targets import BUILTIN_TARGETS, AgentCoreMcpTarget, AgentCoreRuntimeTarget, CustomTarget
from evalcore.suite.template import fields as template_fields
from evalcore.suite.validation_errors import problems_from
from evalcore.suite.yaml_source import YamlDocument, decode_text, load_yaml

MAX_SUITE_BYTES = 10 * 1024**2


@dataclass(frozen=True)
class ResolvedProbe:
    probe: Probe
    origin: str  # "file:line" where the probe was written
    mutation: str | None = None  # the robustness mutation that made `probe.text` from the written probe


@dataclass(frozen=True)
class ResolvedAgents:
    """An agents section with its plan (if any) read: the evaluator model, the target and the tests."""

    evaluator: Evaluator | None  # None in mode agentcore-batch (AgentCore runs the scenarios)
    evaluator_model_id: str | None
    target: Any  # one of the target models in evalcore.suite.targets
    tests: dict[str, AgentTest]
    base_dir: Path  # where hooks and custom targets are imported from
    agentcore_evaluators: list[str] = field(default_factory=list)  # AgentCore Evaluations scoring each session
    batch: AgentCoreBatchEvaluation | None = None  # mode agentcore-batch


@dataclass
class LoadedSuite:
    suite: Suite
    path: Path
    doc: YamlDocument
    content_hash: str
    datasets: dict[str, Dataset] = field(default_factory=dict)  # checked, streamed again on every pass
    probes: dict[str, list[ResolvedProbe]] = field(default_factory=dict)
    agents: dict[str, ResolvedAgents] = field(default_factory=dict)
    responses: dict[str, list[Record]] = field(default_factory=dict)  # bedrock-job `responses:` files

    def line_of(self, loc: Loc) -> int | None:
        pos = self.doc.position(loc, prefer_key=True)
        return pos.line if pos else None


def load_suite(path: str | Path, root: Path | None = None) -> LoadedSuite:
    """Read, validate and check a suite file and everything it refers to; raise InputError with every problem.
    With `root` (the Action's workspace), every file the suite refers to must lie inside it, links resolved."""
    path = Path(path)
    display = str(path)
    try:
        if path.stat().st_size > MAX_SUITE_BYTES:
            raise InputError([Problem(display, "suite file larger than 10 MiB (move data into dataset files)")])
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(display, "file not found (give the path of a suite file)")]) from None
    except IsADirectoryError:
        raise InputError([Problem(display, "is a directory (give the path of a suite file)")]) from None
    except OSError as exc:
        raise InputError([Problem(display, f"cannot read: {exc.strerror}")]) from None
    doc = load_yaml(decode_text(raw, display), display)
    if not isinstance(doc.data, dict):
        raise InputError([Problem(display, "a suite file is a mapping with at least `name:` and one section", 1)])
    try:
        suite = Suite.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(problems_from(exc, Suite, doc)) from None
    digest = hashlib.sha256(raw)
    loaded = LoadedSuite(suite=suite, path=path, doc=doc, content_hash="")
    problems = _Checker(loaded, digest, root).run()
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.file != display, p.file, p.line or 0)))
    loaded.content_hash = digest.hexdigest()
    return loaded


class _Checker:
    """The checks that need more than one key at a time: references, files, metric/threshold names."""

    def __init__(self, loaded: LoadedSuite, digest: Any, root: Path | None) -> None:
        self.root = root.resolve() if root is not None else None
        self.loaded = loaded
        self.suite = loaded.suite
        self.doc = loaded.doc
        self.base = loaded.path.parent
        self.digest = digest
        self.problems: list[Problem] = []

    def run(self) -> list[Problem]:
        self._unique_names()
        self._defined_models()
        self._model_ref(self.suite.defaults.judge, ("defaults", "judge"))
        for i, ev in enumerate(self.suite.evaluations):
            self._evaluation(i, ev)
        for i, gr in enumerate(self.suite.guardrails):
            self._guardrails(i, gr)
        for i, ag in enumerate(self.suite.agents):
            self._agents(i, ag)
        for i, kb in enumerate(self.suite.knowledge_bases):
            self._knowledge_bases(i, kb)
        if not self.suite.sections():
            self.problems.append(
                self.doc.problem(
                    (), "the suite has no sections (add `evaluations`, `guardrails`, `agents` or `knowledge_bases`)"
                )
            )
        return self.problems

    def _add(self, loc: Loc, message: str, prefer_key: bool = False) -> None:
        self.problems.append(self.doc.problem(loc, message, prefer_key=prefer_key))

    def _unique_names(self) -> None:
        seen: dict[str, Loc] = {}
        for kind in ("evaluations", "guardrails", "agents", "knowledge_bases"):
            for i, section in enumerate(getattr(self.suite, kind)):
                loc = (kind, i, "name")
                if section.name in seen:
                    first = self.loaded.line_of(seen[section.name])
                    self._add(
                        loc,
                        f"section name '{section.name}' is used twice (first at line {first}; rename one)",
                    )
                else:
                    seen[section.name] = loc

    def _defined_models(self) -> None:
        """Every model under `models:` is one Bedrock serves as written (capability_checks.py)."""
        for name, spec in self.suite.models.items():
            problem = model_problem(self.suite.model_spec(name).id, self.suite.aws.region)
            if problem is not None:
                self._add(("models", name) if isinstance(spec, str) else ("models", name, "id"), problem)

    def _model_ref(self, ref: str | None, loc: Loc) -> None:
        if ref is not None and ref not in self.suite.models and _looks_like_model_id(ref):
            self._served(ref, loc)
        if ref is None or ref in self.suite.models or _looks_like_model_id(ref):
            return
        guess = difflib.get_close_matches(ref, list(self.suite.models), n=1)
        hint = f"did you mean '{guess[0]}'?" if guess else "define it under `models:` or give a model id"
        self._add(loc, f"unknown model '{ref}' ({hint})")

    def _served(self, model_id: str, loc: Loc, doc: YamlDocument | None = None, file: str = "") -> None:
        """A model id written in place (not a name under `models:`) is one Bedrock serves as written."""
        problem = model_problem(model_id, self.suite.aws.region)
        if problem is not None:
            self._problem_at(doc or self.doc, file or self.doc.file, loc, problem)

    def _file(self, rel: str, loc: Loc) -> Path | None:
        path = (self.base / rel).resolve()
        if self.root is not None and not path.is_relative_to(self.root):
            self._add(loc, f"file '{rel}' is outside the workspace (it or a link on its way leads out of {self.root})")
            return None
        if not path.is_file():
            what = "is a directory" if path.is_dir() else "not found"
            self._add(loc, f"file '{rel}' {what} (paths are relative to the suite file's folder)")
            return None
        return path

    def _records(self, path: Path, rel: str) -> list[Record] | None:
        display = str(self.loaded.path.parent / rel)
        try:
            records = read_records(path, display)
        except InputError as exc:
            self.problems.extend(exc.problems)
            return None
        self.digest.update(path.read_bytes())
        return records

    def _dataset(self, path: Path, rel: str, each: Callable[[Record], None]) -> Dataset | None:
        """A dataset checked record by record (`each`), never held; its bytes go into the suite's hash."""
        try:
            return scan_dataset(path, str(self.loaded.path.parent / rel), each, self.digest)
        except InputError as exc:
            self.problems.extend(exc.problems)
            return None

    # ---- evaluations ----

    def _evaluation(self, i: int, ev: Evaluation) -> None:
        loc: Loc = ("evaluations", i)
        for j, ref in enumerate(ev.models):
            if not isinstance(ev, ResponsesJobEvaluation):  # models name response sources, not Bedrock models
                self._model_ref(ref, (*loc, "models", j))
        if len(set(ev.models)) != len(ev.models):
            self._add((*loc, "models"), "a model is listed twice (list each once; use `repeats` to repeat)")
        self._model_ref(ev.judge, (*loc, "judge"))
        judge = ev.judge or self.suite.defaults.judge
        names: set[str] = set()
        for j, metric in enumerate(ev.metrics):
            mloc = (*loc, "metrics", j)
            if metric.name in names:
                self._add(mloc, f"metric '{metric.name}' appears twice (give one a different `name:`)")
            names.add(metric.name)
            self._metric_fits_mode(ev, metric, mloc, judge)
        if not ev.metrics:
            self._add(
                (*loc, "metrics"),
                "no metrics (add at least one, e.g. `- exact_match` or `- Builtin.Correctness`)",
            )
        self._thresholds(loc, ev.thresholds, names, ev.models)
        if ev.system is not None and isinstance(ev, DirectEvaluation | BatchEvaluation):
            for ref in ev.models:
                problem = system_problem(self.suite.model_spec(ref).id)
                if problem is not None:
                    self._add((*loc, "system"), problem)
        if isinstance(ev, JobEvaluation):
            for where, message in job_problems(ev):
                self._add((*loc, *where), message)
            for model_loc, message in job_model_problems(self.suite, i, ev):
                self._add(model_loc, message)
        path = self._file(ev.dataset, (*loc, "dataset"))
        if path is None:
            return
        needed = template_fields(ev.prompt) | template_fields(ev.system or "")
        for metric in ev.metrics:
            if isinstance(metric, CheckMetric) and isinstance(metric.arg, str):
                needed |= template_fields(metric.arg)
            if isinstance(metric, CheckMetric) and CHECKS[metric.check].needs_reference:
                needed.add(REFERENCE_FIELD)
        needed.discard("prediction")
        display = str(self.loaded.path.parent / ev.dataset)
        found: list[Problem] = []  # reported only when the file itself reads without problems

        def check(record: Record) -> None:
            if len(found) > 40:
                return
            missing = sorted(f for f in needed if f not in record.fields)
            if missing:
                problem = (
                    f"missing field '{missing[0]}' (used by evaluation '{ev.name}': its prompt, system or metrics)"
                )
                found.append(Problem(display, problem, record.line))
            elif not isinstance(record.fields.get("prompt", ""), str):
                found.append(Problem(display, "field 'prompt' must be text", record.line))

        records = self._dataset(path, ev.dataset, check)
        if records is None:
            return
        self.loaded.datasets[ev.name] = records
        if isinstance(ev, BatchEvaluation):
            repeats = ev.repeats or self.suite.defaults.repeats
            for where, message in batch_problems(self.suite, ev, len(records) * repeats):
                self._add((*loc, *where), message)
        if isinstance(ev, JobEvaluation):
            shown = str(self.loaded.path.parent / ev.dataset)
            self.problems.extend(Problem(shown, message, line) for line, message in dataset_problems(ev, records))
        if isinstance(ev, ResponsesJobEvaluation):
            self._responses(ev, (*loc, "responses"), records)
        self.problems.extend(found)

    def _responses(self, ev: ResponsesJobEvaluation, loc: Loc, records: Dataset) -> None:
        path = self._file(ev.responses, loc)
        responses = self._records(path, ev.responses) if path is not None else None
        if responses is None:
            return
        self.loaded.responses[ev.name] = responses
        display = str(self.loaded.path.parent / ev.responses)
        for line, message in response_problems(ev, records, responses):
            self.problems.append(Problem(display, message, line))

    def _metric_fits_mode(self, ev: Evaluation, metric: Any, loc: Loc, judge: str | None) -> None:
        direct = isinstance(ev, ScoredHere)
        if isinstance(metric, CheckMetric):
            if isinstance(ev, BatchEvaluation) and metric.check == "latency_ms":
                self._add(loc, f"check '{metric.name}': batch inference measures no latency (use mode: direct)")
            if not direct:
                self._add(
                    loc,
                    f"check '{metric.name}' runs in direct mode only (use mode: direct or a Builtin metric)",
                )
            self._check_argument(metric, loc)
        elif isinstance(metric, BuiltinMetric):
            if direct and metric.name in bedrock_metrics.ALGORITHMIC:
                self._add(
                    loc,
                    f"{metric.name} is computed by managed jobs only (use mode: bedrock-job, or token_f1 in "
                    "direct mode: what Bedrock computes as accuracy for question answering)",
                )
            elif metric.name in bedrock_metrics.RAG:
                self._add(loc, f"{metric.name} is a knowledge-base metric (declare it in a `knowledge_bases:` section)")
            elif metric.name in bedrock_metrics.JUDGE and judge is None:
                self._add(loc, f"{metric.name} needs a judge model (set `judge:` here or `defaults.judge`)")
        elif isinstance(metric, CustomJudgeMetric):
            self._model_ref(metric.judge, (*loc, "judge"))
            if (metric.judge or judge) is None:
                self._add(loc, f"custom metric '{metric.name}' needs a judge model (set `defaults.judge`)")
            if len({type(level.value) for level in metric.rating_scale}) > 1:
                self._add((*loc, "rating_scale"), "rating values must be all numbers or all text")

    def _check_argument(self, metric: CheckMetric, loc: Loc) -> None:
        problem = CHECKS[metric.check].argument_problem(metric.arg)
        if problem is not None:
            self._add(loc, problem)

    def _thresholds(self, loc: Loc, thresholds: dict[str, Any], metrics: set[str], models: list[str]) -> None:
        kind = loc[0]
        allowed = set(metrics) | set(metric_names.COMMON_AGGREGATES) | set(metric_names.LATENCY_AGGREGATES)
        if kind in ("evaluations", "knowledge_bases"):
            allowed |= set(metric_names.EVALUATION_AGGREGATES)
        if kind == "guardrails":
            allowed |= set(metric_names.GUARDRAIL_AGGREGATES)
        if kind == "agents":
            allowed |= set(metric_names.AGENT_AGGREGATES)
        for key, threshold in thresholds.items():
            tloc = (*loc, "thresholds", key)
            if key not in allowed:
                guess = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f"did you mean '{guess[0]}'?" if guess else "use a metric of this section or an aggregate"
                self._add(tloc, f"threshold on unknown metric '{key}' ({hint})", prefer_key=True)
            for which in ("min", "max"):
                bound = threshold.bound(which)
                if bound is not None and bound.on != "value" and not metric_names.has_interval(key):
                    self._add((*tloc, which, "on"), f"'{key}' has no confidence interval: use a plain {which}")
            for j, model in enumerate(threshold.models or []):
                if model not in models:
                    self._add((*tloc, "models", j), f"model '{model}' is not in this section's models")

    # ---- knowledge bases ----

    def _knowledge_bases(self, i: int, kb: KnowledgeBaseSection) -> None:
        loc: Loc = ("knowledge_bases", i)
        job_mode = isinstance(kb, JobKnowledgeBaseSection)
        self._model_ref(kb.model, (*loc, "model"))
        self._model_ref(kb.judge, (*loc, "judge"))
        judge = kb.judge or self.suite.defaults.judge
        retrieve_only = kb.operation == "retrieve"
        names: set[str] = set()
        needed: set[str] = {"prompt"}
        for j, metric in enumerate(kb.metrics):
            mloc = (*loc, "metrics", j)
            if metric.name in names:
                self._add(mloc, f"metric '{metric.name}' appears twice (give one a different `name:`)")
            names.add(metric.name)
            if job_mode and not isinstance(metric, BuiltinMetric):
                self._add(
                    mloc, f"'{metric.name}' is computed by evalcore: mode bedrock-job takes Bedrock's RAG metrics"
                )
                continue
            if job_mode and metric.name not in bedrock_metrics.rag_job_metrics(kb.operation):
                allowed = ", ".join(bedrock_metrics.rag_job_metrics(kb.operation))
                self._add(mloc, f"Bedrock's {kb.operation} RAG jobs do not take {metric.name} (they take {allowed})")
                continue
            if isinstance(metric, RetrievalMetric):
                continue
            if isinstance(metric, CheckMetric | CustomJudgeMetric) and retrieve_only:
                self._add(mloc, f"'{metric.name}' scores an answer: operation retrieve generates none")
                continue
            if isinstance(metric, CheckMetric):
                self._check_argument(metric, mloc)
                if isinstance(metric.arg, str):
                    needed |= template_fields(metric.arg)
                if CHECKS[metric.check].needs_reference:
                    needed.add(REFERENCE_FIELD)
                continue
            if isinstance(metric, BuiltinMetric):
                if metric.name not in bedrock_metrics.KNOWLEDGE_BASE_JUDGE:
                    self._add(
                        mloc,
                        f"{metric.name} is not a knowledge-base metric (use one of "
                        f"{', '.join(metric_names.RETRIEVAL + bedrock_metrics.KNOWLEDGE_BASE_JUDGE)})",
                    )
                    continue
                if retrieve_only and metric.name not in bedrock_metrics.RETRIEVE_ONLY_JUDGE:
                    self._add(
                        mloc,
                        f"{metric.name} judges a generated answer: operation retrieve takes "
                        f"{' and '.join(bedrock_metrics.RETRIEVE_ONLY_JUDGE)} (or use operation retrieve-and-generate)",
                    )
                    continue
                if metric.name in ("Builtin.ContextCoverage", "Builtin.Correctness", "Builtin.Completeness"):
                    needed.add(REFERENCE_FIELD)
            else:
                self._model_ref(metric.judge, (*mloc, "judge"))
            if (getattr(metric, "judge", None) or judge) is None:
                self._add(mloc, f"{metric.name} needs a judge model (set `judge:` here or `defaults.judge`)")
        if not kb.metrics:
            self._add(
                (*loc, "metrics"), "no metrics (add at least one, e.g. `- recall_at_k` or `- Builtin.Faithfulness`)"
            )
        self._thresholds(loc, kb.thresholds, names, list(kb.targets))
        path = self._file(kb.dataset, (*loc, "dataset"))
        if path is None:
            return
        display = str(self.loaded.path.parent / kb.dataset)
        retrieval = any(isinstance(m, RetrievalMetric) for m in kb.metrics)
        for own in (t for t in kb.targets.values() if isinstance(t, PrecomputedRagTarget)):
            needed.add(own.passages_field)
            if not retrieve_only:
                needed.add(own.response_field)
        found: list[Problem] = []  # reported only when the file itself reads without problems

        def check(record: Record) -> None:
            if len(found) > 40:
                return
            missing = sorted(f for f in needed if f not in record.fields)
            if missing:
                message = f"missing field '{missing[0]}' (used by knowledge-base section '{kb.name}')"
            elif not isinstance(record.fields["prompt"], str) or not record.fields["prompt"].strip():
                message = "field 'prompt' must be non-empty text (the question sent to the knowledge base)"
            elif retrieval and not any(expected_items(record.fields)):
                message = (
                    f"no {SOURCES_FIELD} nor {PASSAGES_FIELD} (the retrieval metrics of section '{kb.name}' "
                    "score the passages against them)"
                )
            else:
                return
            found.append(Problem(display, message, record.line))

        records = self._dataset(path, kb.dataset, check)
        if records is None:
            return
        self.loaded.datasets[kb.name] = records
        self.problems.extend(found)

    # ---- guardrails ----

    def _guardrails(self, i: int, gr: GuardrailSection) -> None:
        loc: Loc = ("guardrails", i)
        self._model_ref(gr.model, (*loc, "model"))
        if gr.via == "converse" and gr.model is not None:
            problem = guardrail_problem(self.suite.model_spec(gr.model).id)
            if problem is not None:
                self._add((*loc, "model"), problem)
        self._thresholds(loc, gr.thresholds, set(gr.rate_names()), [gr.model] if gr.model else [])
        resolved: list[ResolvedProbe] = []
        for j, entry in enumerate(gr.probes):
            ploc = (*loc, "probes", j)
            if isinstance(entry, ProbeFile):
                resolved.extend(self._probe_file(entry.file, (*ploc, "file")))
            else:
                pos = self.doc.position(ploc)
                resolved.append(ResolvedProbe(entry, f"{self.doc.file}:{pos.line if pos else 0}"))
        if gr.via == "invoke":
            for r in resolved:
                if r.probe.grounding_source is not None:
                    file, _, line = r.origin.rpartition(":")
                    self.problems.append(
                        Problem(
                            file,
                            "contextual grounding probes need via apply or converse (InvokeModel has no "
                            "grounding source)",
                            int(line) or None,
                        )
                    )
        self.loaded.probes[gr.name] = resolved

    def _probe_file(self, rel: str, loc: Loc) -> list[ResolvedProbe]:
        path = self._file(rel, loc)
        if path is None:
            return []
        records = self._records(path, rel)
        if records is None:
            return []
        display = str(self.loaded.path.parent / rel)
        out: list[ResolvedProbe] = []
        for record in records:
            data = {k: v for k, v in record.fields.items() if v not in ("", None)}
            if isinstance(data.get("tags"), str):
                data["tags"] = [t.strip() for t in data["tags"].split(",") if t.strip()]
            try:
                out.append(ResolvedProbe(Probe.model_validate(data), f"{display}:{record.line}"))
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    where = ".".join(str(p) for p in err["loc"]) or "probe"
                    self.problems.append(Problem(display, f"{where}: {err['msg']}", record.line))
        return out

    # ---- agents ----

    def _agents(self, i: int, ag: AgentSection) -> None:
        loc: Loc = ("agents", i)
        self._thresholds(loc, ag.thresholds, {metric_names.agentcore_metric(e) for e in ag.agentcore_evaluators}, [])
        if ag.plan is not None:
            self._plan(ag, ag.plan, (*loc, "plan"))
            return
        if ag.target is None:  # AgentSection's own rule refuses this before any check
            return
        target = self._target(ag.target.model_dump(), (*loc, "target"), self.doc.file, self.doc)
        if target is None:
            return
        if ag.evaluation is not None:
            self._agentcore_batch(loc, ag, target)
            return
        if not self._conversations_complete(ag, loc):
            return
        model_id = None  # a section of only `tool:` tests calls no evaluator
        if ag.evaluator is not None:
            model = ag.evaluator.model
            model_id = EVALUATOR_ALIASES.get(model) or self.suite.model_spec(model).id
            self._model_ref(model if model not in EVALUATOR_ALIASES else None, (*loc, "evaluator", "model"))
            if model in EVALUATOR_ALIASES:
                self._served(model_id, (*loc, "evaluator", "model"))
        if ag.agentcore_evaluators and not isinstance(target, AgentCoreRuntimeTarget):
            self._problem_at(
                self.doc,
                self.doc.file,
                (*loc, "agentcore_evaluators"),
                "AgentCore Evaluations score an AgentCore Runtime session's spans: the target must be agentcore-runtime",
            )
            return
        if not self._tool_tests_match(ag, target, loc):
            return
        self.loaded.agents[ag.name] = ResolvedAgents(
            ag.evaluator, model_id, target, dict(ag.tests), self.base, list(ag.agentcore_evaluators)
        )

    def _conversations_complete(self, ag: AgentSection, loc: Loc) -> bool:
        """A conversation test (not a `tool:` call) has `steps` and `expected_results`, and the section an
        `evaluator` to talk to the target."""
        complete = True
        for name, test in ag.tests.items():
            if test.tool is not None:
                continue
            if not (test.steps and test.expected_results):
                message = "a test needs `steps` and `expected_results` (or a `tool:` call)"
            elif ag.evaluator is None:
                message = (
                    f"test '{name}' is a conversation: the section needs an `evaluator` (only a section of `tool:` "
                    "tests runs without one)"
                )
            else:
                continue
            self._problem_at(self.doc, self.doc.file, (*loc, "tests", name), message)
            complete = False
        return complete

    def _tool_tests_match(self, ag: AgentSection, target: Any, loc: Loc) -> bool:
        """An agentcore-mcp target runs `tool:` tests only, and only it runs them."""
        mcp = isinstance(target, AgentCoreMcpTarget)
        wrong = [name for name, test in ag.tests.items() if (test.tool is None) == mcp]
        for name in wrong:
            message = (
                "an agentcore-mcp target calls tools: give the test a `tool:` (name, arguments, checks)"
                if mcp
                else "a `tool:` test calls an MCP server's tool: the target must be agentcore-mcp"
            )
            self._problem_at(self.doc, self.doc.file, (*loc, "tests", name), message)
        return not wrong

    def _agentcore_batch(self, loc: Loc, ag: AgentSection, target: Any) -> None:
        """mode agentcore-batch: an agentcore-runtime target given by ARN, at most 10 evaluators (botocore's
        bedrock-agentcore model: StartBatchEvaluationRequestEvaluatorsList max 10)."""
        if not isinstance(target, AgentCoreRuntimeTarget):
            why = "mode agentcore-batch runs the dataset against an AgentCore Runtime: the target must be agentcore-runtime"
            self._problem_at(self.doc, self.doc.file, (*loc, "evaluation", "mode"), why)
            return
        if len(ag.agentcore_evaluators) > 10:
            why = "a batch evaluation takes at most 10 evaluators"
            self._problem_at(self.doc, self.doc.file, (*loc, "agentcore_evaluators"), why)
            return
        # AgentCore runs each scenario once, in its own runtime session (botocore's bedrock-agentcore model,
        # AgentCoreRuntimeInvocation; DatasetExecutionConfig has no repeat count): k cases would be one result k times.
        repeated = [name for name, test in ag.tests.items() if (test.repeats or 1) > 1]
        for name in repeated:
            why = "mode agentcore-batch runs each scenario once: `repeats` above 1 would copy one result (remove it)"
            self._problem_at(self.doc, self.doc.file, (*loc, "tests", name, "repeats"), why)
        if repeated:
            return
        self.loaded.agents[ag.name] = ResolvedAgents(
            None, None, target, dict(ag.tests), self.base, list(ag.agentcore_evaluators), ag.evaluation
        )

    def _target(self, data: dict[str, Any], loc: Loc, file: str, doc: YamlDocument | None) -> Any:
        kind = str(data.get("type", ""))
        cls = BUILTIN_TARGETS.get(kind)
        if cls is None and "." not in kind:
            guess = difflib.get_close_matches(kind, list(BUILTIN_TARGETS), n=1)
            hint = f"did you mean '{guess[0]}'?" if guess else f"one of {', '.join(BUILTIN_TARGETS)}."
            self._problem_at(
                doc, file, (*loc, "type"), f"unknown target type '{kind}' ({hint} Or a dotted path to your own class.)"
            )
            return None
        try:
            return (cls or CustomTarget).model_validate(data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                eloc = (*loc, *err["loc"])
                msg = err["msg"]
                if err["type"] == "extra_forbidden":
                    msg = f"unknown key for a {kind} target (keys: {', '.join(cls.model_fields) if cls else ''})"
                elif err["type"] == "missing":
                    msg = f"missing required key '{err['loc'][-1]}' for a {kind} target"
                    eloc = loc
                self._problem_at(doc, file, eloc, msg)
            return None

    def _problem_at(self, doc: YamlDocument | None, file: str, loc: Loc, message: str) -> None:
        if doc is not None:
            self.problems.append(doc.problem(loc, message))
        else:
            self.problems.append(Problem(file, message))

    def _plan(self, ag: AgentSection, plan_file: str, loc: Loc) -> None:
        path = self._file(plan_file, loc)
        if path is None:
            return
        display = str(self.loaded.path.parent / plan_file)
        raw = path.read_bytes()
        try:
            plan_doc = load_yaml(decode_text(raw, display), display)
        except InputError as exc:
            self.problems.extend(exc.problems)
            return
        self.digest.update(raw)
        try:
            plan = AgentevalPlan.model_validate(plan_doc.data)
        except ValidationError as exc:
            self.problems.extend(problems_from(exc, AgentevalPlan, plan_doc))
            return
        target = self._target(plan.target, ("target",), display, plan_doc)
        if target is None:
            return
        if plan.evaluator.model is not None:
            self._served(plan.evaluator.model_id(), ("evaluator", "model"), plan_doc, display)
        evaluator = Evaluator(
            model=plan.evaluator.model_id(),
            region=plan.evaluator.aws_region,
            endpoint_url=plan.evaluator.endpoint_url,
            max_retry=plan.evaluator.max_retry,
        )
        tests = {name: AgentTest(**t.model_dump()) for name, t in plan.tests.items()}
        self.loaded.agents[ag.name] = ResolvedAgents(evaluator, evaluator.model, target, tests, path.parent)


def _looks_like_model_id(ref: str) -> bool:
    """Model ids, inference profile ids and ARNs all contain a dot, a colon or start with arn:."""
    return ref.startswith("arn:") or "." in ref or ":" in ref
