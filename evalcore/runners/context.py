"""What every runner shares: the run's context, the `Runner` shape, the exception that skips a whole section, and a
case's result with its identity filled in. Runner modules import these from here; `registry.py` maps sections to runners."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalcore.bedrock.clients import Aws
from evalcore.domain.plan import Case
from evalcore.domain.results import CaseResult, Status
from evalcore.engine.scheduler import Scheduler
from evalcore.suite.load import LoadedSuite


@dataclass
class RunContext:
    loaded: LoadedSuite
    aws: Aws
    scheduler: Scheduler
    out: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    resume: bool = False  # --resume: runners may re-attach to work recorded in `out` (evaluation jobs)
    changed: frozenset[str] = frozenset()  # --resume: cases whose inputs changed since `out`'s results were made


class SectionNotRun(Exception):
    """Raised by a runner before it emits anything when the whole section cannot run (e.g. its S3 bucket does not
    exist): the section is reported `not_run` with this reason, and its cases get no result (`--resume` runs them)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# (context, section name, the cases to run, emit one result) -> None. Must emit one result per case and never
# raise for a case's failure; the orchestrator turns a runner's own crash into error results. The cases are
# streamed (`plan.SectionCases`: made again on each pass, never held): a runner takes them as they come and keeps
# what it must keep on disk (`case_store`), not a list of them.
Runner = Callable[[RunContext, str, Iterable[Case], Callable[[CaseResult], None]], None]


def case_result(case: Case, status: Status = "error", **fields: Any) -> CaseResult:
    """A case's result with its identity filled in from the case; `error` until a runner knows better."""
    return CaseResult(
        case_id=case.id,
        section=case.section,
        kind=case.kind,
        model=case.model,
        repeat=case.repeat,
        item_key=case.item_key,
        fingerprint=case.fingerprint,
        status=status,
        **fields,
    )
