"""An evaluation job's work: read the datasets, get the responses, score them, write Bedrock's output layout.

Records are read from the dataset's S3 object (JSON Lines; blank lines skipped). Responses come from the job's
model (``ctx.answer`` with the prompt as the only user message), from the record's ``modelResponses`` entry whose
``modelIdentifier`` is the job's ``inferenceSourceIdentifier`` (bring your own inference), or, for a knowledge
base job, from the emulator's retrieve-and-generate rule (``knowledge_bases``). Output records have Bedrock's
shape: ``automatedEvaluationResult.scores``, ``inputRecord`` and ``modelResponses`` under
``<jobName>/<jobId>/models/<model>/taskTypes/<taskType>/datasets/<dataset>/``. Custom metric definitions are
written to ``<jobName>/<jobId>/custom_metrics/<name>.json``. Knowledge base datasets may use Bedrock's
``conversationTurns`` records (the last turn's prompt and first reference response are evaluated); their results
are ``{"conversationTurns": [{inputRecord, output, results: [{metricName, result, ...}]}]}`` under
``<jobName>/<jobId>/inference_configs/0/datasets/<dataset>/``, as AWS writes them (aws-samples/
amazon-bedrock-samples, rag/knowledge-bases/features-examples/03-optimizing-accuracy-retrieved-results/
custom_chunking_with_json.ipynb, and custom-models/model_distillation/distillation_recipes/01_citations/
04_evaluate.ipynb).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from evalcore_emulator import evaluation_scoring as scoring
from evalcore_emulator import job_lifecycle as lifecycle
from evalcore_emulator.knowledge_bases import generate, retrieved_reference, search
from evalcore_emulator.protocol import EmulatorContext

MAX_PROMPTS = 1000


def run(ctx: EmulatorContext, job: lifecycle.Job, job_id: str) -> None:
    fields = job.fields
    out_bucket, out_prefix = lifecycle.parse_s3_uri(fields["outputDataConfig"]["s3Uri"])
    base = "/".join(p for p in (out_prefix.strip("/"), fields["jobName"]) if p)
    s3 = ctx.s3()
    try:
        s3.put_object(Bucket=out_bucket, Key=f"{base}/amazon-bedrock-evaluations-permission-check", Body=b"")
    except Exception as exc:
        raise lifecycle.JobFailure(f"Bedrock cannot write to {fields['outputDataConfig']['s3Uri']}: {exc}") from None
    automated = fields["evaluationConfig"]["automated"]
    evaluator = first_model((automated.get("evaluatorModelConfig") or {}).get("bedrockEvaluatorModels"))
    custom_config = automated.get("customMetricConfig") or {}
    custom = {
        m["customMetricDefinition"]["name"]: m["customMetricDefinition"] for m in custom_config.get("customMetrics", [])
    }
    custom_evaluator = first_model((custom_config.get("evaluatorModelConfig") or {}).get("bedrockEvaluatorModels"))
    subject = _Subject.of(fields)
    outputs: list[tuple[str, bytes]] = []
    for dataset_config in automated["datasetMetricConfigs"]:
        dataset = dataset_config["dataset"]
        records = _read_dataset(ctx, dataset["datasetLocation"]["s3Uri"])
        lines = []
        for number, record in records:
            job.check_stop()
            sample, extra = subject.sample(ctx, record, dataset_config["taskType"], number)
            scores = [
                scoring.score(
                    ctx,
                    metric,
                    sample,
                    custom_evaluator if metric in custom else evaluator,
                    custom.get(metric),
                )
                for metric in dataset_config["metricNames"]
            ]
            if subject.kb_config is not None:
                lines.append(json.dumps({"conversationTurns": [{**extra, "results": scores}]}))
            else:
                lines.append(json.dumps({"automatedEvaluationResult": {"scores": scores}, **extra}))
        if subject.kb_config is not None:
            folder = f"{base}/{job_id}/inference_configs/0/datasets/{dataset['name']}"
        else:
            folder = f"{base}/{job_id}/models/{subject.name}/taskTypes/{dataset_config['taskType']}/datasets/{dataset['name']}"
        key = f"{folder}/{uuid.uuid4()}_output.jsonl"
        outputs.append((key, ("\n".join(lines) + "\n").encode()))
    for name, definition in custom.items():
        document = json.dumps({"customMetricDefinition": definition}).encode()
        outputs.append((f"{base}/{job_id}/custom_metrics/{name}.json", document))
    job.check_stop()
    for key, data in outputs:
        s3.put_object(Bucket=out_bucket, Key=key, Body=data)


class _Subject:
    """What a job evaluates: a Bedrock model, precomputed responses, or a knowledge base (retrieve and generate)."""

    def __init__(self, name: str, model_id: str | None, source: str | None, kb_config: dict[str, Any] | None) -> None:
        self.name, self.model_id, self.source, self.kb_config = name, model_id, source, kb_config

    @classmethod
    def of(cls, fields: dict[str, Any]) -> _Subject:
        inference = fields["inferenceConfig"]
        if fields["applicationType"] == "RagEvaluation":
            identifier, rag = rag_source(inference["ragConfigs"][0])
            return cls(identifier, None, None, rag)
        model = inference["models"][0]
        if "bedrockModel" in model:
            identifier = model["bedrockModel"]["modelIdentifier"]
            return cls(identifier.rsplit("/", 1)[-1], identifier, None, None)
        source = model["precomputedInferenceSource"]["inferenceSourceIdentifier"]
        return cls(source, None, source, None)

    def sample(
        self, ctx: EmulatorContext, record: dict[str, Any], task_type: str, number: int
    ) -> tuple[scoring.Sample, dict[str, Any]]:
        """The sample to score and the record's ``inputRecord`` / ``modelResponses``."""
        prompt, reference = _turn_text(record, "prompt") or "", _turn_text(record, "referenceResponse")
        kept = ("prompt", "referenceResponse", "category", "conversationTurns")
        input_record: dict[str, Any] = {k: record[k] for k in kept if k in record}
        if self.kb_config is not None:
            turn = (record.get("conversationTurns") or [{}])[-1]
            kb_input = {k: turn[k] for k in ("prompt", "referenceResponses") if isinstance(turn, dict) and k in turn}
            output = self._rag_output(ctx, prompt, turn if isinstance(turn, dict) else {}, number)
            holder = output.get("retrievedPassages") or output.get("retrievedResults") or {}
            contexts = [str((p.get("content") or {}).get("text", "")) for p in holder.get("retrievalResults") or []]
            cited = [
                str((ref.get("content") or {}).get("text", ""))
                for c in output.get("citations") or []
                for ref in c.get("retrievedReferences") or []
            ]
            text = str(output.get("text", ""))
            sample = scoring.Sample(prompt, reference, task_type, text, None, contexts, cited)
            return sample, {"inputRecord": kb_input or input_record, "output": output}
        elif self.source is not None:
            responses = [r for r in record.get("modelResponses") or [] if r.get("modelIdentifier") == self.source]
            if not responses or not isinstance(responses[0].get("response"), str):
                raise lifecycle.JobFailure(
                    f"Line {number}: no modelResponses entry with modelIdentifier {self.source} and a response."
                )
            input_record["modelResponses"] = record["modelResponses"]
            sample = scoring.Sample(prompt, reference, task_type, responses[0]["response"], None)
        else:
            model_id = self.model_id or self.name
            answer = ctx.answer(model_id, [{"role": "user", "content": [{"text": prompt}]}])
            sample = scoring.Sample(prompt, reference, task_type, answer.text, model_id)
        responses_out = [{"modelIdentifier": self.name, "response": sample.response}]
        return sample, {"inputRecord": input_record, "modelResponses": responses_out}

    def _rag_output(self, ctx: EmulatorContext, prompt: str, turn: dict[str, Any], number: int) -> dict[str, Any]:
        """The turn's `output`: the knowledge base's passages (and answer with citations), or the record's own."""
        config = self.kb_config or {}
        if config.get("kind") == "precomputed":
            output = turn.get("output")
            if not isinstance(output, dict) or output.get("knowledgeBaseIdentifier") != self.name:
                raise lifecycle.JobFailure(
                    f"Line {number}: no output with knowledgeBaseIdentifier {self.name} in its conversation turn."
                )
            return output
        kb = ctx.world.knowledge_bases[config["knowledgeBaseId"]]
        hits = search(kb, prompt, config.get("retrievalConfiguration"))
        results = [{**retrieved_reference(hit.document), "score": hit.score} for hit in hits]
        if config.get("kind") == "retrieve":
            return {"knowledgeBaseIdentifier": self.name, "retrievedResults": {"retrievalResults": results}}
        text, citations = generate(kb, prompt, hits)
        return {
            "text": text,
            "knowledgeBaseIdentifier": self.name,
            "modelIdentifier": config["modelArn"],
            "retrievedPassages": {"retrievalResults": results},
            "citations": citations,
        }


