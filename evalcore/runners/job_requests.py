"""What a `mode: bedrock-job` section sends: its cases cut into jobs (one per model and per 1,000 prompts), each
job's dataset in Bedrock's JSONL and its CreateEvaluationJob request. Pure: nothing here calls AWS.

A dataset line carries only Bedrock's fields (`prompt`, `referenceResponse`, `category`, and for bring your own
inference `modelResponses`): Bedrock has no record id and echoes these fields in each output record's
`inputRecord`. So a case is found again by its line's content (`record_key`); see `job_results` for how
identical lines (duplicate prompts, repeats) are told apart.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import re
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from evalcore.aws_facts import bedrock_metrics
from evalcore.domain.plan import Case, EvaluationItem
from evalcore.runners.case_store import CaseStore
from evalcore.suite.job_checks import task_type
from evalcore.suite.load import LoadedSuite
from evalcore.suite.models import (
    BuiltinMetric,
    CustomJudgeMetric,
    Evaluation,
    Inference,
    JobEvaluation,
    JobSettings,
    KnowledgeBaseSection,
)
from evalcore.suite.template import render

MAX_PROMPTS_PER_JOB = 1000
# Bedrock's pattern for one segment of an S3 URI path (datasets and outputs).
_S3_SEGMENT_UNSAFE = re.compile(r"[^-!_*'().a-zA-Z0-9]+")

RecordKey = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class SectionTarget:
    """Where a section's jobs read and write, and who they run as."""

    suite: str
    section: str
    run_id: str
    bucket: str
    prefix: str  # the key prefix of job.s3_uri, without slashes at either end

    @classmethod
    def of(
        cls, loaded: LoadedSuite, evaluation: Evaluation | KnowledgeBaseSection, run_id: str, s3_uri: str
    ) -> SectionTarget:
        """At `s3_uri`: the section's `job.s3_uri` (bedrock-job) or `batch.s3_uri` (batch, auto)."""
        bucket, _, prefix = s3_uri.removeprefix("s3://").partition("/")
        return cls(loaded.suite.name, evaluation.name, run_id, bucket, prefix.strip("/"))

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def dataset_key(self, dataset: str, name: str, shard: int) -> tuple[str, str]:
        """A job's dataset file: the suite's dataset name (the job's `datasetName`) and its S3 key, one per run,
        section, model or knowledge base, and shard."""
        dataset_name = safe_segment(PurePosixPath(dataset).stem)[:63] or "dataset"
        key = self.key(
            safe_segment(self.suite),
            self.run_id,
            safe_segment(self.section),
            f"{dataset_name}-{safe_segment(name)}-{shard}.jsonl",
        )
        return dataset_name, key

    def output_uri(self) -> str:
        """Bedrock writes a job's results under `<this>/<jobName>/`."""
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


@dataclass(frozen=True)
class JobPlan:
    """One evaluation job: its cases in dataset order, the dataset lines and the CreateEvaluationJob request."""

    name: str
    section: str
    model: str  # the model's name in the suite
    model_id: str  # the Bedrock model id, or the inference source identifier (bring your own inference)
    shard: int  # 1-based, per model
    case_ids: list[str]
    lines: list[dict[str, Any]]
    dataset_key: str
    request: dict[str, Any]
    spilled: Path | None = None  # the dataset written to this file as it was made (`lines` then empty): a batch job

    @functools.cached_property
    def _lines_by_case(self) -> dict[str, dict[str, Any]]:
        return dict(zip(self.case_ids, self.lines, strict=True))

    def line_of(self, case_id: str) -> dict[str, Any]:
        return self._lines_by_case[case_id]

    def dataset_jsonl(self) -> bytes | BinaryIO:
        """The dataset's JSONL, read from its spill file as it is sent when there is one."""
        if self.spilled is not None:
            return self.spilled.open("rb")
        return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in self.lines).encode()


def record_key(record: dict[str, Any]) -> RecordKey:
    """What identifies a dataset line in an output record's `inputRecord`: its prompt, reference and category, or
    for a RAG line (`conversationTurns`, see `rag_job_requests`) or turn its (last) turn's prompt and first
    reference."""
    turns = record.get("conversationTurns")
    if isinstance(turns, list) and turns and isinstance(turns[-1], dict):
        record = turns[-1]
    if isinstance(record.get("prompt"), dict):  # a RAG turn (a RAG output record's `inputRecord` is its turn)
        return (_turn_text(record["prompt"]) or "", _turn_text(_first(record.get("referenceResponses"))), None)
    reference, category = record.get("referenceResponse"), record.get("category")
    return (
        str(record.get("prompt", "")),
        None if reference is None else str(reference),
        None if category is None else str(category),
    )


