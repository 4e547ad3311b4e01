"""Annotations for a verdict: each breached threshold at its line in the suite file, each other reason (a section
that did not run, one whose every case errored) on the suite file. GitHub shows 10 errors and 10 warnings per step:
the rest are counted in one notice."""

from __future__ import annotations

from dataclasses import dataclass

from entrypoint.workflow import Level, Workflow
from evalcore.domain.gate import describe
from evalcore.domain.results import Verdict

SHOWN_PER_LEVEL = 10


@dataclass(frozen=True)
class Annotation:
    level: Level
    title: str
    message: str
    file: str
    line: int | None = None


def verdict_annotations(verdict: Verdict, suite_file: str, breach_level: Level, error_level: Level) -> list[Annotation]:
    """Breaches at `breach_level`, infrastructure reasons at `error_level` (errors or warnings, as fail-on decides)."""
    found: list[Annotation] = []
    breaches = set()
    for check in verdict.checks:
        if check.passed:
            continue
        text = describe(check)
        breaches.add(text)
        who = f" ({check.model})" if check.model else ""
        found.append(Annotation(breach_level, f"Threshold not met: {check.section}{who}", text, suite_file, check.line))
    found.extend(
        Annotation(error_level, "Evaluation error", reason, suite_file)
        for reason in verdict.reasons
        if reason not in breaches
    )
    return found


def emit(workflow: Workflow, annotations: list[Annotation]) -> None:
    """At most 10 of each level, then one notice for what was left out."""
    counts: dict[str, int] = {}
    left_out = 0
    for a in annotations:
        counts[a.level] = counts.get(a.level, 0) + 1
        if counts[a.level] > SHOWN_PER_LEVEL:
            left_out += 1
            continue
        workflow.annotate(a.level, a.message, file=a.file, line=a.line, title=a.title)
    if left_out:
        workflow.annotate(
            "notice", f"{left_out} more problems are not annotated: see the step summary", title="evalcore"
        )
