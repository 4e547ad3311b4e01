"""Deterministic checks on one answer: one scoring function per check declared in `evalcore.suite.check_specs`,
keyed by its name in IMPLEMENTATIONS.

Every check gives a MetricScore with a value on 0-1. Pass/fail checks (all but token_f1 and rouge_l) also set
`passed`; the graded reference metrics leave it None and feed aggregates and thresholds only. A check that cannot be
computed (no reference in the record, no cost known) sets `error` instead.

Text arguments are templates over the dataset record (`contains: "{{referenceResponse}}"`); inside a regex the
inserted values are escaped, so they match literally. Text comparisons ignore case unless `case_sensitive: true`.
`json_valid` and `json_schema` read the answer as JSON, allowing one surrounding Markdown code fence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from evalcore.domain.results import MetricScore
from evalcore.metrics import text_similarity
from evalcore.suite.check_specs import REFERENCE_FIELD
from evalcore.suite.models import CheckMetric
from evalcore.suite.template import render

_FENCE = re.compile(r"^```[A-Za-z0-9_-]*\s*\n(.*?)\n?```$", re.DOTALL)
_FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")


@dataclass(frozen=True, slots=True)
class Answer:
    """What a check looks at: the model's text and what the call measured."""

    text: str
    latency_ms: float | None = None
    cost_usd: float | None = None


class _NotComputable(Exception):
    """The check has nothing to measure (e.g. no reference): the metric is an error, never a pass."""


def run_check(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> MetricScore:
    """Compute one check on one answer; never raises for the answer's content."""
    try:
        value, passed, explanation = IMPLEMENTATIONS[metric.check](metric, answer, record)
    except _NotComputable as exc:
        return MetricScore(name=metric.name, error=str(exc))
    return MetricScore(name=metric.name, value=value, passed=passed, explanation=explanation)


Outcome = tuple[float, bool | None, str | None]


def _reference(record: Mapping[str, Any]) -> str:
    reference = record.get(REFERENCE_FIELD)
    if not isinstance(reference, str) or not reference.strip():
        raise _NotComputable(f"the record has no {REFERENCE_FIELD} to compare with")
    return reference


def _text(template: Any, record: Mapping[str, Any]) -> str:
    return render(str(template), record)


def _fold(text: str, metric: CheckMetric) -> str:
    return text if metric.case_sensitive else text.casefold()


def _verdict(ok: bool, why: str) -> Outcome:
    return (1.0 if ok else 0.0), ok, None if ok else why


def _exact_match(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    value = text_similarity.exact_match(answer.text, _reference(record))
    return value, value == 1.0, None if value else "the answer does not match the reference"


def _token_f1(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    return text_similarity.token_f1(answer.text, _reference(record)), None, None


def _rouge_l(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    return text_similarity.rouge_l(answer.text, _reference(record)), None, None


def _json_valid(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    try:
        _parse_json(answer.text)
    except ValueError as exc:
        return _verdict(False, f"not JSON: {exc}")
    return _verdict(True, "")


def _equals(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    expected = _text(metric.arg, record).strip()
    ok = _fold(answer.text.strip(), metric) == _fold(expected, metric)
    return _verdict(ok, f"expected exactly {_clip(expected)}")


def _contains(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    expected = _text(metric.arg, record)
    return _verdict(_fold(expected, metric) in _fold(answer.text, metric), f"does not contain {_clip(expected)}")


def _contains_any(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    options = [_text(a, record) for a in metric.arg]
    text = _fold(answer.text, metric)
    ok = any(_fold(o, metric) in text for o in options)
    return _verdict(ok, f"contains none of {', '.join(_clip(o) for o in options)}")


def _contains_all(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    text = _fold(answer.text, metric)
    missing = [o for o in (_text(a, record) for a in metric.arg) if _fold(o, metric) not in text]
    return _verdict(not missing, f"does not contain {', '.join(_clip(m) for m in missing)}")


def _not_contains(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    unwanted = _text(metric.arg, record)
    return _verdict(_fold(unwanted, metric) not in _fold(answer.text, metric), f"contains {_clip(unwanted)}")


def _regex(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    source = _FIELD.sub(lambda m: re.escape(_text(m.group(0), record)), str(metric.arg))
    try:
        pattern = _compiled(source, 0 if metric.case_sensitive else re.IGNORECASE)
    except re.error as exc:
        raise _NotComputable(f"invalid regular expression after filling in the record: {exc}") from None
    return _verdict(pattern.search(answer.text) is not None, f"no match for /{_clip(source)}/")


def _starts_with(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    prefix = _text(metric.arg, record)
    ok = _fold(answer.text.lstrip(), metric).startswith(_fold(prefix, metric))
    return _verdict(ok, f"does not start with {_clip(prefix)}")


def _json_schema(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    try:
        document = _parse_json(answer.text)
    except ValueError as exc:
        return _verdict(False, f"not JSON: {exc}")
    try:
        validator = _validator(json.dumps(metric.arg, sort_keys=True))
    except Exception as exc:  # jsonschema.SchemaError and friends: the suite's schema is broken
        raise _NotComputable(f"invalid JSON Schema: {exc}") from None
    error = next(iter(validator.iter_errors(document)), None)
    if error is None:
        return _verdict(True, "")
    where = "/".join(str(p) for p in error.absolute_path) or "the document"
    return _verdict(False, f"{where}: {error.message}")


def _bounds(measure: str, value: float | None, metric: CheckMetric, unit: str) -> Outcome:
    if value is None:
        raise _NotComputable(f"no {measure} is known for this answer")
    low, high = metric.arg.get("min"), metric.arg.get("max")
    if low is not None and value < low:
        return _verdict(False, f"{measure} {value:g}{unit} is below {low:g}{unit}")
    if high is not None and value > high:
        return _verdict(False, f"{measure} {value:g}{unit} is above {high:g}{unit}")
    return _verdict(True, "")


def _length(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    return _bounds("length", len(answer.text), metric, " characters")


def _latency(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    return _bounds("latency", answer.latency_ms, metric, " ms")


def _cost(metric: CheckMetric, answer: Answer, record: Mapping[str, Any]) -> Outcome:
    if answer.cost_usd is None:
        raise _NotComputable("no price is known for this model (set `price:` on the model in the suite)")
    return _bounds("cost", answer.cost_usd, metric, " USD")


def _parse_json(text: str) -> Any:
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    return json.loads(fenced.group(1) if fenced else stripped)


@lru_cache(maxsize=256)
def _compiled(source: str, flags: int) -> re.Pattern[str]:
    return re.compile(source, flags)


@lru_cache(maxsize=64)
def _validator(schema_json: str) -> Any:
    from jsonschema import validators

    schema = json.loads(schema_json)
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _clip(text: str, limit: int = 80) -> str:
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(shown)


# Check name (as declared in evalcore.suite.check_specs.CHECKS) -> its scoring function.
IMPLEMENTATIONS: dict[str, Callable[[CheckMetric, Answer, Mapping[str, Any]], Outcome]] = {
    "exact_match": _exact_match,
    "token_f1": _token_f1,
    "rouge_l": _rouge_l,
    "json_valid": _json_valid,
    "equals": _equals,
    "contains": _contains,
    "contains_any": _contains_any,
    "contains_all": _contains_all,
    "not_contains": _not_contains,
    "regex": _regex,
    "starts_with": _starts_with,
    "json_schema": _json_schema,
    "length": _length,
    "latency_ms": _latency,
    "cost_usd": _cost,
}