def _first(items: Any) -> Any:
    return items[0] if isinstance(items, list) and items else None


def _turn_text(holder: Any) -> str | None:
    """The text of a RAG turn's `prompt` or reference: `{"content": [{"text": ...}]}`."""
    try:
        text = holder["content"][0]["text"]
    except (KeyError, IndexError, TypeError):
        return None
    return text if isinstance(text, str) else None


def plan_jobs(
    loaded: LoadedSuite,
    evaluation: JobEvaluation,
    target: SectionTarget,
    store: CaseStore,
    responses: dict[str, dict[str, str]] | None = None,
    covered: Container[str] = frozenset(),
) -> Iterator[JobPlan]:
    """The jobs for the cases of `store` but `covered`: per model, in the cases' order, 1,000 prompts a job, each
    made when the one before has been taken (a job's cases are read from the store as it is made).

    `responses` (bring your own inference) maps a model name to {case id: response}."""
    for model, count in store.counts.items():
        left = (c for c in store.of_model(model) if c.id not in covered)
        total = sum(1 for c in store.of_model(model) if c.id not in covered) if covered else count
        shards = math.ceil(total / MAX_PROMPTS_PER_JOB)
        own = (responses or {}).get(str(model))
        for number in range(1, shards + 1):
            shard_cases = list(itertools.islice(left, MAX_PROMPTS_PER_JOB))
            yield _job(loaded, evaluation, target, str(model), number, shards, shard_cases, own)


def _job(
    loaded: LoadedSuite,
    evaluation: JobEvaluation,
    target: SectionTarget,
    model: str,
    shard: int,
    shards: int,
    cases: list[Case],
    responses: dict[str, str] | None,
) -> JobPlan:
    suite = loaded.suite
    model_id = model if responses is not None else suite.model_spec(model).id
    lines = [dataset_line(evaluation, case, model_id, responses) for case in cases]
    case_ids = [c.id for c in cases]
    name = job_name(target, model, shard, case_ids)
    dataset_name, dataset_key = target.dataset_key(evaluation.dataset, model, shard)
    request = job_request(target, evaluation.job, name, model, shard, shards)
    request["evaluationConfig"] = {
        "automated": _automated(
            loaded, evaluation, dataset_name, f"s3://{target.bucket}/{dataset_key}", task_type(evaluation)
        )
    }
    request["inferenceConfig"] = {"models": [_model_config(loaded, evaluation, model, model_id, responses is not None)]}
    return JobPlan(name, target.section, model, model_id, shard, case_ids, lines, dataset_key, request)


def job_request(
    target: SectionTarget, job: JobSettings, name: str, model: str, shard: int, shards: int
) -> dict[str, Any]:
    """What every CreateEvaluationJob request of evalcore carries (model and RAG jobs alike): name, description,
    idempotency token, role, output location, tags and key; the caller adds evaluationConfig and inferenceConfig."""
    tags = {
        **job.tags,
        "evalcore:suite": target.suite,
        "evalcore:section": target.section,
        "evalcore:model": model,
        "evalcore:run-id": target.run_id,
    }
    request: dict[str, Any] = {
        "jobName": name,
        "jobDescription": f"evalcore {target.suite}/{target.section}: {model}, part {shard} of {shards}"[:200],
        "clientRequestToken": hashlib.sha256(name.encode()).hexdigest()[:32],
        "roleArn": job.role_arn,
        "applicationType": "ModelEvaluation",
        "outputDataConfig": {"s3Uri": target.output_uri()},
        "jobTags": [{"key": k, "value": v} for k, v in tags.items()],
    }
    if job.kms_key_id:
        request["customerEncryptionKeyId"] = job.kms_key_id
    return request


