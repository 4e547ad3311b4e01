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

from evalcore_emulator.agent_world import KnowledgeBaseDocument, KnowledgeBaseSpec, RetrievedDocument
from evalcore_emulator.keywords import content_words
from evalcore_emulator.protocol import AwsError, EmulatorContext, Request, Response, Route, route

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
        for hit in search(kb, query, body.get("retrievalConfiguration"))
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

    retrieval = kb_config.get("retrievalConfiguration")
    hits = search(kb, text, retrieval)
    query = text
    if not hits and history:
        query = " ".join([*history, text])
        hits = search(kb, query, retrieval)
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


def search(
    kb: KnowledgeBaseSpec, query: str, retrieval_configuration: dict[str, Any] | None
) -> list[RetrievedDocument]:
    """The best `numberOfResults` documents among those the configuration's metadata `filter` keeps."""
    limit = _limit(retrieval_configuration)
    rule = ((retrieval_configuration or {}).get("vectorSearchConfiguration") or {}).get("filter")
    hits = kb.retrieve(query, len(kb.documents))
    if rule is not None:
        hits = [hit for hit in hits if _kept(rule, hit.document.metadata)]
    return hits[:limit]


def _kept(rule: dict[str, Any], metadata: dict[str, str]) -> bool:
    """Whether a document's metadata passes a RetrievalFilter (botocore bedrock-agent-runtime: a union of one
    operator; andAll/orAll take 2 or more filters, the others a FilterAttribute {key, value}). Metadata values are
    text in the world: numbers compare as numbers when both sides are numbers."""
    if len(rule) != 1:
        raise AwsError(400, "ValidationException", "A RetrievalFilter must set exactly one operator")
    ((operator, operand),) = rule.items()
    if operator in ("andAll", "orAll"):
        if not isinstance(operand, list) or len(operand) < 2:
            raise AwsError(400, "ValidationException", f"filter.{operator} takes at least 2 filters")
        results = (_kept(sub, metadata) for sub in operand)
        return all(results) if operator == "andAll" else any(results)
    test = _OPERATORS.get(operator)
    if test is None or not isinstance(operand, dict) or "key" not in operand or "value" not in operand:
        raise AwsError(400, "ValidationException", f"Unsupported or malformed filter operator '{operator}'")
    have = metadata.get(operand["key"])
    if have is None:
        return operator in ("notEquals", "notIn")
    return test(have, operand["value"])


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(have: str, want: Any) -> int:
    a, b = _number(have), _number(want)
    if a is not None and b is not None and not isinstance(want, bool):
        return (a > b) - (a < b)
    return (have > str(want)) - (have < str(want))


_OPERATORS: dict[str, Any] = {
    "equals": lambda have, want: _compare(have, want) == 0,
    "notEquals": lambda have, want: _compare(have, want) != 0,
    "greaterThan": lambda have, want: _compare(have, want) > 0,
    "greaterThanOrEquals": lambda have, want: _compare(have, want) >= 0,
    "lessThan": lambda have, want: _compare(have, want) < 0,
    "lessThanOrEquals": lambda have, want: _compare(have, want) <= 0,
    "in": lambda have, want: isinstance(want, list) and any(_compare(have, w) == 0 for w in want),
    "notIn": lambda have, want: isinstance(want, list) and all(_compare(have, w) != 0 for w in want),
    "startsWith": lambda have, want: have.startswith(str(want)),
    "stringContains": lambda have, want: str(want) in have,
    "listContains": lambda have, want: str(want) in [part.strip() for part in have.split(",")],
}


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
