"""The deterministic checks a suite may use, each declared once: its name, what its argument must be, and whether it
compares with the record's reference answer.

Everything the suite layer knows about a check derives from `CHECKS`: the allowed names in the models and the JSON
Schema, the argument validation of the loader, the fields a dataset must have, the "did you mean" suggestions. The
scoring function lives in `evalcore.metrics.checks`, keyed by the same name (the suite layer sits below metrics);
tests/metrics/test_check_registry.py fails when a declared check has no implementation or the reverse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

REFERENCE_FIELD = "referenceResponse"  # the record's reference answer, which `needs_reference` checks compare with


@dataclass(frozen=True, slots=True)
class Argument:
    """What a check's argument must be: `accepts` tells, `expected` says it in the error ("`x` takes <expected>"),
    `problem` finds what is still wrong with an accepted argument (e.g. a regex that does not compile)."""

    expected: str
    accepts: Callable[[Any], bool]
    problem: Callable[[Any], str | None] = lambda arg: None


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One deterministic check. Without `argument` it is written as a bare name (`- exact_match`), with one as a
    one-key mapping (`- contains: "{{referenceResponse}}"`). `needs_reference`: it compares the answer with the
    record's REFERENCE_FIELD, so every record must have that field. `reads_model_call`: it bounds a model call's
    measures (latency, token cost), which only a model's answer has."""

    name: str
    argument: Argument | None = None
    needs_reference: bool = False
    reads_model_call: bool = False

    def argument_problem(self, arg: Any) -> str | None:
        """What is wrong with `arg` as this check's argument, or None."""
        if self.argument is None:
            return None
        if not self.argument.accepts(arg):
            return f"`{self.name}` takes {self.argument.expected}"
        return self.argument.problem(arg)


def _regex_problem(arg: str) -> str | None:
    try:
        re.compile(arg)
    except re.error as exc:
        return f"invalid regular expression: {exc}"
    return None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


TEXT = Argument("a value such as a text", lambda arg: arg is not None and not isinstance(arg, dict | list))
TEXT_LIST = Argument(
    "a list of text", lambda arg: isinstance(arg, list) and bool(arg) and all(isinstance(a, str) for a in arg)
)
BOUNDS = Argument(
    "a mapping {min: N, max: N}",
    lambda arg: isinstance(arg, dict) and bool(arg) and set(arg) <= {"min", "max"} and all(map(_number, arg.values())),
)
JSON_SCHEMA = Argument("a JSON Schema mapping", lambda arg: isinstance(arg, dict))
REGEX = Argument("a regular expression", lambda arg: isinstance(arg, str), _regex_problem)

_DECLARED = (
    CheckSpec("exact_match", needs_reference=True),
    CheckSpec("token_f1", needs_reference=True),
    CheckSpec("rouge_l", needs_reference=True),
    CheckSpec("json_valid"),
    CheckSpec("equals", TEXT),
    CheckSpec("contains", TEXT),
    CheckSpec("contains_any", TEXT_LIST),
    CheckSpec("contains_all", TEXT_LIST),
    CheckSpec("not_contains", TEXT),
    CheckSpec("regex", REGEX),
    CheckSpec("starts_with", TEXT),
    CheckSpec("json_schema", JSON_SCHEMA),
    CheckSpec("length", BOUNDS),
    CheckSpec("latency_ms", BOUNDS, reads_model_call=True),
    CheckSpec("cost_usd", BOUNDS, reads_model_call=True),
)
CHECKS: dict[str, CheckSpec] = {spec.name: spec for spec in _DECLARED}

# The names, in declaration order: written bare, written with an argument, and all of them.
WITHOUT_ARGUMENT = tuple(name for name, spec in CHECKS.items() if spec.argument is None)
WITH_ARGUMENT = tuple(name for name, spec in CHECKS.items() if spec.argument is not None)
NAMES = tuple(CHECKS)
