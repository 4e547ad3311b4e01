"""Validators generated at run time from botocore's service models (the ``shapes`` of
``botocore/data/<service>/<version>/service-2.json``), never written by hand.

:func:`validator` compiles a shape once (cached per service and shape name) into a check that walks a value and
collects every violation of the model's constraints: types, required members, ``min``/``max`` (lengths of strings,
lists, maps and blobs; values of numbers), ``pattern`` (full match, as AWS's Coral validation applies it) and
``enum``. A union must set exactly one member it knows.

The messages follow the wording AWS's services answer with, e.g. ``1 validation error detected: Value '0' at
'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1`` and
``Value null at 'messages.1.member.content' failed to satisfy constraint: Member must not be null`` (quoted from AWS
responses in maximhq/bifrost#6732, aws-samples/amazon-bedrock-client-for-mac#11, aws/aws-sdk-js-v3#5665): list
elements are written ``<list>.<1-based index>.member``, map values ``<map>.<key>``. The wording of a wrong JSON type
and of a union with no or several members was not found in any source; the emulator refuses both with a
ValidationException in the same style.

``strict`` validators (used by the contract test on the emulator's own responses) also refuse members the model does
not declare; request validators ignore them, as AWS's JSON protocols do.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import botocore.session
import regex
from botocore.model import ServiceModel, Shape

Check = Callable[[Any, str, list[str]], None]  # (value, path, violations to append to)

# Enum values AWS accepts though botocore's model omits them, each with the AWS source that sends it. This is the only
# place the validator is looser than the model.
ACCEPTED_BEYOND_MODEL: dict[tuple[str, str], frozenset[str]] = {
    # aws-samples/amazon-bedrock-samples, evaluation-observe/bedrock-llm-as-judge-evaluation/model-as-a-judge.ipynb
    # ("must be General for LLMaaJ") and bedrock-eval-custom-metrics/custom-metrics-model-evaluation.ipynb.
    ("bedrock", "EvaluationTaskType"): frozenset({"General"}),
}


@cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of ``service`` (loaded once per process)."""
    return _session().get_service_model(service)


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


def validator(service: str, shape_name: str, strict: bool = False) -> Check:
    """The compiled check of a named shape of ``service``'s model."""
    return _compiled(service, shape_name, strict)


def message(violations: list[str]) -> str:
    """AWS's summary of a request's violations."""
    count = len(violations)
    noun = "validation error" if count == 1 else "validation errors"
    return f"{count} {noun} detected: " + "; ".join(violations)


