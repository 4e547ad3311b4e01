"""Wait for a section's Bedrock jobs (evaluation jobs or batch inference jobs): poll them all together, read each
one's results as soon as it finishes. What differs between kinds of job is a `JobKind`.

Polling starts about a second after submission and backs off (x1.6, full jitter between half and all of the
delay) up to the section's poll cap. Endings:
- Completed: its results are read from S3 (the kind's `read`);
- Failed: its cases are `error` with the job's failure message;
- Stopped (by someone else): its cases are `error`;
- the run is cancelled (SIGTERM/SIGINT): every running job is stopped, its cases `error` "cancelled; job stopped";
- the section's timeout passes: the jobs are left running and their cases are `error`: `--resume` re-attaches.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from evalcore.domain.plan import Case
from evalcore.domain.results import CaseResult
from evalcore.engine.scheduler import classify
from evalcore.runners.job_requests import JobPlan

FIRST_DELAY = 1.0
BACKOFF = 1.6
MAX_STATUS_ERRORS = 5
COMPLETED, FAILED, STOPPED = "Completed", "Failed", "Stopped"


class JobKind(Protocol):
    """One kind of Bedrock job as the watcher (and `job_submit`) drive it."""

    noun: str  # "evaluation job", "batch inference job"

    def create(self, request: dict[str, object]) -> str:
        """Create a job from its recorded request; its ARN."""
        ...

    def status(self, arn: str) -> tuple[str, str]:
        """(status, failure message); an ended job's status is COMPLETED, FAILED or STOPPED."""
        ...

    def stop(self, arn: str) -> None: ...

    def read(self, job: JobPlan, arn: str, cases: Mapping[str, Case], emit: Callable[[CaseResult], None]) -> None:
        """Emit a result for each of a completed job's cases found in `cases`."""
        ...

    def error_result(self, case: Case, job: JobPlan, reason: str) -> CaseResult: ...


@dataclass
class _Running:
    job: JobPlan
    arn: str
    status: str = "InProgress"
    status_errors: int = 0


@dataclass
class Watch:
    kind: JobKind
    section: str
    cases: Mapping[str, Case]  # the cases this run still needs, by id (held on disk: `case_store`)
    emit: Callable[[CaseResult], None]
    cancel: threading.Event
    log: Callable[[str], None]
    rng: random.Random = field(default_factory=random.Random)
    emitted: set[str] = field(default_factory=set)

    def _emit(self, result: CaseResult) -> None:
        self.emitted.add(result.case_id)
        self.emit(result)

    def run(self, jobs: list[tuple[JobPlan, str]], settings: tuple[float, float]) -> None:
        """Wait for `jobs` ((plan, ARN) pairs) with the section's (poll cap in seconds, timeout in seconds)."""
        cap, timeout = settings
        running = {arn: _Running(job, arn) for job, arn in jobs}
        total = len(running)
        deadline = time.monotonic() + timeout
        delay = FIRST_DELAY
        shown = ""
        while running:
            if self.cancel.wait(self.rng.uniform(0.5, 1.0) * min(delay, cap)):
                self._stop_all(running)
                return
            delay = min(delay * BACKOFF, cap)
            for arn in list(running):
                if self.cancel.is_set():
                    break
                if self._poll(running[arn]):
                    del running[arn]
            if self.cancel.is_set():
                self._stop_all(running)
                return
            line = self._progress(total, running)
            if line != shown:
                self.log(line)
                shown = line
            if running and time.monotonic() >= deadline:
                self._time_out(running, timeout)
                return

    def _poll(self, run: _Running) -> bool:
        """Look at one job; True when it has ended (and its cases have their results)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            run.status, message = self.kind.status(run.arn)
        except (ClientError, BotoCoreError) as exc:  # after botocore's own retries
            kind, reason = classify(exc)
            run.status_errors += 1
            if kind == "final" or run.status_errors >= MAX_STATUS_ERRORS:
                self._error_all(run.job, f"job {run.job.name}: its status cannot be read: {reason}")
                return True
            return False
        run.status_errors = 0
        if run.status == COMPLETED:
            self._read(run)
            return True
        if run.status == FAILED:
            self._error_all(run.job, f"job {run.job.name} failed: {message or 'no failure message'}")
            return True
        if run.status == STOPPED:
            self._error_all(run.job, f"job {run.job.name} was stopped before it finished")
            return True
        return False

    def _read(self, run: _Running) -> None:
        try:
            self.kind.read(run.job, run.arn, self.cases, self._emit)
        except Exception as exc:  # S3 unreadable after botocore's retries: the cases say so
            self._error_all(run.job, f"job {run.job.name}: its results cannot be read: {classify(exc)[1]}")

    def _stop_all(self, running: dict[str, _Running]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        for run in running.values():
            try:
                self.kind.stop(run.arn)
            except (ClientError, BotoCoreError) as exc:  # it ended meanwhile: a finished job's results are kept
                self.log(f"evalcore: {run.job.name}: stop: {classify(exc)[1]}")
                self._poll(run)
            self._error_all(run.job, "cancelled; job stopped")
        if running:
            self.log(f"evalcore: {self.section}: cancelled: stopped {len(running)} {self.kind.noun}(s)")

    def _time_out(self, running: dict[str, _Running], timeout: float) -> None:
        names = ", ".join(r.job.name for r in running.values())
        self.log(
            f"evalcore: {self.section}: timed out after {timeout / 60:g} min; still running: {names} "
            "(finish with --resume: it re-attaches to them)"
        )
        for run in running.values():
            self._error_all(
                run.job,
                f"timed out after {timeout / 60:g} min waiting for job {run.job.name} ({run.status}); "
                "--resume re-attaches to it",
            )

    def _error_all(self, job: JobPlan, reason: str) -> None:
        """Every case of the job that has no result yet becomes `error` with `reason`."""
        for case_id in job.case_ids:
            case = self.cases.get(case_id)
            if case is not None and case_id not in self.emitted:
                self._emit(self.kind.error_result(case, job, reason))

    def _progress(self, total: int, running: dict[str, _Running]) -> str:
        counts: dict[str, int] = {}
        for run in running.values():
            counts[run.status] = counts.get(run.status, 0) + 1
        states = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        return f"evalcore: {self.section}: {total - len(running)} of {total} {self.kind.noun}(s) done" + (
            f" ({states})" if states else ""
        )
