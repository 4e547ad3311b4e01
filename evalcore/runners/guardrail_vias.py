"""The three ways a probe reaches a guardrail, each as a scheduler Call and a reading of its response.

- apply: ApplyGuardrail, no model invoked. Grounding probes send the grounding source and query as qualified
  content blocks.
- converse: Converse through the section's model with `guardrailConfig` (trace enabled). The guardrail verdict is
  `stopReason == guardrail_intervened`; which policy acted comes from `trace.guardrail`.
- invoke: InvokeModel with the guardrail headers (X-Amzn-Bedrock-GuardrailIdentifier/-Version/-Trace). The verdict is
  the body's `amazon-bedrock-guardrailAction`; `amazon-bedrock-guardrail-action` is accepted too, and so are the
  values INTERVENED (documented) and GUARDRAIL_INTERVENED (ApplyGuardrail's spelling, seen in the wild). Response
  headers are never used to decide: no documented header carries the verdict. The trace is read from
  `amazon-bedrock-trace.guardrail` (or `.guardrails`, as one AWS example writes it).

Through a model, the probe's text is the user's message. A `source: INPUT` probe is judged on the input
assessment alone; a `source: OUTPUT` probe on the whole exchange (the input, then the model's answer).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from evalcore.aws_facts import invoke_model_families
from evalcore.bedrock.converse_response import tokens_of, usage_of
from evalcore.bedrock.pricing import DEFAULT_MAX_OUTPUT_TOKENS, input_tokens_estimate
from evalcore.domain.results import PolicyHit, Usage
from evalcore.engine.cache import CacheKey, Endpoint
from evalcore.engine.scheduler import Call
from evalcore.runners import guardrail_policies as policies
from evalcore.runners import invoke_format
from evalcore.suite.models import GuardrailRef, Inference, Probe

INTERVENED = frozenset({"INTERVENED", "GUARDRAIL_INTERVENED"})
_ACTION_KEYS = ("amazon-bedrock-guardrailAction", "amazon-bedrock-guardrail-action")
PROBE_REPEAT = 0  # probes are not repeated (plan.py): every probe case is repeat 0


class UnreadableResponse(Exception):
    """A response that does not say what the guardrail did."""


@dataclass(frozen=True)
class Reading:
    """What one call says about a probe."""

    findings: list[PolicyHit]  # every policy the assessments report, acting or not
    intervened: bool  # the call intervened and no finding of its assessments says which policy acted
    output: str | None = None
    stop_reason: str | None = None
    units: int = 0
    usage: Usage = field(default_factory=Usage)

    @property
    def acted(self) -> list[PolicyHit]:
        """The policies that acted; `unknown` blocked when the call intervened and no finding says which."""
        return [h for h in self.findings if h.action in policies.ACTING] + (
            [policies.UNKNOWN] if self.intervened else []
        )

    @property
    def observed(self) -> policies.Observed:
        return policies.observed(self.acted)


class Via(Protocol):
    @property
    def client(self) -> Any: ...  # the bedrock-runtime client

    @property
    def model_id(self) -> str | None: ...

    def call(self, probe: Probe) -> Call: ...

    def read(self, value: dict[str, Any], probe: Probe) -> Reading: ...


def _worst_case(probe: Probe, inference: Inference) -> tuple[int, int]:
    """A probe's call at most, for the cost budget: its texts in (guardContent blocks are text too), maxTokens out."""
    chars = sum(len(t) for t in (probe.text, probe.grounding_source, probe.query) if t)
    return input_tokens_estimate(chars), inference.max_tokens or DEFAULT_MAX_OUTPUT_TOKENS