def rag_source(config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A RAGConfig's identifier and what the run needs of it (`kind`: retrieve, generate or precomputed)."""
    own = config.get("precomputedRagSourceConfig")
    if own:
        ((_, source),) = own.items()
        return source["ragSourceIdentifier"], {"kind": "precomputed"}
    kb = config["knowledgeBaseConfig"]
    if "retrieveConfig" in kb:
        retrieve = kb["retrieveConfig"]
        settings = {"retrievalConfiguration": retrieve.get("knowledgeBaseRetrievalConfiguration")}
        return retrieve["knowledgeBaseId"], {
            "kind": "retrieve",
            "knowledgeBaseId": retrieve["knowledgeBaseId"],
            **settings,
        }
    generated = kb["retrieveAndGenerateConfig"]["knowledgeBaseConfiguration"]
    return generated["knowledgeBaseId"], {"kind": "generate", **generated}


def _read_dataset(ctx: EmulatorContext, uri: str) -> list[tuple[int, dict[str, Any]]]:
    bucket, key = lifecycle.parse_s3_uri(uri)
    try:
        data = ctx.s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        raise lifecycle.JobFailure(f"Could not read the dataset {uri}: {code}") from None
    records = []
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise lifecycle.JobFailure(f"Malformed JSON in {uri} line {number}: {exc}") from None
        if not isinstance(record, dict) or not isinstance(_turn_text(record, "prompt"), str):
            raise lifecycle.JobFailure(f"{uri} line {number}: each record needs a string field 'prompt'.")
        records.append((number, record))
    if not records:
        raise lifecycle.JobFailure(f"The dataset {uri} has no records.")
    if len(records) > MAX_PROMPTS:
        raise lifecycle.JobFailure(f"The dataset {uri} has {len(records)} prompts; the limit is {MAX_PROMPTS}.")
    return records


def _turn_text(record: dict[str, Any], field: str) -> str | None:
    """``prompt`` or ``referenceResponse`` of a flat record, or of the last of its ``conversationTurns``
    (knowledge base datasets: ``{"prompt": {"content": [{"text"}]}, "referenceResponses": [{"content": ...}]}``)."""
    turns = record.get("conversationTurns")
    if not isinstance(turns, list) or not turns or not isinstance(turns[-1], dict):
        value = record.get(field)
        return value if isinstance(value, str) else None
    turn = turns[-1]
    holder: Any = turn.get("prompt") if field == "prompt" else (turn.get("referenceResponses") or [None])[0]
    try:
        text = holder["content"][0]["text"]
    except (KeyError, IndexError, TypeError):
        return None
    return text if isinstance(text, str) else None


def first_model(models: list[dict[str, Any]] | None) -> str | None:
    return models[0]["modelIdentifier"] if models else None
