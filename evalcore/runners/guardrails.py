"""Guardrail probes: each probe through its section's `via` (ApplyGuardrail, Converse or InvokeModel), judged
against what it expects (blocked, allowed or anonymized) and, when it names one, the policy that must fire.

Every call goes through the shared scheduler (concurrency, throttling, retries, cache keyed by guardrail id and
version). A guardrail that does not exist is a final error (no retries); once one probe has found it missing, the
probes not yet sent error with the same reason without calling.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from evalcore.aws_facts.invoke_model_families import UnsupportedModel
from evalcore.domain.plan import Case
from evalcore.domain.results import CaseResult, GuardrailOutcome, PolicyHit, Status
from evalcore.engine.scheduler import CallFailed, Cancelled
from evalcore.runners import guardrail_policies as policies
from evalcore.runners.context import RunContext, case_result
from evalcore.runners.guardrail_vias import ApplyVia, ConverseVia, InvokeVia, Reading, UnreadableResponse, Via
from evalcore.suite.load import ResolvedProbe
from evalcore.suite.models import GuardrailSection, Probe


def run_guardrails(
    ctx: RunContext, section_name: str, cases: Iterable[Case], emit: Callable[[CaseResult], None]
) -> None:
    section = next(g for g in ctx.loaded.suite.guardrails if g.name == section_name)
    try:
        via = _via(ctx, section)
    except UnsupportedModel as exc:
        for case in cases:
            emit(_error(case, None, str(exc), 0))
        return
    missing = _MissingGuardrail(section, via)
    ctx.scheduler.map(cases, lambda case: _run_case(ctx, via, missing, case), emit, workers=section.concurrency)


def _via(ctx: RunContext, section: GuardrailSection) -> Via:
    client = ctx.aws.client("bedrock-runtime")
    if section.via == "apply":
        return ApplyVia(client, section.guardrail)
    if section.model is None:  # the loader reports this before a run
        raise ValueError(f"via {section.via} needs `model:`")
    suite = ctx.loaded.suite
    spec = suite.model_spec(section.model)
    inference = suite.defaults.inference.merged(spec.inference)
    if section.via == "converse":
        return ConverseVia(client, section.guardrail, spec.id, inference)
    return InvokeVia(client, section.guardrail, spec.id, inference)


class _MissingGuardrail:
    """Remembers that the guardrail was not found, so later probes do not call again."""

    def __init__(self, section: GuardrailSection, via: Via) -> None:
        self.section = section
        self.via = via
        self.reason: str | None = None
        self._lock = threading.Lock()

    def check(self, failure: str) -> str | None:
        """The reason to give when `failure` says the guardrail does not exist, else None."""
        lowered = failure.lower()
        named = "guardrail" in lowered or self.section.via == "apply"
        if not (named and ("resourcenotfound" in lowered or "does not exist" in lowered)):
            return None
        ref = self.section.guardrail
        region = self.via.client.meta.region_name
        reason = (
            f"guardrail '{ref.id}' version {ref.version} was not found in {region} ({failure}): check `guardrail.id` "
            "(an id or ARN) and `version` in the suite, and that the run uses the guardrail's region and account"
        )
        with self._lock:
            self.reason = self.reason or reason
            return self.reason


def _run_case(ctx: RunContext, via: Via, missing: _MissingGuardrail, case: Case) -> CaseResult:
    resolved = case.item_as(ResolvedProbe)
    probe = resolved.probe
    if missing.reason is not None:
        return _error(case, via.model_id, missing.reason, 0)
    try:
        result = ctx.scheduler.call(via.call(probe))
    except CallFailed as exc:
        return _error(case, via.model_id, missing.check(exc.reason) or exc.reason, exc.attempts)
    except Cancelled:
        return _error(case, via.model_id, "cancelled before it finished", 0)
    try:
        reading = via.read(result.value, probe)
    except (UnreadableResponse, KeyError, TypeError, ValueError) as exc:
        return _error(case, via.model_id, f"unreadable response: {exc}", result.attempts)
    status, reason, fired = judge(probe, reading)
    return CaseResult(
        case_id=case.id,
        section=case.section,
        kind="guardrail",
        model=case.model,
        model_id=via.model_id,
        item_key=case.item_key,
        fingerprint=case.fingerprint,
        status=status,
        reason=reason,
        source=resolved.origin,
        prompt=probe.text,
        output=reading.output,
        stop_reason=reading.stop_reason,
        latency_ms=None if result.cached else result.value.get("latency_ms"),
        usage=reading.usage,
        cached=result.cached,
        attempts=result.attempts,
        guardrail=GuardrailOutcome(
            expected=probe.expect,
            observed=reading.observed,
            expected_policy=probe.policy,
            policy_fired=fired,
            hits=reading.acted,
            mutation=resolved.mutation,
            source=probe.source,
            units=reading.units,
            tags=probe.tags,
        ),
    )


def judge(probe: Probe, reading: Reading) -> tuple[Status, str | None, bool | None]:
    """(status, why it failed, whether the expected policy fired). A probe passes when the guardrail did what it
    expects and, if it names a policy, that policy took the expected action (at `min_confidence` or higher)."""
    fired: bool | None = None
    if probe.policy is not None:
        fired = any(policies.confident(h, probe.min_confidence) for h in _named(probe, reading.acted))
    if reading.observed != probe.expect:
        return "fail", _mismatch(probe, reading), fired
    if fired is False:
        return "fail", _wrong_policy(probe, reading.acted) + _unknown_note(reading), fired
    return "pass", None, fired


def _named(probe: Probe, acted: list[PolicyHit]) -> list[PolicyHit]:
    """The hits of the probe's policy that took the probe's action (BLOCKED for blocked, ANONYMIZED for anonymized)."""
    action = _ACTION[probe.expect]
    return [h for h in acted if h.action == action and policies.matches(probe.policy or "", h)]


def _mismatch(probe: Probe, reading: Reading) -> str:
    acted = reading.acted
    if reading.observed == "allowed":
        quiet = [h for h in reading.findings if h.action not in policies.ACTING]
        detail = f"detected without acting: {policies.describe(quiet)}" if quiet else "no policy fired"
        return f"expected {probe.expect}, but the guardrail let it through ({detail})"
    action = _ACTION[reading.observed]
    doers = [h for h in acted if h.action == action]
    by = f" by {policies.describe(doers)}" if doers else " (no assessment says which policy)"
    return f"expected {probe.expect}, but the guardrail {reading.observed} it{by}{_unknown_note(reading)}"


def _wrong_policy(probe: Probe, acted: list[PolicyHit]) -> str:
    want = f"{probe.policy} at {probe.min_confidence} confidence or higher" if probe.min_confidence else probe.policy
    named = _named(probe, acted)
    if named:
        return f"{probe.expect} as expected, but {policies.describe(named)} fired below {want}"
    doers = policies.describe([h for h in acted if h.action == _ACTION[probe.expect]]) or "a policy no assessment names"
    return f"{probe.expect} as expected, but by {doers}, not by the expected {want}"


def _unknown_note(reading: Reading) -> str:
    return f" ({policies.unexplained_note(reading.findings)})" if reading.intervened else ""


_ACTION = {"blocked": "BLOCKED", "anonymized": "ANONYMIZED", "allowed": "NONE"}


def _error(case: Case, model_id: str | None, reason: str, attempts: int) -> CaseResult:
    item = case.item
    return case_result(
        case,
        model_id=model_id,
        reason=reason,
        source=item.origin if isinstance(item, ResolvedProbe) else None,
        prompt=item.probe.text if isinstance(item, ResolvedProbe) else None,
        attempts=attempts,
    )
