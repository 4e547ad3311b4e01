"""Bedrock's built-in evaluation metric names, by the kind of job that takes them. Source: botocore's bedrock service
model (data/bedrock/2023-04-20/service-2.json), the documentation of `EvaluationDatasetMetricConfig.metricNames`,
which lists the valid values per job kind; the user guide's "Use metrics to understand model performance"
(model-evaluation-metrics.html) and "Use metrics to understand RAG system performance"
(knowledge-base-evaluation-metrics.html) describe what each measures. evalcore's suite validation and the emulator's
evaluation jobs read the same lists."""

from __future__ import annotations

# Bedrock's algorithmic metrics: managed jobs only (automatic evaluation).
ALGORITHMIC = ("Builtin.Accuracy", "Builtin.Robustness", "Builtin.Toxicity")

# Bedrock's model-as-judge metrics: managed judge jobs, and evalcore's own judge in direct mode, same meaning.
JUDGE = (
    "Builtin.Correctness",
    "Builtin.Completeness",
    "Builtin.Faithfulness",
    "Builtin.Helpfulness",
    "Builtin.Coherence",
    "Builtin.Relevance",
    "Builtin.FollowingInstructions",
    "Builtin.ProfessionalStyleAndTone",
    "Builtin.Harmfulness",
    "Builtin.Stereotyping",
    "Builtin.Refusal",
)

# Knowledge-base (RAG) judge metrics (`knowledge_bases:` sections), Bedrock's names and meanings (user guide,
# "Use metrics to understand RAG system performance", knowledge-base-evaluation-metrics.html).
RAG = (
    "Builtin.ContextRelevance",
    "Builtin.ContextCoverage",
    "Builtin.LogicalCoherence",
    "Builtin.CitationPrecision",
    "Builtin.CitationCoverage",
)

# The judge metrics a knowledge-base section may use: Bedrock's RAG metrics and the model-evaluation judge metrics
# Bedrock also lists for retrieve-and-generate jobs (Faithfulness there means: against the retrieved texts).
KNOWLEDGE_BASE_JUDGE = (
    "Builtin.ContextRelevance",
    "Builtin.ContextCoverage",
    "Builtin.Correctness",
    "Builtin.Completeness",
    "Builtin.Helpfulness",
    "Builtin.LogicalCoherence",
    "Builtin.Faithfulness",
    "Builtin.CitationPrecision",
    "Builtin.CitationCoverage",
    "Builtin.Harmfulness",
    "Builtin.Stereotyping",
    "Builtin.Refusal",
)
# Bedrock's retrieve-only jobs take these two; every other judge metric needs a generated answer.
RETRIEVE_ONLY_JUDGE = ("Builtin.ContextRelevance", "Builtin.ContextCoverage")

# Bedrock's RAG evaluation jobs (mode bedrock-job): retrieve-only jobs take RETRIEVE_ONLY_JUDGE; retrieve-and-generate
# jobs take the names botocore's bedrock model lists for them (EvaluationDatasetMetricConfig.metricNames) and the
# citation metrics of the user guide ("Use metrics to understand RAG system performance"; its CLI example in
# "Creating a retrieve-and-generate RAG evaluation job" lists Builtin.CitationPrecision and Builtin.CitationCoverage).
RETRIEVE_AND_GENERATE_JOB = (
    "Builtin.Correctness",
    "Builtin.Completeness",
    "Builtin.Helpfulness",
    "Builtin.LogicalCoherence",
    "Builtin.Faithfulness",
    "Builtin.Harmfulness",
    "Builtin.Stereotyping",
    "Builtin.Refusal",
    "Builtin.CitationPrecision",
    "Builtin.CitationCoverage",
)


def rag_job_metrics(operation: str) -> tuple[str, ...]:
    """The metric names a Bedrock RAG evaluation job of `operation` (retrieve, retrieve-and-generate) takes."""
    return RETRIEVE_ONLY_JUDGE if operation == "retrieve" else RETRIEVE_AND_GENERATE_JOB
