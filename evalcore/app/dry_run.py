"""`evalcore run --dry-run`: what a run would send, as JSON on stdout; nothing is called, written or created.

Managed-job sections show each CreateEvaluationJob request in full and the dataset objects they would write;
batch sections each CreateModelInvocationJob request and its records object (and the calls of the cases that would
run direct, and the judge's); the other sections show which operation each would call, on what, and how often.
No credentials are read. The estimated cost (evalcore.app.cost_estimate) ends the JSON, and its table goes to stderr.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections import Counter
from collections.abc import Iterable
from typing import IO, Any

from evalcore.app.cost_estimate import METHOD, estimate, table
from evalcore.domain.plan import Case, Plan
from evalcore.runners.batch import plan_batch_jobs, split_models
from evalcore.runners.case_store import CaseStore
from evalcore.runners.direct import targets_for
from evalcore.runners.job_requests import SectionTarget, plan_jobs
from evalcore.runners.job_responses import responses_for
from evalcore.suite.load import LoadedSuite
from evalcore.suite.models import (
    BatchEvaluation,
    BuiltinMetric,
    CustomJudgeMetric,
    DirectEvaluation,
    Evaluation,
    GuardrailSection,
    JobEvaluation,
)


def print_dry_run(loaded: LoadedSuite, plan: Plan, out: IO[str]) -> None:
    """The JSON is written section by section as each is made; a section's cases are read as they come."""
    run_id = uuid.uuid4().hex[:12]
    head = json.dumps({"suite": loaded.suite.name, "run_id": run_id}, indent=2, ensure_ascii=False)
    out.write(head[: head.rindex("\n}")] + ',\n  "sections": [')
    written = 0
    for section in loaded.suite.sections():
        cases = plan.cases.of(section.name)  # re-iterable: each pass reads them again
        if not len(cases):
            continue
        if isinstance(section, JobEvaluation):
            found = _jobs(loaded, section, cases, run_id)
        elif isinstance(section, BatchEvaluation):
            found = _batch(loaded, section, cases, run_id)
        else:
            found = _calls(loaded, section, cases)
        text = json.dumps(found, indent=2, ensure_ascii=False).replace("\n", "\n    ")
        out.write(("," if written else "") + "\n    " + text)
        written += 1
    rows = estimate(loaded, plan)
    priced = [r.usd for r in rows if r.usd is not None]
    cost = {
        "rows": [r.as_json() for r in rows],
        "total_usd": round(sum(priced), 6),
        "unknown_rows": len(rows) - len(priced),
        "method": METHOD,
    }
    text = json.dumps(cost, indent=2, ensure_ascii=False).replace("\n", "\n  ")
    out.write(("\n  ]" if written else "]") + f',\n  "estimated_cost": {text}\n}}\n')
    for line in table(rows):
        print(line, file=sys.stderr)


def _jobs(loaded: LoadedSuite, evaluation: JobEvaluation, cases: Iterable[Case], run_id: str) -> dict[str, Any]:
    target = SectionTarget.of(loaded, evaluation, run_id, evaluation.job.s3_uri)
    writes, requests = [], []
    with CaseStore(cases) as store:
        for job in plan_jobs(loaded, evaluation, target, store, responses_for(loaded, evaluation, store.cases())):
            uri = f"s3://{target.bucket}/{job.dataset_key}"
            writes.append({"operation": "s3:PutObject", "uri": uri, "records": len(job.lines)})
            requests.append({"operation": "bedrock:CreateEvaluationJob", "input": job.request})
    return {
        "section": evaluation.name,
        "mode": "bedrock-job",
        "checks": [{"operation": "s3:HeadBucket", "bucket": target.bucket}],
        "writes": writes,
        "requests": requests,
    }


def _batch(loaded: LoadedSuite, evaluation: BatchEvaluation, cases: Iterable[Case], run_id: str) -> dict[str, Any]:
    with CaseStore(cases) as store:
        batched, direct = split_models(evaluation, store.counts)
        target = SectionTarget.of(loaded, evaluation, run_id, evaluation.batch.s3_uri)
        firsts = [next(store.of_model(m)) for m in batched]  # the models' targets: one case a model
        writes, requests = [], []
        for job in plan_batch_jobs(evaluation, targets_for(loaded.suite, evaluation, firsts), target, store, batched):
            uri = f"s3://{target.bucket}/{job.dataset_key}"
            writes.append({"operation": "s3:PutObject", "uri": uri, "records": len(job.case_ids)})
            requests.append({"operation": "bedrock:CreateModelInvocationJob", "input": job.request})
        calls = _calls(loaded, evaluation, store.of_models(batched))["calls"]
        judged = [c for c in calls if c["operation"].endswith("(judge)")]
        return {
            "section": evaluation.name,
            "mode": evaluation.mode,
            "checks": [{"operation": "s3:HeadBucket", "bucket": target.bucket}] if requests else [],
            "writes": writes,
            "requests": requests,
            "calls": [*judged, *(_calls(loaded, evaluation, store.of_models(direct))["calls"] if direct else [])],
        }


def _calls(loaded: LoadedSuite, section: Any, cases: Iterable[Any]) -> dict[str, Any]:
    suite = loaded.suite
    counts: Counter[tuple[str, str]] = Counter()
    if isinstance(section, Evaluation):
        judged = [m for m in section.metrics if isinstance(m, BuiltinMetric | CustomJudgeMetric)]
        judge = section.judge or suite.defaults.judge
        for case in cases:
            counts[("bedrock-runtime:Converse", suite.model_spec(case.model).id)] += 1
            for metric in judged:
                name = getattr(metric, "judge", None) or judge
                if name is not None:
                    counts[("bedrock-runtime:Converse (judge)", suite.model_spec(name).id)] += 1
        kind = (
            f"{section.mode} evaluation"
            if isinstance(section, DirectEvaluation | BatchEvaluation | JobEvaluation)
            else "evaluation"
        )
    elif isinstance(section, GuardrailSection):
        operation = {
            "apply": "bedrock-runtime:ApplyGuardrail",
            "converse": "bedrock-runtime:Converse",
            "invoke": "bedrock-runtime:InvokeModel",
        }
        counts[(operation[section.via], f"{section.guardrail.id}:{section.guardrail.version}")] += _count(cases)
        kind = "guardrail"
    else:
        counts[("agent tests (evaluator and target turns)", section.name)] += _count(cases)
        kind = "agents"
    return {
        "section": section.name,
        "mode": kind,
        "calls": [{"operation": op, "target": target, "count": n} for (op, target), n in sorted(counts.items())],
    }


def _count(cases: Iterable[Any]) -> int:
    return sum(1 for _ in cases)
