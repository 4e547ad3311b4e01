"""What gated the verdict, read from the verdict's checks, so that every report says the same thing.

Which rule gates a section: without thresholds in the suite file, every case must pass (the default
`pass_rate >= 1`); with thresholds, those (and the default `error_rate <= 0` unless the suite sets its own).

Which cases gate: a case that did not pass gates the verdict when a breached check counts it (`pass_rate` counts
every failed or errored case, `error_rate` every errored one) or when every case of its section errored (the
verdict's infrastructure error). Any other failed or errored case is tolerated by its section's thresholds: it is
shown, but it is not why the run failed. A quarantined case (the suite's `quarantine:`) never gates, whatever the
mode: it is left out of every figure the verdict reads."""

from __future__ import annotations

from typing import Literal

from evalcore.domain.results import RunResult, SectionSummary, ThresholdCheck

EVERY_CASE = "every case must pass (no thresholds)"

# Which failed and errored cases junit.xml shows as failures and errors: those that gate the verdict, or all.
JunitFailures = Literal["gate", "cases"]


def section_checks(run: RunResult, section: str) -> list[ThresholdCheck]:
    return [c for c in (run.verdict.checks if run.verdict else []) if c.section == section]


def gate_rule(section: SectionSummary, checks: list[ThresholdCheck]) -> str:
    """`every case must pass (no thresholds)`, `2 thresholds`, `1 threshold and no errors (error_rate <= 0, the
    default)`: counted from the checks, a bound for several models once."""
    if section.status == "not_run":
        return "nothing: the section did not run"
    if not checks:
        return "nothing: no case has a result"
    every_case = any(c.origin == "default" and c.metric == "pass_rate" for c in checks)
    declared = len({(c.metric, c.bound) for c in checks if c.origin != "default"})
    counted = f"{declared} threshold{'' if declared == 1 else 's'}"
    if every_case:
        return EVERY_CASE if not declared else f"every case must pass and {counted} (command line)"
    if any(c.origin == "default" and c.metric == "error_rate" for c in checks):
        return f"{counted} and no errors (error_rate <= 0, the default)"
    return counted


class Gating:
    """For each section and model of a run: whether its failed and its errored cases gate the verdict. With
    `every_case`, every failed and every errored case does (`--junit-failures cases`)."""

    def __init__(self, run: RunResult, every_case: bool = False) -> None:
        self._every_case = every_case
        self._failed: set[tuple[str, str | None]] = set()
        self._errored: set[tuple[str, str | None]] = set()
        self._models = {s.name: [m.model for m in s.models] for s in run.sections}
        self.quarantined = frozenset(i for s in run.sections for m in s.models for i in m.quarantined)
        self.flaky = frozenset(i for s in run.sections for m in s.models for f in m.flaky for i in f.case_ids)
        for section in run.sections:
            every_case_errored = bool(section.models) and all(
                m.counts.total > 0 and m.counts.error == m.counts.total for m in section.models
            )
            for m in section.models:
                key = (section.name, m.model)
                breached = {c.metric for c in section_checks(run, section.name) if c.model == m.model and not c.passed}
                if "pass_rate" in breached:
                    self._failed.add(key)
                if breached & {"pass_rate", "error_rate"} or every_case_errored:
                    self._errored.add(key)

    def gates(self, section: str, model: str | None, status: str, case_id: str = "") -> bool:
        """Whether a case of this status gates the verdict (a passed, skipped or quarantined case never does)."""
        if case_id in self.quarantined:
            return False
        if self._every_case:
            return status in ("fail", "error")
        if status == "fail":
            return (section, model) in self._failed
        if status == "error":
            return (section, model) in self._errored
        return False

    def model_at(self, section: str, index: int) -> str | None:
        """The model a case index entry names by its place among the section's models."""
        models = self._models.get(section, [])
        return models[index] if index < len(models) else None
