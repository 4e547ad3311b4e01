"""The checks a `mode: bedrock-job` section gets at load time, before anything is created: what Bedrock would
refuse (metric kinds mixed in one job, S3 paths, tags, KMS key, rating scales) and, for bring your own
inference, a response for every record. Locations are relative to the section (`("metrics", 2)`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from evalcore.aws_facts import bedrock_metrics
from evalcore.aws_facts.service_patterns import pattern
from evalcore.suite.datasets import Record
from evalcore.suite.models import BuiltinMetric, CustomJudgeMetric, JobEvaluation, ResponsesJobEvaluation, Suite
from evalcore.suite.problems import Loc
from evalcore.suite.template import render

# Bedrock's patterns (botocore's service model, CreateEvaluationJob).
_S3_URI = re.compile(r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?")
_TAG = re.compile(r"[a-zA-Z0-9\s._:/=+@-]*")
_KMS = re.compile(
    r"(arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:((key/[a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)))"
    r"|([a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)"
)
_SOURCE = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9._-]){0,255}")
EVALCORE_TAGS = 4  # evalcore:suite, :section, :model, :run-id
MAX_TAGS = 200
MAX_METRICS = 25
MAX_CUSTOM_METRICS = 10


def task_type(ev: JobEvaluation) -> str:
    """The job's taskType: the section's, else `General` for judge and custom-metric jobs (aws-samples/
    amazon-bedrock-samples, evaluation-observe/bedrock-llm-as-judge-evaluation/model-as-a-judge.ipynb: "must be
    General for LLMaaJ"; bedrock-eval-custom-metrics/custom-metrics-model-evaluation.ipynb sends General too), else
    `QuestionAndAnswer` (algorithmic metrics need a task type other than General)."""
    if ev.task_type is not None:
        return ev.task_type
    judged = any(isinstance(m, CustomJudgeMetric) or m.name in bedrock_metrics.JUDGE for m in ev.metrics)
    return "General" if judged else "QuestionAndAnswer"


def job_problems(ev: JobEvaluation) -> list[tuple[Loc, str]]:
    """What Bedrock would refuse in this section's jobs (mode bedrock-job)."""
    problems: list[tuple[Loc, str]] = []
    if ev.system is not None:
        problems.append(
            (("system",), "managed jobs send only the prompt: fold the system text into `prompt:` (a template)")
        )
    algorithmic = [m.name for m in ev.metrics if isinstance(m, BuiltinMetric) and m.name in bedrock_metrics.ALGORITHMIC]
    judged = [m.name for m in ev.metrics if isinstance(m, CustomJudgeMetric) or m.name in bedrock_metrics.JUDGE]
    if algorithmic and judged:
        problems.append(
            (
                ("metrics",),
                f"one job computes algorithmic metrics ({', '.join(algorithmic)}) or judge metrics "
                f"({', '.join(judged)}), not both: split them into two sections",
            )
        )
    if task_type(ev) == "Classification" and "Builtin.Toxicity" in algorithmic:
        problems.append((("metrics",), "Bedrock computes Accuracy and Robustness for Classification, not Toxicity"))
    if algorithmic and task_type(ev) == "General":
        problems.append(
            (("task_type",), "algorithmic metrics need a Bedrock task type (Generation for general text generation)")
        )
    if len(ev.metrics) > MAX_METRICS:
        problems.append((("metrics",), f"a job takes at most {MAX_METRICS} metrics"))
    custom = [m for m in ev.metrics if isinstance(m, CustomJudgeMetric)]
    if len(custom) > MAX_CUSTOM_METRICS:
        problems.append((("metrics",), f"a job takes at most {MAX_CUSTOM_METRICS} custom metrics"))
    if len({m.judge for m in custom if m.judge}) > 1:
        problems.append((("metrics",), "a job has one judge for its custom metrics: give them the same `judge:`"))
    for i, metric in enumerate(ev.metrics):
        if isinstance(metric, CustomJudgeMetric):
            problems.extend(_custom(i, metric))
    if not _S3_URI.fullmatch(ev.job.s3_uri):
        problems.append(
            (
                ("job", "s3_uri"),
                "Bedrock accepts only letters, digits and -!_*'(). in the path of an S3 URI (no spaces or //)",
            )
        )
    if len(ev.job.tags) > MAX_TAGS - EVALCORE_TAGS:
        problems.append((("job", "tags"), f"at most {MAX_TAGS - EVALCORE_TAGS} tags (evalcore adds 4)"))
    for key, value in ev.job.tags.items():
        if not (_TAG.fullmatch(key) and _TAG.fullmatch(value)) or not 1 <= len(key) <= 128 or len(value) > 256:
            problems.append(
                (("job", "tags", key), "tag keys (1-128) and values (0-256) use letters, digits, spaces and ._:/=+@-")
            )
    if ev.job.kms_key_id is not None and not _KMS.fullmatch(ev.job.kms_key_id):
        problems.append((("job", "kms_key_id"), "not a KMS key id, key ARN, alias or alias ARN"))
    if isinstance(ev, ResponsesJobEvaluation):
        for j, model in enumerate(ev.models):
            if not _SOURCE.fullmatch(model):
                problems.append((("models", j), f"'{model}' is not usable as Bedrock's inferenceSourceIdentifier"))
    return problems


def job_model_problems(suite: Suite, index: int, ev: JobEvaluation) -> list[tuple[Loc, str]]:
    """Generator model ids Bedrock's CreateEvaluationJob refuses, at the line that gives the id (the suite's
    `models:` entry, or the section's list). The rule is botocore's `EvaluationBedrockModelIdentifier` pattern
    (bedrock service model): it takes inference-profile ids only with a 2-4 letter prefix (`us.`, `eu.`, `apac.`),
    so `global.` and `us-gov.` profiles must be given as inference-profile ARNs, which it takes with any prefix."""
    if isinstance(ev, ResponsesJobEvaluation):  # bring your own inference: models name response sources
        return []
    accepted = pattern("bedrock", "EvaluationBedrockModelIdentifier")
    problems: list[tuple[Loc, str]] = []
    for j, name in enumerate(ev.models):
        model_id = suite.model_spec(name).id
        if accepted.fullmatch(model_id):
            continue
        if name in suite.models:
            loc: Loc = ("models", name) if isinstance(suite.models[name], str) else ("models", name, "id")
        else:
            loc = ("evaluations", index, "models", j)
        hint = (
            f"give the inference profile's ARN, arn:aws:bedrock:<region>:<account>:inference-profile/{model_id}"
            if "." in model_id and not model_id.startswith("arn:")
            else "give a model id, an inference profile ARN or a provisioned model ARN"
        )
        problems.append((loc, f"evaluation jobs do not accept the model id '{model_id}' ({hint})"))
    return problems


def _custom(i: int, metric: CustomJudgeMetric) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    if len(metric.instructions) > 5000:
        problems.append((("metrics", i, "instructions"), "Bedrock takes at most 5000 characters of instructions"))
    for j, level in enumerate(metric.rating_scale):
        if len(level.definition) > 100 or (isinstance(level.value, str) and len(level.value) > 100):
            problems.append(
                (("metrics", i, "rating_scale", j), "Bedrock takes at most 100 characters per definition and value")
            )
    return problems


def dataset_problems(ev: JobEvaluation, records: Iterable[Record]) -> list[tuple[int, str]]:
    """(line, message) for records Bedrock would refuse: an empty prompt, or a reference or category that is not
    plain text. (The 1,000 prompts a job takes are not a limit here: evalcore cuts the dataset into jobs.)"""
    problems: list[tuple[int, str]] = []
    for record in records:
        if not render(ev.prompt, record.fields).strip():
            problems.append((record.line, f"the prompt (template {ev.prompt!r}) is empty for this record"))
        for name in ("referenceResponse", "category"):
            if isinstance(record.fields.get(name), dict | list):
                problems.append((record.line, f"field '{name}' must be text for a managed job"))
        if len(problems) > 20:
            break
    return problems


def response_text(fields: dict[str, Any]) -> str | None:
    """A response line's text: `response`, or `output` as in a direct run's results.jsonl."""
    for name in ("response", "output"):
        if isinstance(fields.get(name), str):
            return fields[name]
    return None


def response_problems(
    ev: ResponsesJobEvaluation, records: Iterable[Record], responses: Iterable[Record]
) -> list[tuple[int | None, str]]:
    """(line of the responses file or None, message) for records without a response, and bad response lines."""
    problems: list[tuple[int | None, str]] = []
    have: Counter[tuple[str, str]] = Counter()
    for response in responses:
        fields = response.fields
        if fields.get("status") == "error":
            continue  # a direct run's results.jsonl: a case that errored has no response
        model = fields.get("model") or (ev.models[0] if len(ev.models) == 1 else None)
        if model is None:
            problems.append((response.line, "`model` is missing (the section has several models: say which)"))
        elif model not in ev.models:
            problems.append((response.line, f"model '{model}' is not one of the section's models"))
        elif not isinstance(fields.get("prompt"), str) or response_text(fields) is None:
            problems.append((response.line, "a response line needs text fields `prompt` and `response` (or `output`)"))
        else:
            have[(str(model), fields["prompt"])] += 1
    need: Counter[tuple[str, str]] = Counter(
        (model, str(r.fields.get("prompt", ""))) for r in records for model in ev.models
    )
    for (model, prompt), count in sorted(need.items()):
        if have[(model, prompt)] < count:
            shown = prompt if len(prompt) <= 60 else prompt[:57] + "..."
            problems.append((None, f"no response from '{model}' for the prompt '{shown}' ({count} needed)"))
            if len(problems) > 20:
                break
    return problems
