"""Guardrails: one engine for ApplyGuardrail, Converse ``guardrailConfig`` and InvokeModel guardrail headers.

Detection rules (documented in docs/emulator.md):

- denied topic: an ``examples`` phrase or a ``keywords`` word occurs in the text (case-insensitive, whole words);
- content filter: the filter's confidence is the highest of LOW/MEDIUM/HIGH whose keyword list matches; it blocks
  when the strength for the source (``input_strength``/``output_strength``) reaches it (HIGH blocks LOW and up,
  MEDIUM blocks MEDIUM and up, LOW blocks HIGH only, NONE never);
- words: custom ``words`` and the managed PROFANITY list, whole words;
- PII entities and regexes: BLOCK blocks, ANONYMIZE replaces the match with ``{TYPE}`` (``{name}`` for regexes);
- contextual grounding (only when a grounding source is given and the source is OUTPUT): grounding score = share of
  the response's content stems (``wording.content_stems``: no stopwords, one -ing/-ed/-es/-s suffix stripped) found
  in the grounding source, relevance score = share of the query's content stems found in the response; a score
  below its threshold blocks.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Any, Literal

from evalcore_emulator.pii import BUILTIN_PII_PATTERNS
from evalcore_emulator.protocol import AwsError, EmulatorContext, Request, Response, Route, route
from evalcore_emulator.wording import overlap, phrase_pattern
from evalcore_emulator.world import GuardrailPolicies, PiiAction, World

Source = Literal["INPUT", "OUTPUT"]

PROFANITY: tuple[str, ...] = ("damn", "hell", "crap", "shit", "fuck", "bastard", "bitch", "asshole", "bollocks")
_RANK = {"NONE": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3}
_NOT_FOUND = "The guardrail identifier or version provided in the request does not exist."


@dataclass(frozen=True)
class GuardedText:
    """What a guardrail is asked to judge: the guarded texts plus optional grounding source and query."""

    texts: list[str]
    grounding_source: str | None = None
    query: str | None = None


@dataclass(frozen=True)
class Verdict:
    guardrail_id: str
    version: str
    intervened: bool
    blocked: bool
    assessment: dict[str, Any]
    outputs: list[str]  # the blocked messaging, or the anonymized texts; the texts unchanged when no action
    usage: dict[str, int]

    @property
    def action_reason(self) -> str:
        if self.blocked:
            return "Guardrail blocked."
        return "Guardrail masked." if self.intervened else "No action."


@dataclass(frozen=True)
class Guardrail:
    guardrail_id: str
    version: str
    policies: GuardrailPolicies


def resolve(world: World, identifier: str, version: str) -> Guardrail:
    """The guardrail named by an id or ARN at ``version``; ResourceNotFoundException when there is none."""
    guardrail_id = identifier.rsplit("/", 1)[-1] if identifier.startswith("arn:") else identifier
    spec = world.guardrails.get(guardrail_id)
    if spec is None or version not in spec.versions:
        raise AwsError(404, "ResourceNotFoundException", _NOT_FOUND)
    return Guardrail(guardrail_id, version, spec.versions[version])


def evaluate(guardrail: Guardrail, source: Source, content: GuardedText) -> Verdict:
    started = time.perf_counter()
    policies = guardrail.policies
    text = "\n".join(content.texts)
    assessment: dict[str, Any] = {}
    blocked = False

    topics = [t for t in policies.topics if _any_phrase(text, [*t.examples, *t.keywords])]
    if topics:
        blocked = True
        assessment["topicPolicy"] = {
            "topics": [{"name": t.name, "type": "DENY", "action": "BLOCKED", "detected": True} for t in topics]
        }

    filters = []
    for spec in policies.content_filters:
        confidence = max(
            (level for level, phrases in spec.keywords.items() if _any_phrase(text, phrases)),
            key=_RANK.__getitem__,
            default="NONE",
        )
        if confidence == "NONE":
            continue
        strength = spec.input_strength if source == "INPUT" else spec.output_strength
        hit = strength != "NONE" and _RANK[confidence] >= 4 - _RANK[strength]
        blocked |= hit
        filters.append(
            {
                "type": spec.type,
                "confidence": confidence,
                "filterStrength": strength,
                "action": "BLOCKED" if hit else "NONE",
                "detected": True,
            }
        )
    if filters:
        assessment["contentPolicy"] = {"filters": filters}

    custom = [{"match": m, "action": "BLOCKED", "detected": True} for m in _matches(text, policies.words)]
    managed = [
        {"match": m, "type": "PROFANITY", "action": "BLOCKED", "detected": True}
        for m in (_matches(text, PROFANITY) if policies.managed_word_lists else [])
    ]
    if custom or managed:
        blocked = True
        assessment["wordPolicy"] = {"customWords": custom, "managedWordLists": managed}

    spans = _sensitive_spans(text, policies)
    if spans:
        blocked |= any(s.action == "BLOCK" for s in spans)
        pii = [s.entry() for s in spans if s.regex is None]
        regexes = [s.entry() for s in spans if s.regex is not None]
        assessment["sensitiveInformationPolicy"] = {"piiEntities": pii, "regexes": regexes}

    grounding = policies.contextual_grounding
    if grounding is not None and source == "OUTPUT" and content.grounding_source is not None:
        checks = [
            ("GROUNDING", grounding.grounding_threshold, overlap(text, content.grounding_source)),
            ("RELEVANCE", grounding.relevance_threshold, overlap(content.query or "", text)),
        ]
        grounding_filters = []
        for kind, threshold, score in checks:
            if threshold is None:
                continue
            hit = score < threshold
            blocked |= hit
            grounding_filters.append(
                {
                    "type": kind,
                    "threshold": threshold,
                    "score": round(score, 2),
                    "action": "BLOCKED" if hit else "NONE",
                    "detected": hit,
                }
            )
        assessment["contextualGroundingPolicy"] = {"filters": grounding_filters}

    claims = _matches(text, policies.automated_reasoning_invalid) if source == "OUTPUT" else []
    if claims:
        # botocore's bedrock-runtime model: GuardrailAutomatedReasoningPolicyAssessment.findings, each a union of
        # valid | invalid | satisfiable | impossible | translationAmbiguous | tooComplex | noTranslations; an
        # `invalid` finding holds the translated claims and the rules they contradict, and no action.
        blocked = True
        assessment["automatedReasoningPolicy"] = {
            "findings": [
                {
                    "invalid": {
                        "translation": {"premises": [], "claims": [{"naturalLanguage": c}], "confidence": 1.0},
                        "contradictingRules": [{"identifier": "rule-1"}],
                    }
                }
                for c in claims
            ]
        }

    intervened = blocked or bool(spans)
    if blocked:
        messaging = policies.blocked_input_messaging if source == "INPUT" else policies.blocked_outputs_messaging
        outputs = [messaging]
    else:
        outputs = [_anonymize(t, _sensitive_spans(t, policies)) for t in content.texts]
    usage = _usage(policies, text, grounded="contextualGroundingPolicy" in assessment)
    assessment["invocationMetrics"] = {
        "guardrailProcessingLatency": max(1, round((time.perf_counter() - started) * 1000)),
        "usage": usage,
        "guardrailCoverage": {"textCharacters": {"guarded": len(text), "total": len(text)}},
    }
    return Verdict(guardrail.guardrail_id, guardrail.version, intervened, blocked, assessment, outputs, usage)


def apply_guardrail(ctx: EmulatorContext, request: Request) -> Response:
    body = request.json()
    source = body.get("source")
    if source not in ("INPUT", "OUTPUT"):
        raise AwsError(400, "ValidationException", "source must be INPUT or OUTPUT")
    content = body.get("content")
    if not isinstance(content, list) or not content:
        raise AwsError(400, "ValidationException", "content must hold at least one content block")
    guardrail = resolve(ctx.world, request.path_params["guardrailIdentifier"], request.path_params["guardrailVersion"])
    verdict = evaluate(guardrail, source, _guarded(content))
    full = body.get("outputScope") == "FULL"
    outputs = verdict.outputs if verdict.intervened or full else []
    assessment = dict(verdict.assessment)
    if not full:
        assessment.pop("invocationMetrics")
    return Response.json(
        {
            "usage": verdict.usage,
            "action": "GUARDRAIL_INTERVENED" if verdict.intervened else "NONE",
            "actionReason": verdict.action_reason,
            "outputs": [{"text": text} for text in outputs],
            "assessments": [assessment],
            "guardrailCoverage": verdict.assessment["invocationMetrics"]["guardrailCoverage"],
        }
    )


def _guarded(blocks: list[dict[str, Any]]) -> GuardedText:
    texts: list[str] = []
    sources: list[str] = []
    queries: list[str] = []
    for block in blocks:
        text_block = block.get("text") or {}
        text = text_block.get("text")
        if not isinstance(text, str):
            continue
        qualifiers = text_block.get("qualifiers") or ["guard_content"]
        if "grounding_source" in qualifiers:
            sources.append(text)
        if "query" in qualifiers:
            queries.append(text)
        if "guard_content" in qualifiers:
            texts.append(text)
    return GuardedText(texts, "\n".join(sources) if sources else None, "\n".join(queries) if queries else None)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    label: str  # the PII type or the regex name
    action: PiiAction
    match: str
    regex: str | None = None

    def entry(self) -> dict[str, Any]:
        action = "BLOCKED" if self.action == "BLOCK" else "ANONYMIZED"
        if self.regex is None:
            return {"match": self.match, "type": self.label, "action": action, "detected": True}
        return {"name": self.label, "match": self.match, "regex": self.regex, "action": action, "detected": True}


def _sensitive_spans(text: str, policies: GuardrailPolicies) -> list[_Span]:
    found: list[_Span] = []
    for entity in policies.pii_entities:
        patterns = [re.compile(entity.pattern)] if entity.pattern else []
        patterns += [phrase_pattern(example) for example in entity.examples]
        if not patterns:
            patterns = [BUILTIN_PII_PATTERNS[entity.type]]
        for pattern in patterns:
            found += [_Span(m.start(), m.end(), entity.type, entity.action, m.group()) for m in pattern.finditer(text)]
    for spec in policies.regexes:
        found += [
            _Span(m.start(), m.end(), spec.name, spec.action, m.group(), spec.pattern)
            for m in re.finditer(spec.pattern, text)
            if m.end() > m.start()
        ]
    chosen: list[_Span] = []
    for span in sorted(found, key=lambda s: (s.start, s.start - s.end)):
        if not chosen or span.start >= chosen[-1].end:
            chosen.append(span)
    return chosen


def _anonymize(text: str, spans: list[_Span]) -> str:
    for span in reversed(spans):
        text = f"{text[: span.start]}{{{span.label}}}{text[span.end :]}"
    return text


def _any_phrase(text: str, phrases: list[str]) -> bool:
    return any(phrase_pattern(p).search(text) for p in phrases if p.strip())


def _matches(text: str, phrases: list[str] | tuple[str, ...]) -> list[str]:
    return [m.group() for p in phrases if p.strip() for m in phrase_pattern(p).finditer(text)]


def _usage(policies: GuardrailPolicies, text: str, grounded: bool) -> dict[str, int]:
    units = max(1, math.ceil(len(text) / 1000))

    def when(configured: object) -> int:
        return units if configured else 0

    return {
        "topicPolicyUnits": when(policies.topics),
        "contentPolicyUnits": when(policies.content_filters),
        "wordPolicyUnits": when(policies.words or policies.managed_word_lists),
        "sensitiveInformationPolicyUnits": when(policies.regexes),
        "sensitiveInformationPolicyFreeUnits": when(policies.pii_entities),
        "contextualGroundingPolicyUnits": when(grounded),
    }


ROUTES: list[Route] = [
    route(
        "ApplyGuardrail",
        "bedrock-runtime",
        "POST",
        "/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply",
        apply_guardrail,
        target_param="guardrailIdentifier",
    ),
]
