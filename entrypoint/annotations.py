"""Annotations for a verdict: each breached threshold at its line in the suite file, each other reason (a section
that did not run, one whose every case errored) on the suite file.

GitHub shows at most 10 error and 10 warning annotations per step (and 50 per job); the rest are dropped without a
word ("10 warning annotations and 10 error annotations per step", the GitHub community's answer on the limits,
https://github.com/orgs/community/discussions/26680, and GitHub's own "Extremely low annotation limit" thread,
https://github.com/orgs/community/discussions/68471). So the most important come first, and what is left out is
counted in one notice pointing to the step summary and the report. The order:

1. reasons the results cannot be trusted (a section that did not run, planned cases without a result, a section
   whose every case errored): an evaluation error says the verdict could not look at those cases at all, so it
   comes before any failure;
2. breached thresholds: one with no value first (nothing produced it), then the largest miss first, measured as
   the distance past the bound over the bound's size (at least 1, so a 0-1 score is compared by its distance and a
   latency or cost bound by its share).

The cap counts every annotation the step made before (the workflow keeps count), not only the verdict's."""

from __future__ import annotations

from dataclasses import dataclass

from entrypoint.workflow import Level, Workflow
from evalcore.domain.gate import describe
from evalcore.domain.results import ThresholdCheck, Verdict

SHOWN_PER_LEVEL = 10


@dataclass(frozen=True)
class Annotation:
    level: Level
    title: str
    message: str
    file: str
    line: int | None = None


def verdict_annotations(verdict: Verdict, suite_file: str, breach_level: Level, error_level: Level) -> list[Annotation]:
    """Infrastructure reasons at `error_level`, then breaches at `breach_level` (errors or warnings, as fail-on
    decides), the most important first (see the module's docstring)."""
    failed = sorted((c for c in verdict.checks if not c.passed), key=_miss, reverse=True)
    breaches = {describe(check) for check in failed}
    found = [
        Annotation(error_level, "Evaluation error", reason, suite_file)
        for reason in verdict.reasons
        if reason not in breaches
    ]
    for check in failed:
        who = f" ({check.model})" if check.model else ""
        title = f"Threshold not met: {check.section}{who}"
        found.append(Annotation(breach_level, title, describe(check), suite_file, check.line))
    return found


def _miss(check: ThresholdCheck) -> float:
    """How far a breached check is past its bound, over the bound's size (at least 1); no value is the worst."""
    if check.value is None:
        return float("inf")
    past = check.threshold - check.value if check.bound == "min" else check.value - check.threshold
    return past / max(abs(check.threshold), 1.0)


def emit(workflow: Workflow, annotations: list[Annotation]) -> None:
    """At most 10 of each level in the step (counting what it annotated before), then one notice for the rest."""
    left_out = 0
    for a in annotations:
        if a.level != "notice" and workflow.annotated(a.level) >= SHOWN_PER_LEVEL:
            left_out += 1
            continue
        workflow.annotate(a.level, a.message, file=a.file, line=a.line, title=a.title)
    if left_out:
        problems = "problem" if left_out == 1 else "problems"
        workflow.annotate(
            "notice",
            f"{left_out} more {problems} not shown (GitHub shows {SHOWN_PER_LEVEL} errors and {SHOWN_PER_LEVEL} "
            "warnings a step): see the step summary or report.html",
            title="evalcore",
        )
