"""CreateEvaluationJob's request checks, in Bedrock's terms (ValidationException, ResourceNotFoundException).

Checked: the patterns of jobName, roleArn, S3 URIs, dataset and metric names; 1-5 datasetMetricConfigs with a
known taskType and 1-25 metricNames each; metric names valid for the job's kind (algorithmic
``Builtin.Accuracy|Robustness|Toxicity`` without an evaluator model, judge metrics with one, knowledge base
metrics for ``RagEvaluation``, custom metrics once defined); custom metric definitions (1-10, instructions, a
rating scale of 1-10 items of one value kind); exactly one model (matching botocore's ``EvaluationBedrockModelIdentifier`` and known to the world) or
precomputed source,
or one knowledge base config; ``inferenceParams`` as a JSON string.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from evalcore.aws_facts import bedrock_metrics
from evalcore.aws_facts.service_patterns import pattern
from evalcore_emulator import evaluation_scoring as scoring
from evalcore_emulator.job_lifecycle import check_pattern
from evalcore_emulator.protocol import AwsError, EmulatorContext

JOB_NAME = r"[a-z0-9](-*[a-z0-9]){0,62}"
ROLE_ARN = r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+"
S3_URI = r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?"
NAME = r"[0-9a-zA-Z-_.]+"


def validate(ctx: EmulatorContext, body: dict[str, Any]) -> None:
    check_pattern(body.get("jobName"), JOB_NAME, "jobName")
    check_pattern(body.get("roleArn"), ROLE_ARN, "roleArn")
    check_pattern((body.get("outputDataConfig") or {}).get("s3Uri"), S3_URI, "outputDataConfig.s3Uri")
    application = body.get("applicationType", "ModelEvaluation")
    if application not in ("ModelEvaluation", "RagEvaluation"):
        _invalid(f"Unknown applicationType {application}")
    config = body.get("evaluationConfig") or {}
    if "human" in config:
        _invalid("The emulator runs automated evaluation jobs only; human evaluation is not supported.")
    automated = config.get("automated")
    if not isinstance(automated, dict):
        _invalid("evaluationConfig.automated is required")
    judged = _evaluator_model(automated.get("evaluatorModelConfig"), "evaluationConfig.automated")
    custom = _custom_metrics(automated.get("customMetricConfig"))
    configs = automated.get("datasetMetricConfigs") or []
    allowed = _allowed_metrics(application, judged, body.get("inferenceConfig") or {}) | set(custom)
    for index, dataset_config in enumerate(configs):
        where = f"evaluationConfig.automated.datasetMetricConfigs.{index}"
        dataset = dataset_config.get("dataset") or {}
        check_pattern(dataset.get("name"), NAME, f"{where}.dataset.name")
        uri = (dataset.get("datasetLocation") or {}).get("s3Uri")
        check_pattern(uri, S3_URI, f"{where}.dataset.datasetLocation.s3Uri")
        metrics = dataset_config.get("metricNames") or []
        if not 1 <= len(metrics) <= 25:
            _invalid(f"{where}.metricNames must have between 1 and 25 items")
        for metric in metrics:
            if metric not in allowed:
                kind = "a model-as-a-judge" if judged else "an automatic (algorithmic)"
                if application == "RagEvaluation":
                    kind = "a knowledge base"
                _invalid(f"Metric {metric} is not valid for {kind} evaluation job. Valid metrics: {sorted(allowed)}")
    _validate_inference(ctx, application, body.get("inferenceConfig") or {})


def _allowed_metrics(application: str, judged: bool, inference: dict[str, Any]) -> set[str]:
    """Per job kind, the names botocore's EvaluationDatasetMetricConfig.metricNames documents (and the citation
    metrics of retrieve-and-generate RAG jobs, see evalcore.aws_facts.bedrock_metrics)."""
    if application == "RagEvaluation":
        return set(bedrock_metrics.rag_job_metrics(rag_operation(inference))) if judged else set()
    return set(scoring.JUDGE) if judged else set(scoring.ALGORITHMIC)


def rag_operation(inference: dict[str, Any]) -> str:
    """retrieve or retrieve-and-generate: what a RAG job's one RAGConfig evaluates."""
    config = (inference.get("ragConfigs") or [{}])[0]
    kb = config.get("knowledgeBaseConfig") or {}
    own = config.get("precomputedRagSourceConfig") or {}
    return "retrieve" if "retrieveConfig" in kb or "retrieveSourceConfig" in own else "retrieve-and-generate"


def _evaluator_model(config: dict[str, Any] | None, where: str) -> bool:
    if config is None:
        return False
    models = config.get("bedrockEvaluatorModels") or []
    if len(models) != 1 or not models[0].get("modelIdentifier"):
        _invalid(f"{where}.evaluatorModelConfig.bedrockEvaluatorModels must have exactly 1 item")
    return True


