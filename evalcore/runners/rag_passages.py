"""Bedrock's wire shapes of retrieved passages and citations (bedrock-agent-runtime `KnowledgeBaseRetrievalResult`,
`RetrievedReference` and `Citation`; the same shapes in RAG evaluation job outputs) as evalcore's Passage and
CitedPart."""

from __future__ import annotations

from typing import Any

from evalcore.domain.results import CitedPart, Passage


def _location(item: dict[str, Any]) -> str | None:
    """The source URI of a retrieved reference: the `uri`/`url` of its typed location (RetrievalResultLocation)."""
    location = item.get("location") or {}
    for value in location.values():
        if isinstance(value, dict):
            uri = value.get("uri") or value.get("url")
            if isinstance(uri, str):
                return uri
    return None


def passage(item: dict[str, Any]) -> Passage:
    metadata = {k: v if isinstance(v, str) else str(v) for k, v in (item.get("metadata") or {}).items()}
    text = (item.get("content") or {}).get("text") or ""
    return Passage(text=text, location=_location(item), score=item.get("score"), metadata=metadata)


def cited(citation: dict[str, Any]) -> CitedPart:
    part = (citation.get("generatedResponsePart") or {}).get("textResponsePart") or {}
    span = part.get("span") or {}
    references = [passage(r) for r in citation.get("retrievedReferences") or []]
    return CitedPart(text=part.get("text") or "", start=span.get("start"), end=span.get("end"), references=references)
