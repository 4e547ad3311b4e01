"""Retrieve and RetrieveAndGenerate over the world's knowledge bases.

Retrieval follows :meth:`KnowledgeBaseSpec.retrieve` (share of the query's content words in a document).
Generation is extractive: from each retrieved document tied at the best score (at most three) the sentence
sharing the most content words with the query (first on ties; none if it shares none) becomes one cited part of
the answer. No part at all means the knowledge base's ``no_answer`` text and no citations. In a session, when the
input alone retrieves nothing, the session's previous inputs are added to the query (a follow-up question).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from evalcore.emulator.agent_world import KnowledgeBaseDocument, KnowledgeBaseSpec, RetrievedDocument
from evalcore.emulator.keywords import content_words
from evalcore.emulator.protocol import AwsError, EmulatorContext, Request, Response, Route, route

_DEFAULT_RESULTS = 5
_CITED_DOCUMENTS = 3
_SENTENCE = re.compile(r"[^.!?]+[.!?]*")
_NOT_FOUND = (
    "Failed to retrieve resource because it doesn't exist. Retry the request with a different resource identifier."
)


def retrieved_reference(document: KnowledgeBaseDocument) -> dict[str, Any]:
    """A document in the wire shape of ``RetrievedReference`` (citations, agent knowledge base lookups)."""
    return {
        "content": {"text": document.text, "type": "TEXT"},
        "location": {"type": "S3", "s3Location": {"uri": document.uri}},
        "metadata": {"x-amz-bedrock-kb-source-uri": document.uri, **document.metadata},
    }


def retrieve(ctx: EmulatorContext, req: Request) -> Response:
    kb = _knowledge_base(ctx, req.path_params["knowledgeBaseId"].rsplit("/", 1)[-1])
    body = req.json()
    query = (body.get("retrievalQuery") or {}).get("text")
    if not query:
        raise AwsError(400, "ValidationException", "retrievalQuery.text is required")
    results = [
        {**retrieved_reference(hit.document), "score": hit.score, "documentId": hit.document.id}
        for hit in kb.retrieve(query, _limit(body.get("retrievalConfiguration")))
    ]
    return Response.json({"retrievalResults": results})


def retrieve_and_generate(ctx: EmulatorContext, req: Request) -> Response:
    body = req.json()
    text = (body.get("input") or {}).get("text")
    config = body.get("retrieveAndGenerateConfiguration") or {}
    if not text:
        raise AwsError(400, "ValidationException", "input.text is required")
    if config.get("type") != "KNOWLEDGE_BASE":
        raise AwsError(
            400,
            "ValidationException",
            "The emulator supports retrieveAndGenerateConfiguration.type KNOWLEDGE_BASE",
        )
    kb_config = config.get("knowledgeBaseConfiguration") or {}
    kb = _knowledge_base(ctx, kb_config.get("knowledgeBaseId", ""))
    if ctx.world.resolve_model(kb_config.get("modelArn", "")) is None:
        raise AwsError(
            400,
            "ValidationException",
            f"The provided model identifier is invalid: {kb_config.get('modelArn')}",
        )

    sessions = ctx.state("retrieve_and_generate_sessions")
    with ctx.lock:
        session_id = body.get("sessionId")
        if session_id is None:
            session_id = str(uuid.uuid4())
            sessions[session_id] = []
        elif session_id not in sessions:
            raise AwsError(404, "ResourceNotFoundException", f"Session {session_id} not found")
        history: list[str] = list(sessions[session_id])
        sessions[session_id].append(text)

    limit = _limit(kb_config.get("retrievalConfiguration"))
    hits = kb.retrieve(text, limit)
    query = text
    if not hits and history:
        query = " ".join([*history, text])
        hits = kb.retrieve(query, limit)
    answer, citations = generate(kb, query, hits)
    return Response.json({"output": {"text": answer}, "sessionId": session_id, "citations": citations})


def generate(kb: KnowledgeBaseSpec, query: str, hits: list[RetrievedDocument]) -> tuple[str, list[dict[str, Any]]]:
    wanted = set(content_words(query))
    parts: list[tuple[str, KnowledgeBaseDocument]] = []
    for hit in [h for h in hits if h.score == hits[0].score][:_CITED_DOCUMENTS]:
        sentences = [s.strip() for s in _SENTENCE.findall(hit.document.text) if s.strip()]
        scored = [(len(wanted & set(content_words(s))), s) for s in sentences]
        best = max(scored, key=lambda pair: pair[0], default=(0, ""))
        if best[0] > 0 and best[1] not in (p[0] for p in parts):
            parts.append((best[1], hit.document))
    if not parts:
        return kb.no_answer, []
    answer, citations = "", []
    for sentence, document in parts:
        start = len(answer) + (1 if answer else 0)
        answer = f"{answer} {sentence}" if answer else sentence
        citations.append(
            {
                "generatedResponsePart": {
                    "textResponsePart": {"text": sentence, "span": {"start": start, "end": len(answer) - 1}}
                },
                "retrievedReferences": [retrieved_reference(document)],
            }
        )
    return answer, citations


def _knowledge_base(ctx: EmulatorContext, kb_id: str) -> KnowledgeBaseSpec:
    kb = ctx.world.knowledge_bases.get(kb_id)
    if kb is None:
        raise AwsError(404, "ResourceNotFoundException", _NOT_FOUND)
    return kb


def _limit(retrieval_configuration: dict[str, Any] | None) -> int:
    vector = (retrieval_configuration or {}).get("vectorSearchConfiguration") or {}
    limit = vector.get("numberOfResults", _DEFAULT_RESULTS)
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise AwsError(400, "ValidationException", "numberOfResults must be between 1 and 100")
    return limit


ROUTES: list[Route] = [
    route("RetrieveAndGenerate", "bedrock-agent-runtime", "POST", "/retrieveAndGenerate", retrieve_and_generate),
    route("Retrieve", "bedrock-agent-runtime", "POST", "/knowledgebases/{knowledgeBaseId}/retrieve", retrieve),
]