def _custom_metrics(config: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if config is None:
        return {}
    where = "evaluationConfig.automated.customMetricConfig"
    metrics = config.get("customMetrics") or []
    if not 1 <= len(metrics) <= 10:
        _invalid(f"{where}.customMetrics must have between 1 and 10 items")
    if not config.get("evaluatorModelConfig"):
        _invalid(f"{where}.evaluatorModelConfig is required")
    _evaluator_model(config["evaluatorModelConfig"], where)
    defined: dict[str, dict[str, Any]] = {}
    for index, source in enumerate(metrics):
        definition = source.get("customMetricDefinition")
        if not isinstance(definition, dict):
            _invalid(f"{where}.customMetrics.{index}.customMetricDefinition is required")
        check_pattern(definition.get("name"), NAME, f"{where}.customMetrics.{index}.name")
        if not definition.get("instructions"):
            _invalid(f"{where}.customMetrics.{index}.instructions is required")
        scale = definition.get("ratingScale") or []
        if len(scale) > 10:
            _invalid(f"{where}.customMetrics.{index}.ratingScale must have at most 10 items")
        kinds = set()
        for item in scale:
            value = item.get("value") or {}
            if not item.get("definition") or len(value) != 1 or next(iter(value)) not in ("floatValue", "stringValue"):
                _invalid(f"{where}.customMetrics.{index}.ratingScale: each item needs a definition and one value")
            kinds.add(next(iter(value)))
        if len(kinds) > 1:
            _invalid(f"{where}.customMetrics.{index}.ratingScale mixes floatValue and stringValue")
        if definition["name"] in defined:
            _invalid(f"Custom metric {definition['name']} is defined twice")
        defined[definition["name"]] = definition
    return defined


def _validate_inference(ctx: EmulatorContext, application: str, inference: dict[str, Any]) -> None:
    if application == "RagEvaluation":
        configs = inference.get("ragConfigs") or []
        if len(configs) != 1:
            _invalid("inferenceConfig.ragConfigs must have exactly 1 item for a knowledge base evaluation job")
        # RAGConfig, KnowledgeBaseConfig and EvaluationPrecomputedRagSourceConfig are unions (one member each).
        config = configs[0]
        if len(config) != 1:
            _invalid(
                "inferenceConfig.ragConfigs.0 must set exactly one of knowledgeBaseConfig, precomputedRagSourceConfig"
            )
        if "precomputedRagSourceConfig" in config:
            if len(config["precomputedRagSourceConfig"]) != 1:
                _invalid(
                    "precomputedRagSourceConfig must set exactly one of retrieveSourceConfig, retrieveAndGenerateSourceConfig"
                )
            return
        kb = config.get("knowledgeBaseConfig") or {}
        if len(kb) != 1:
            _invalid("knowledgeBaseConfig must set exactly one of retrieveConfig, retrieveAndGenerateConfig")
        if "retrieveConfig" in kb:
            kb_id = kb["retrieveConfig"].get("knowledgeBaseId")
        else:
            rag = kb.get("retrieveAndGenerateConfig") or {}
            kb_config = rag.get("knowledgeBaseConfiguration") or {}
            if rag.get("type") != "KNOWLEDGE_BASE" or not kb_config:
                _invalid("The emulator evaluates retrieveAndGenerateConfig of type KNOWLEDGE_BASE")
            kb_id = kb_config.get("knowledgeBaseId")
            _known_model(ctx, kb_config.get("modelArn", ""))
        if kb_id not in ctx.world.knowledge_bases:
            raise AwsError(404, "ResourceNotFoundException", f"Knowledge base {kb_id} not found")
        return
    models = inference.get("models") or []
    if len(models) != 1:
        _invalid("inferenceConfig.models must have exactly 1 item for an automated evaluation job")
    model = models[0]
    if "bedrockModel" in model:
        # botocore's bedrock model: `EvaluationBedrockModelIdentifier` (no `global.`/`us-gov.` profile ids).
        identifier = model["bedrockModel"].get("modelIdentifier")
        check_pattern(
            identifier,
            pattern("bedrock", "EvaluationBedrockModelIdentifier").pattern,
            "inferenceConfig.models.0.member.bedrockModel.modelIdentifier",
        )
        _known_model(ctx, identifier)
        params = model["bedrockModel"].get("inferenceParams")
        if params is not None:
            try:
                json.loads(params)
            except (TypeError, ValueError):
                _invalid("inferenceConfig.models.0.bedrockModel.inferenceParams must be a JSON string")
    elif "precomputedInferenceSource" in model:
        source = model["precomputedInferenceSource"].get("inferenceSourceIdentifier")
        check_pattern(source, r"[a-zA-Z0-9]([a-zA-Z0-9._-]){0,255}", "inferenceSourceIdentifier")
    else:
        _invalid("inferenceConfig.models.0 needs bedrockModel or precomputedInferenceSource")


def _known_model(ctx: EmulatorContext, identifier: str) -> None:
    if ctx.world.resolve_model(identifier) is None:
        _invalid(f"The provided model identifier is invalid: {identifier}")


def _invalid(message: str) -> NoReturn:
    raise AwsError(400, "ValidationException", message)