def violation(value: Any, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{_show(value)}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: Member must {constraint}"


@cache
def _compiled(service: str, shape_name: str, strict: bool) -> Check:
    shape = service_model(service).shape_for(shape_name)
    return _compile(shape, service, strict)


def _child(shape: Shape, service: str, strict: bool) -> Check:
    """A member's check, resolved lazily so that recursive shapes (documents of blocks of documents) compile."""
    name = shape.name
    holder: list[Check] = []

    def check(value: Any, path: str, errors: list[str]) -> None:
        if not holder:
            holder.append(_compiled(service, name, strict))
        holder[0](value, path, errors)

    return check


def _compile(shape: Shape, service: str, strict: bool) -> Check:
    kind = shape.type_name
    meta = shape.metadata
    if meta.get("document"):
        return _any
    if kind == "structure":
        return _structure(shape, service, strict)
    if kind == "list":
        return _list(shape, service, strict)
    if kind == "map":
        return _map(shape, service, strict)
    if kind == "string":
        return _string(shape, ACCEPTED_BEYOND_MODEL.get((service, shape.name), frozenset()))
    if kind in ("integer", "long"):
        return _number(meta, integer=True)
    if kind in ("float", "double"):
        return _number(meta, integer=False)
    if kind == "boolean":
        return _typed(lambda v: isinstance(v, bool), "be a boolean")
    if kind == "blob":
        return _blob(meta)
    if kind == "timestamp":
        return _typed(lambda v: isinstance(v, str | int | float) and not isinstance(v, bool), "be a timestamp")
    raise ValueError(f"{service}: shape {shape.name} has type {kind}, which the emulator's validator does not know")


def _any(value: Any, path: str, errors: list[str]) -> None:
    return None


def _typed(accepts: Callable[[Any], bool], what: str) -> Check:
    def check(value: Any, path: str, errors: list[str]) -> None:
        if not accepts(value):
            errors.append(violation(value, path, what))

    return check


def _structure(shape: Shape, service: str, strict: bool) -> Check:
    members = {name: _child(member, service, strict) for name, member in shape.members.items()}
    required = tuple(shape.required_members)
    union = bool(shape.metadata.get("union"))
    exception = bool(shape.metadata.get("exception"))

    def check(value: Any, path: str, errors: list[str]) -> None:
        if not isinstance(value, dict):
            errors.append(violation(value, path, "be a structure"))
            return
        for name in required:
            if value.get(name) is None:
                errors.append(violation(None, _join(path, name), "not be null"))
        known = 0
        for name, item in value.items():
            member = members.get(name)
            if member is None:
                if strict and not (exception and name in ("message", "Message")):
                    errors.append(f"'{_join(path, name)}' is not a member of {shape.name}")
                continue
            if item is None:
                continue
            known += 1
            member(item, _join(path, name), errors)
        if union and known != 1:
            errors.append(violation(value, path or shape.name, "have exactly one member of the union set"))

    return check


def _list(shape: Shape, service: str, strict: bool) -> Check:
    member = _child(shape.member, service, strict)
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def check(value: Any, path: str, errors: list[str]) -> None:
        if not isinstance(value, list):
            errors.append(violation(value, path, "be a list"))
            return
        _length(value, len(value), low, high, path, errors)
        for index, item in enumerate(value, start=1):
            if item is None:
                errors.append(violation(None, f"{path}.{index}.member", "not be null"))
            else:
                member(item, f"{path}.{index}.member", errors)

    return check


def _map(shape: Shape, service: str, strict: bool) -> Check:
    key, value_check = _compile(shape.key, service, strict), _child(shape.value, service, strict)
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def check(value: Any, path: str, errors: list[str]) -> None:
        if not isinstance(value, dict):
            errors.append(violation(value, path, "be a map"))
            return
        _length(value, len(value), low, high, path, errors)
        for name, item in value.items():
            key(name, f"{path}.{name}", errors)
            if item is not None:
                value_check(item, f"{path}.{name}", errors)

    return check


def _string(shape: Shape, beyond: frozenset[str]) -> Check:
    meta = shape.metadata
    low, high = meta.get("min"), meta.get("max")
    enum = tuple(shape.enum or ())
    enum_set = frozenset(enum) | beyond
    pattern = meta.get("pattern")
    compiled = _pattern(shape.name, pattern) if pattern else None

    def check(value: Any, path: str, errors: list[str]) -> None:
        if not isinstance(value, str):
            errors.append(violation(value, path, "be a string"))
            return
        _length(value, len(value), low, high, path, errors)
        if enum_set and value not in enum_set:
            errors.append(violation(value, path, f"satisfy enum value set: [{', '.join(enum)}]"))
        if compiled is not None and compiled.fullmatch(value) is None:
            errors.append(violation(value, path, f"satisfy regular expression pattern: {pattern}"))

    return check


def _pattern(name: str, pattern: str) -> Any:
    """The compiled pattern: Python's ``re``, or for Java's Unicode classes (``\\p{L}``, ``\\P{C}``) the ``regex``
    package, which knows them."""
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        pass
    try:
        return regex.compile(pattern, regex.DOTALL)
    except regex.error as exc:
        raise ValueError(f"the pattern of shape {name} is not a regular expression Python can run ({exc})") from None


def _number(meta: dict[str, Any], integer: bool) -> Check:
    low, high = meta.get("min"), meta.get("max")

    def check(value: Any, path: str, errors: list[str]) -> None:
        ok = isinstance(value, int) if integer else isinstance(value, int | float) and math.isfinite(value)
        if isinstance(value, bool) or not ok:
            errors.append(violation(value, path, "be an integer" if integer else "be a number"))
            return
        if low is not None and value < low:
            errors.append(violation(value, path, f"have value greater than or equal to {low}"))
        if high is not None and value > high:
            errors.append(violation(value, path, f"have value less than or equal to {high}"))

    return check


def _blob(meta: dict[str, Any]) -> Check:
    """A blob is raw bytes as an HTTP payload, base64 text inside JSON."""
    low, high = meta.get("min"), meta.get("max")

    def check(value: Any, path: str, errors: list[str]) -> None:
        if isinstance(value, str):
            try:
                value = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                errors.append(violation(value, path, "be base64-encoded binary data"))
                return
        if not isinstance(value, bytes | bytearray):
            errors.append(violation(value, path, "be binary data"))
            return
        _length(value, len(value), low, high, path, errors)

    return check


def _length(value: Any, size: int, low: int | None, high: int | None, path: str, errors: list[str]) -> None:
    if low is not None and size < low:
        errors.append(violation(value, path, f"have length greater than or equal to {low}"))
    if high is not None and size > high:
        errors.append(violation(value, path, f"have length less than or equal to {high}"))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _show(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    text = str(value) if not isinstance(value, dict | list) else repr(value)
    return text if len(text) <= 200 else text[:200] + "..."
