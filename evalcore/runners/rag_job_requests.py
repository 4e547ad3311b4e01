"""What a knowledge-base section in `mode: bedrock-job` sends: Bedrock RAG evaluation jobs, one per target and per
1,000 prompts (`job_requests` cuts, names and wraps them as for model jobs). Pure: nothing here calls AWS.

The request (botocore's bedrock model, CreateEvaluationJob): `applicationType: RagEvaluation`,
`evaluationConfig.automated` with the judge (`evaluatorModelConfig`) and Bedrock's RAG metric names, and
`inferenceConfig.ragConfigs` (exactly one `RAGConfig`): `knowledgeBaseConfig.retrieveConfig` (knowledgeBaseId,
knowledgeBaseRetrievalConfiguration) for operation retrieve, `knowledgeBaseConfig.retrieveAndGenerateConfig`
(type KNOWLEDGE_BASE, knowledgeBaseConfiguration: knowledgeBaseId, modelArn, retrievalConfiguration,
generationConfiguration) for retrieve-and-generate, and `precomputedRagSourceConfig` (retrieveSourceConfig or
retrieveAndGenerateSourceConfig, with the ragSourceIdentifier) for a target that is your own RAG system. taskType
`General`, as in AWS's "Creating a RAG evaluation job" CLI examples (knowledge-base-evaluation-create-*.html).

A dataset line is Bedrock's RAG prompt record (user guide, "Create a prompt dataset for a RAG evaluation",
knowledge-base-evaluation-prompt-retrieve.html and -retrieve-generate.html): `{"conversationTurns": [{"prompt":
{"content": [{"text"}]}, "referenceResponses": [{"content": [{"text"}]}]}]}`; for your own RAG the turn also has
`output`: `knowledgeBaseIdentifier` (the ragSourceIdentifier), the passages as `retrievedResults` (retrieve) or
`retrievedPassages` (retrieve-and-generate), each `{"retrievalResults": [{"content": {"text"}}]}`, and for
retrieve-and-generate the answer `text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalcore.domain.plan import Case, EvaluationItem
from evalcore.runners.job_requests import (
    MAX_PROMPTS_PER_JOB,
    JobPlan,
    SectionTarget,
    job_name,
    job_request,
    judge_of,
)
from evalcore.runners.rag import generation, retrieval_configuration
from evalcore.suite.load import LoadedSuite
from evalcore.suite.models import BuiltinMetric, JobKnowledgeBaseSection, KnowledgeBaseTarget, PrecomputedRagTarget
from evalcore.suite.template import render

# Bedrock's task type for RAG jobs in AWS's examples.
TASK_TYPE = "General"


def plan_rag_jobs(
    loaded: LoadedSuite, section: JobKnowledgeBaseSection, target: SectionTarget, cases: Sequence[Case], region: str
) -> list[JobPlan]:
    """The jobs for `cases`: per target, in the cases' order, 1,000 prompts a job."""
    by_target: dict[str, list[Case]] = {}
    for case in cases:
        by_target.setdefault(case.called_model(), []).append(case)
    jobs = []
    for name, target_cases in by_target.items():
        shards = [target_cases[i : i + MAX_PROMPTS_PER_JOB] for i in range(0, len(target_cases), MAX_PROMPTS_PER_JOB)]
        for number, shard_cases in enumerate(shards, start=1):
            jobs.append(_job(loaded, section, target, name, number, len(shards), shard_cases, region))
    return jobs


def _job(
    loaded: LoadedSuite,
    section: JobKnowledgeBaseSection,
    target: SectionTarget,
    name: str,
    shard: int,
    shards: int,
    cases: list[Case],
    region: str,
) -> JobPlan:
    rag = section.targets[name]
    identifier = rag.knowledge_base_id if isinstance(rag, KnowledgeBaseTarget) else rag.rag_source_id
    lines = [dataset_line(section, rag, case) for case in cases]
    case_ids = [c.id for c in cases]
    job = job_name(target, name, shard, case_ids)
    dataset_name, dataset_key = target.dataset_key(section.dataset, name, shard)
    request = job_request(target, section.job, job, name, shard, shards)
    request["applicationType"] = "RagEvaluation"
    automated: dict[str, Any] = {
        "datasetMetricConfigs": [
            {
                "taskType": TASK_TYPE,
                "dataset": {"name": dataset_name, "datasetLocation": {"s3Uri": f"s3://{target.bucket}/{dataset_key}"}},
                "metricNames": [m.name for m in section.metrics if isinstance(m, BuiltinMetric)],
            }
        ]
    }
    judge = judge_of(loaded, section)
    if judge is not None:  # the loader refuses a RAG job without one
        automated["evaluatorModelConfig"] = {"bedrockEvaluatorModels": [{"modelIdentifier": judge}]}
    request["evaluationConfig"] = {"automated": automated}
    request["inferenceConfig"] = {"ragConfigs": [rag_config(loaded, section, rag, region)]}
    return JobPlan(job, target.section, name, identifier, shard, case_ids, lines, dataset_key, request)


def rag_config(
    loaded: LoadedSuite, section: JobKnowledgeBaseSection, rag: KnowledgeBaseTarget | PrecomputedRagTarget, region: str
) -> dict[str, Any]:
    """The job's one `RAGConfig`."""
    retrieve = section.operation == "retrieve"
    if isinstance(rag, PrecomputedRagTarget):
        kind = "retrieveSourceConfig" if retrieve else "retrieveAndGenerateSourceConfig"
        return {"precomputedRagSourceConfig": {kind: {"ragSourceIdentifier": rag.rag_source_id}}}
    retrieval = retrieval_configuration(rag)
    if retrieve:
        return {
            "knowledgeBaseConfig": {
                "retrieveConfig": {
                    "knowledgeBaseId": rag.knowledge_base_id,
                    "knowledgeBaseRetrievalConfiguration": retrieval,
                }
            }
        }
    if section.model is None:  # the loader reports this before a run
        raise ValueError("operation retrieve-and-generate needs `model:`")
    suite = loaded.suite
    spec = suite.model_spec(section.model)
    generated = generation(
        section, spec.id, suite.defaults.inference.merged(spec.inference), region, "kbInferenceConfig"
    )
    return {
        "knowledgeBaseConfig": {
            "retrieveAndGenerateConfig": {
                "type": "KNOWLEDGE_BASE",
                "knowledgeBaseConfiguration": {
                    "knowledgeBaseId": rag.knowledge_base_id,
                    **generated,
                    "retrievalConfiguration": retrieval,
                },
            }
        }
    }


def dataset_line(
    section: JobKnowledgeBaseSection, rag: KnowledgeBaseTarget | PrecomputedRagTarget, case: Case
) -> dict[str, Any]:
    """A case as Bedrock's RAG prompt record (one conversation turn)."""
    fields = case.item_as(EvaluationItem).fields
    turn: dict[str, Any] = {"prompt": {"content": [{"text": render("{{prompt}}", fields)}]}}
    reference = fields.get("referenceResponse")
    if reference not in (None, ""):
        turn["referenceResponses"] = [{"content": [{"text": str(reference)}]}]
    if isinstance(rag, PrecomputedRagTarget):
        passages = fields.get(rag.passages_field) or []
        results = {"retrievalResults": [{"content": {"text": str(p)}} for p in passages]}
        output: dict[str, Any] = {"knowledgeBaseIdentifier": rag.rag_source_id}
        if section.operation == "retrieve":
            output["retrievedResults"] = results
        else:
            output["text"] = str(fields.get(rag.response_field, ""))
            output["retrievedPassages"] = results
        turn["output"] = output
    return {"conversationTurns": [turn]}
