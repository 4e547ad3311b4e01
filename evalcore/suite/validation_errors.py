"""pydantic's validation errors, turned into one readable line each at the YAML position they concern."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from evalcore.suite.models import EVALUATION_TAGS, UNION_TAGS, Evaluation, modes_with
from evalcore.suite.problems import Loc, Problem, format_loc
from evalcore.suite.yaml_source import YamlDocument

_PATTERN_HINTS = {
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$": "use letters, digits, `_`, `.` or `-`, at most 63 characters",
    r"^https?://": "use an http:// or https:// URL",
    r"^[a-z]{2}(-[a-z]+)+-\d$": "use a region name such as us-east-1",
    r"^(DRAFT|[1-9][0-9]{0,7})$": "use DRAFT or a version number such as 1",
    r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/.+$": "use an IAM role ARN such as arn:aws:iam::123456789012:role/Name",
    r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$": "use an S3 URI such as s3://bucket/prefix/",
}

_TYPE_WORDS = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
}


def problems_from(exc: ValidationError, root: type[BaseModel], doc: YamlDocument) -> list[Problem]:
    """One problem per error, with 'did you mean' for unknown keys; a typo'd key is reported once, not twice."""
    errors = exc.errors(include_url=False)
    cleaned = [(_clean(root, tuple(e["loc"])), e) for e in errors]
    typo_fixes: set[Loc] = set()
    for loc, err in cleaned:
        if err["type"] == "extra_forbidden":
            guess = _suggest(str(loc[-1]), _allowed_keys(root, tuple(err["loc"])[:-1]))
            if guess:
                typo_fixes.add((*loc[:-1], guess))
    problems: list[Problem] = []
    seen: set[str] = set()
    for loc, err in cleaned:
        if err["type"] == "missing" and loc in typo_fixes:
            continue
        problem = _problem(root, doc, loc, err, tuple(err["loc"]))
        if str(problem) not in seen:
            seen.add(str(problem))
            problems.append(problem)
    return problems


def _problem(root: type[BaseModel], doc: YamlDocument, loc: Loc, err: ErrorDetails, raw: Loc) -> Problem:
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        model = _model_at(root, raw[:-1])
        modes = modes_with(key) if model is not None and issubclass(model, Evaluation) else []
        if modes:
            shown = ", ".join(modes[:-1]) + f" or {modes[-1]}" if len(modes) > 1 else modes[0]
            return doc.problem(
                loc, f"`{key}` is only for mode: {shown}", prefer_key=True, field_name=format_loc(loc[:-1]) or ""
            )
        allowed = _allowed_keys(root, raw[:-1])
        guess = _suggest(key, allowed)
        hint = f"did you mean '{guess}'?" if guess else f"expected one of: {', '.join(sorted(allowed))}"
        return doc.problem(loc, f"unknown key '{key}' ({hint})", prefer_key=True, field_name=format_loc(loc[:-1]) or "")
    if kind == "missing":
        model = _model_at(root, raw[:-1])
        block_hint = (
            model.missing_hints.get(str(loc[-1])) if model is not None and issubclass(model, Evaluation) else None
        )
        if block_hint is not None:
            mode = value.get("mode") if isinstance(value, dict) else None
            return doc.problem(loc[:-1], block_hint.format(mode=mode), field_name=format_loc(loc[:-1]) or None)
        return doc.problem(loc[:-1], f"missing required key '{loc[-1]}'", field_name=format_loc(loc[:-1]) or None)
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        guess = _suggest(str(value), [s.strip(" '") for s in expected.replace(" or ", ",").split(",")])
        hint = f"did you mean '{guess}'?" if guess else f"expected {expected}"
        return doc.problem(loc, f"'{value}' is not allowed ({hint})")
    if kind == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern", "")
        hint = _PATTERN_HINTS.get(pattern, f"it must match {pattern}")
        return doc.problem(loc, f"'{_short(value)}' is not valid ({hint})")
    if kind in _TYPE_WORDS:
        return doc.problem(loc, f"expected {_TYPE_WORDS[kind]}, got {_describe(value)}")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return doc.problem(loc, f"{_short(value)} is out of range: {err['msg'].lower().replace('input ', '')}")
    if kind in ("too_short", "too_long"):
        return doc.problem(loc, err["msg"].replace("List", "the list").replace("String", "the text"))
    if kind == "unknown_metric":
        scope = _nearest_names()
        guess = _suggest(str(value), scope)
        hint = f"did you mean '{guess}'?" if guess else "see `evalcore schema` or the README for metric names"
        return doc.problem(loc, f"{err['msg']} ({hint})")
    return doc.problem(loc, err["msg"].removeprefix("Value error, "))


def _nearest_names() -> list[str]:
    from evalcore.aws_facts import bedrock_metrics
    from evalcore.suite import check_specs

    return [*bedrock_metrics.JUDGE, *bedrock_metrics.ALGORITHMIC, *bedrock_metrics.RAG, *check_specs.NAMES]


def _suggest(word: str, options: typing.Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    if matches:
        return matches[0]
    lowered = {o.lower(): o for o in options}
    return lowered.get(word.lower())


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return f"'{_short(value)}'"


# ---- walking the model classes along an error location ---------------------------------------------------------


def _clean(root: type[BaseModel], loc: Loc) -> Loc:
    """The location without pydantic's union-member tags."""
    return tuple(p for p in loc if not (isinstance(p, str) and p in UNION_TAGS))


def _allowed_keys(root: type[BaseModel], loc: Loc) -> list[str]:
    model = _model_at(root, loc)
    if model is None:
        return []
    return [name for name in model.model_fields if not name.startswith("_")]


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class at a location as pydantic gives it (an evaluation's mode tag picks its type)."""
    candidates: list[Any] = [root]
    for part in loc:
        if isinstance(part, str) and part in EVALUATION_TAGS:
            candidates = [EVALUATION_TAGS[part]]
            continue
        if isinstance(part, str) and part in UNION_TAGS:
            continue
        nxt: list[Any] = []
        for tp in candidates:
            for member in _members(tp):
                if isinstance(member, type) and issubclass(member, BaseModel):
                    field = member.model_fields.get(str(part))
                    if field is not None:
                        nxt.append(field.annotation)
                else:
                    origin = typing.get_origin(member)
                    args = typing.get_args(member)
                    if origin is list and args:
                        nxt.append(args[0])
                    elif origin is dict and len(args) == 2:
                        nxt.append(args[1])
        candidates = nxt
    for tp in candidates:
        for member in _members(tp):
            if isinstance(member, type) and issubclass(member, BaseModel):
                return member
    return None


def _members(tp: Any) -> list[Any]:
    """A type with Annotated, Optional and unions unpacked into its plain members."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _members(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out.extend(_members(arg))
        return out
    return [tp]