def dataset_line(
    evaluation: Evaluation, case: Case, model_id: str, responses: dict[str, str] | None = None
) -> dict[str, Any]:
    """A case as a line of Bedrock's dataset: the prompt rendered from the section's template."""
    fields = case.item_as(EvaluationItem).fields
    line: dict[str, Any] = {"prompt": render(evaluation.prompt, fields)}
    for name in ("referenceResponse", "category"):
        if fields.get(name) not in (None, ""):
            line[name] = str(fields[name])
    if responses is not None:
        line["modelResponses"] = [{"response": responses[case.id], "modelIdentifier": model_id}]
    return line


def job_name(target: SectionTarget, model: str, shard: int, case_ids: Sequence[str]) -> str:
    """`[a-z0-9](-*[a-z0-9]){0,62}`: readable parts (suite, section, model, shard) and a hash of everything that
    makes the job unique (they and the run id and the job's cases), so names never collide across runs."""
    digest = hashlib.sha256(
        json.dumps([target.suite, target.section, model, shard, target.run_id, list(case_ids)]).encode()
    ).hexdigest()[:10]
    tail = f"-{shard}-{digest}"
    readable = "-".join(_slug(p) for p in (target.suite, target.section, model) if _slug(p))
    name = f"{readable[: 63 - len(tail)].strip('-')}{tail}".strip("-")
    return name


def _slug(text: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")


def safe_segment(text: str) -> str:
    """`text` usable as one segment of an S3 URI that Bedrock accepts."""
    return _S3_SEGMENT_UNSAFE.sub("-", text).strip("-")


def judge_of(loaded: LoadedSuite, evaluation: Evaluation | KnowledgeBaseSection) -> str | None:
    name = evaluation.judge or loaded.suite.defaults.judge
    return loaded.suite.model_spec(name).id if name else None


def _automated(
    loaded: LoadedSuite, evaluation: Evaluation, dataset_name: str, dataset_uri: str, task_type: str
) -> dict[str, Any]:
    builtin = [m.name for m in evaluation.metrics if isinstance(m, BuiltinMetric)]
    custom = [m for m in evaluation.metrics if isinstance(m, CustomJudgeMetric)]
    automated: dict[str, Any] = {
        "datasetMetricConfigs": [
            {
                "taskType": task_type,
                "dataset": {"name": dataset_name, "datasetLocation": {"s3Uri": dataset_uri}},
                "metricNames": [*builtin, *(m.name for m in custom)],
            }
        ]
    }
    custom_judge = next((m.judge for m in custom if m.judge), None)
    custom_id = loaded.suite.model_spec(custom_judge).id if custom_judge else None
    judge = judge_of(loaded, evaluation) or custom_id
    if judge is not None and (custom or any(name in bedrock_metrics.JUDGE for name in builtin)):
        automated["evaluatorModelConfig"] = {"bedrockEvaluatorModels": [{"modelIdentifier": judge}]}
    if custom:
        automated["customMetricConfig"] = {
            "customMetrics": [{"customMetricDefinition": _custom_definition(m)} for m in custom],
            "evaluatorModelConfig": {"bedrockEvaluatorModels": [{"modelIdentifier": custom_id or judge}]},
        }
    return automated


def _custom_definition(metric: CustomJudgeMetric) -> dict[str, Any]:
    return {
        "name": metric.name,
        "instructions": metric.instructions,
        "ratingScale": [
            {
                "definition": level.definition,
                "value": {"stringValue": level.value} if isinstance(level.value, str) else {"floatValue": level.value},
            }
            for level in metric.rating_scale
        ],
    }


def _model_config(
    loaded: LoadedSuite, evaluation: Evaluation, model: str, model_id: str, precomputed: bool
) -> dict[str, Any]:
    if precomputed:
        return {"precomputedInferenceSource": {"inferenceSourceIdentifier": model_id}}
    suite = loaded.suite
    inference = suite.defaults.inference.merged(suite.model_spec(model).inference).merged(evaluation.inference)
    return {"bedrockModel": {"modelIdentifier": model_id, "inferenceParams": inference_params(inference)}}


def inference_params(inference: Inference) -> str:
    """Bedrock's `inferenceParams`: a JSON *string* in Converse's shape."""
    config = {
        "maxTokens": inference.max_tokens,
        "temperature": inference.temperature,
        "topP": inference.top_p,
        "stopSequences": inference.stop_sequences,
    }
    return json.dumps({"inferenceConfig": {k: v for k, v in config.items() if v is not None}})