def _timed(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The response (without its metadata) and how long the call took: the value the scheduler caches."""
    started = time.perf_counter()
    response = fn()
    latency_ms = (time.perf_counter() - started) * 1000
    response.pop("ResponseMetadata", None)
    return {"response": response, "latency_ms": latency_ms}


@dataclass
class ApplyVia:
    client: Any
    guardrail: GuardrailRef
    model_id: str | None = None

    def call(self, probe: Probe) -> Call:
        content: list[dict[str, Any]] = []
        if probe.grounding_source is not None:
            content.append({"text": {"text": probe.grounding_source, "qualifiers": ["grounding_source"]}})
        if probe.query is not None:
            content.append({"text": {"text": probe.query, "qualifiers": ["query"]}})
        content.append({"text": {"text": probe.text, "qualifiers": ["guard_content"]}})
        request = {
            "guardrailIdentifier": self.guardrail.id,
            "guardrailVersion": self.guardrail.version,
            "source": probe.source,
            "content": content,
        }
        return Call(
            model=None,
            fn=lambda: _timed(lambda: self.client.apply_guardrail(**request)),
            cache_key=CacheKey(Endpoint.of(self.client), "guardrail-apply", None, None, request, PROBE_REPEAT),
        )

    def read(self, value: dict[str, Any], probe: Probe) -> Reading:
        response = value["response"]
        action = response.get("action")
        if action is None:
            raise UnreadableResponse("ApplyGuardrail's response has no `action`")
        outputs = [o.get("text", "") for o in response.get("outputs") or []]
        assessments = [a for a in response.get("assessments") or [] if isinstance(a, dict)]
        return Reading(
            findings=[h for a in assessments for h in policies.findings(a)],
            intervened=policies.unexplained(action in INTERVENED, assessments),
            output="\n".join(outputs) if outputs else None,
            stop_reason=action,
            units=policies.usage_units(response.get("usage") or {}),
        )


@dataclass
class ConverseVia:
    client: Any
    guardrail: GuardrailRef
    model_id: str
    inference: Inference

    def call(self, probe: Probe) -> Call:
        content: list[dict[str, Any]] = []
        for text, qualifier in ((probe.grounding_source, "grounding_source"), (probe.query, "query")):
            if text is not None:
                content.append({"guardContent": {"text": {"text": text, "qualifiers": [qualifier]}}})
        content.append({"text": probe.text})
        config = {
            "maxTokens": self.inference.max_tokens,
            "temperature": self.inference.temperature,
            "topP": self.inference.top_p,
            "stopSequences": self.inference.stop_sequences,
        }
        request = {
            "modelId": self.model_id,
            "messages": [{"role": "user", "content": content}],
            "inferenceConfig": {k: v for k, v in config.items() if v is not None},
            "guardrailConfig": {
                "guardrailIdentifier": self.guardrail.id,
                "guardrailVersion": self.guardrail.version,
                "trace": "enabled",
            },
        }
        return Call(
            model=self.model_id,
            fn=lambda: _timed(lambda: self.client.converse(**request)),
            cache_key=CacheKey(
                Endpoint.of(self.client), "guardrail-converse", None, self.model_id, request, PROBE_REPEAT
            ),
            estimated_tokens=len(probe.text) // 4 + (self.inference.max_tokens or 0),
            tokens_of=_converse_tokens,
            worst_tokens=_worst_case(probe, self.inference),
        )

    def read(self, value: dict[str, Any], probe: Probe) -> Reading:
        response = value["response"]
        stop_reason = response.get("stopReason")
        trace = (response.get("trace") or {}).get("guardrail") or {}
        inputs = [a for a in (trace.get("inputAssessment") or {}).values() if isinstance(a, dict)]
        outputs = [a for group in (trace.get("outputAssessments") or {}).values() for a in group or []]
        judged = inputs if probe.source == "INPUT" else inputs + outputs
        blocks = (response.get("output") or {}).get("message", {}).get("content") or []
        return Reading(
            findings=[h for a in judged for h in policies.findings(a)],
            intervened=policies.unexplained(stop_reason == "guardrail_intervened", inputs + outputs),
            output="".join(b.get("text", "") for b in blocks) or None,
            stop_reason=stop_reason,
            units=_assessment_units(inputs + outputs),
            usage=usage_of(response),
        )


@dataclass
class InvokeVia:
    client: Any
    guardrail: GuardrailRef
    model_id: str
    inference: Inference

    def __post_init__(self) -> None:
        invoke_model_families.family(self.model_id)  # UnsupportedModel before any call

    def call(self, probe: Probe) -> Call:
        body = invoke_format.request_body(self.model_id, probe.text, self.inference)
        request = {
            "modelId": self.model_id,
            "body": json.dumps(body),
            "contentType": "application/json",
            "accept": "application/json",
            "guardrailIdentifier": self.guardrail.id,
            "guardrailVersion": self.guardrail.version,
            "trace": "ENABLED",
        }
        return Call(
            model=self.model_id,
            fn=lambda: _timed(lambda: self._invoke(request)),
            cache_key=CacheKey(
                Endpoint.of(self.client), "guardrail-invoke", None, self.model_id, request, PROBE_REPEAT
            ),
            estimated_tokens=len(probe.text) // 4 + (self.inference.max_tokens or 0),
            tokens_of=lambda v: (v["response"]["input_tokens"], v["response"]["output_tokens"]),
            worst_tokens=_worst_case(probe, self.inference),
        )

    def _invoke(self, request: dict[str, Any]) -> dict[str, Any]:
        response = self.client.invoke_model(**request)
        headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        return {
            "body": json.loads(response["body"].read()),
            "input_tokens": int(headers.get("x-amzn-bedrock-input-token-count") or 0),
            "output_tokens": int(headers.get("x-amzn-bedrock-output-token-count") or 0),
        }

    def read(self, value: dict[str, Any], probe: Probe) -> Reading:
        response = value["response"]
        body = response["body"]
        action = next((body[k] for k in _ACTION_KEYS if k in body), None)
        if action is None:
            raise UnreadableResponse(
                "InvokeModel's body has no amazon-bedrock-guardrailAction: the guardrail was not applied "
                "(does this model support guardrails?)"
            )
        trace = body.get("amazon-bedrock-trace") or {}
        guardrail = trace.get("guardrail") or trace.get("guardrails") or {}
        inputs = [a for a in (guardrail.get("input") or {}).values() if isinstance(a, dict)]
        outputs = [a for group in guardrail.get("outputs") or [] for a in group.values() if isinstance(a, dict)]
        judged = inputs if probe.source == "INPUT" else inputs + outputs
        return Reading(
            findings=[h for a in judged for h in policies.findings(a)],
            intervened=policies.unexplained(str(action).upper() in INTERVENED, inputs + outputs),
            output=invoke_format.answer_text(self.model_id, body),
            stop_reason=str(action),
            units=_assessment_units(inputs + outputs),
            usage=Usage(input_tokens=response["input_tokens"], output_tokens=response["output_tokens"]),
        )


def _converse_tokens(value: dict[str, Any]) -> tuple[int, int]:
    return tokens_of(value["response"])


def _assessment_units(assessments: list[dict[str, Any]]) -> int:
    return sum(policies.usage_units((a.get("invocationMetrics") or {}).get("usage") or {}) for a in assessments)
