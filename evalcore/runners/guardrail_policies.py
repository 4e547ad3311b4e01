"""Guardrail assessments -> the policies they report, named as a suite names them, and what a probe observed.

One assessment shape serves ApplyGuardrail's `assessments[]`, Converse's `trace.guardrail` and InvokeModel's
`amazon-bedrock-trace.guardrail`. Policy names:

    topic.<topic name>        contentPolicy filters      content.<TYPE> (with its confidence)
    word (custom words)       managed_word.<LIST>        pii.<ENTITY TYPE>      regex.<regex name>
    grounding | relevance     (contextual grounding, with the score)
    automated_reasoning.<finding>   (automatedReasoningPolicy: valid, invalid, satisfiable, ...; detected only)
    unknown                   (the call intervened and no finding evalcore reads acted: a block, with a reason)

botocore's bedrock-runtime model (`GuardrailAssessment`) holds these policies; an automated reasoning finding is a
union (valid | invalid | satisfiable | impossible | translationAmbiguous | tooComplex | noTranslations) with no
action, so evalcore reports it as detected. A policy type botocore adds later is not read at all: either way an
intervention no finding explains must still count as a block, never as `allowed`.
"""

from __future__ import annotations

from typing import Any, Literal

from evalcore.domain.results import PolicyHit

Observed = Literal["blocked", "allowed", "anonymized"]

ACTING = frozenset({"BLOCKED", "ANONYMIZED"})
_CONFIDENCE = {"NONE": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3}


def findings(assessment: dict[str, Any]) -> list[PolicyHit]:
    """Every policy an assessment reports, whether it acted (BLOCKED, ANONYMIZED) or only detected (NONE)."""
    out: list[PolicyHit] = []
    for topic in _entries(assessment, "topicPolicy", "topics"):
        out.append(PolicyHit(policy=f"topic.{topic.get('name')}", action=_action(topic)))
    for f in _entries(assessment, "contentPolicy", "filters"):
        out.append(PolicyHit(policy=f"content.{f.get('type')}", action=_action(f), confidence=f.get("confidence")))
    for word in _entries(assessment, "wordPolicy", "customWords"):
        out.append(PolicyHit(policy="word", action=_action(word), match=word.get("match")))
    for word in _entries(assessment, "wordPolicy", "managedWordLists"):
        out.append(PolicyHit(policy=f"managed_word.{word.get('type')}", action=_action(word), match=word.get("match")))
    for entity in _entries(assessment, "sensitiveInformationPolicy", "piiEntities"):
        out.append(PolicyHit(policy=f"pii.{entity.get('type')}", action=_action(entity), match=entity.get("match")))
    for regex in _entries(assessment, "sensitiveInformationPolicy", "regexes"):
        out.append(PolicyHit(policy=f"regex.{regex.get('name')}", action=_action(regex), match=regex.get("match")))
    for f in _entries(assessment, "contextualGroundingPolicy", "filters"):
        out.append(PolicyHit(policy=str(f.get("type", "")).lower(), action=_action(f), score=f.get("score")))
    for finding in _entries(assessment, "automatedReasoningPolicy", "findings"):
        for kind in finding:
            out.append(PolicyHit(policy=f"automated_reasoning.{kind}", action="NONE"))
    return out


UNKNOWN = PolicyHit(policy="unknown", action="BLOCKED")


def unexplained(intervened: bool, assessments: list[dict[str, Any]]) -> bool:
    """Whether the call intervened while no finding of any of its assessments says a policy acted."""
    return intervened and not any(h.action in ACTING for a in assessments for h in findings(a))


def unexplained_note(hits: list[PolicyHit]) -> str:
    """Why `unknown` blocked: the call intervened, and what its assessments detected without a known action."""
    detected = describe([h for h in hits if h.action not in ACTING])
    tail = f"; detected: {detected}" if detected else ""
    return f"the call intervened and no assessment evalcore reads says which policy acted{tail}"


def usage_units(usage: dict[str, Any]) -> int:
    """Text units processed, summed over policies (Bedrock's `usage`: topicPolicyUnits, contentPolicyUnits...)."""
    return sum(v for k, v in usage.items() if k.endswith("Units") and isinstance(v, int))


def observed(acted: list[PolicyHit]) -> Observed:
    """Blocked when a policy blocked (`unknown` included), anonymized when policies only masked, else allowed."""
    if any(h.action == "BLOCKED" for h in acted):
        return "blocked"
    if any(h.action == "ANONYMIZED" for h in acted):
        return "anonymized"
    return "allowed"


def matches(expected: str, hit: PolicyHit) -> bool:
    """Whether a hit is the policy a probe names: a kind (`pii`) or a kind and name (`pii.EMAIL`, `topic.Investment
    advice`, case-insensitive); `word.<w>` names a custom word by its match."""
    kind, _, name = expected.partition(".")
    hit_kind, _, hit_name = hit.policy.partition(".")
    if kind != hit_kind:
        return False
    if not name or name.casefold() == hit_name.casefold():
        return True
    return kind == "word" and (hit.match or "").casefold() == name.casefold()


def confident(hit: PolicyHit, minimum: str | None) -> bool:
    """Whether a hit reached the minimum confidence (hits without a confidence always do)."""
    if minimum is None or hit.confidence is None:
        return True
    return _CONFIDENCE.get(hit.confidence, 0) >= _CONFIDENCE[minimum]


def describe(hits: list[PolicyHit]) -> str:
    """`content.INSULTS (HIGH), pii.EMAIL`: the policies, without the matched text."""
    parts = []
    for h in hits:
        detail = h.confidence or (f"score {h.score:g}" if h.score is not None else None)
        parts.append(f"{h.policy} ({detail})" if detail else h.policy)
    return ", ".join(dict.fromkeys(parts))


def _entries(assessment: dict[str, Any], policy: str, key: str) -> list[dict[str, Any]]:
    entries = (assessment.get(policy) or {}).get(key) or []
    return [e for e in entries if isinstance(e, dict)]


def _action(entry: dict[str, Any]) -> str:
    return str(entry.get("action") or "NONE")
