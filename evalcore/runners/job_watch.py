"""Wait for a section's evaluation jobs: poll them all together, read each one's results as soon as it finishes.

Polling starts about a second after submission and backs off (x1.6, full jitter between half and all of the
delay) up to `job.poll_seconds`. Endings:
- Completed: its results are read from S3 (`job_results`);
- Failed: its cases are `error` with the job's failureMessages;
- Stopped (by someone else): its cases are `error`;
- the run is cancelled (SIGTERM/SIGINT): every running job gets StopEvaluationJob, its cases `error`
  "cancelled; job stopped";
- `job.timeout_minutes` passes: the jobs are left running and their cases are `error`: `--resume` re-attaches.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evalcore.plan import Case
from evalcore.results import CaseResult
from evalcore.runners.job_requests import JobPlan, SectionTarget
from evalcore.runners.job_results import error_result, read_job_results
from evalcore.scheduler import classify

FIRST_DELAY = 1.0
BACKOFF = 1.6
MAX_STATUS_ERRORS = 5


@dataclass
class _Running:
    job: JobPlan
    arn: str
    status: str = "InProgress"
    status_errors: int = 0


@dataclass
class Watch:
    bedrock: Any
    s3: Any
    target: SectionTarget
    cases: dict[str, Case]  # the cases this run still needs, by id
    metrics: list[str]
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
            found = self.bedrock.get_evaluation_job(jobIdentifier=run.arn)
        except (ClientError, BotoCoreError) as exc:  # after botocore's own retries
            kind, reason = classify(exc)
            run.status_errors += 1
            if kind == "final" or run.status_errors >= MAX_STATUS_ERRORS:
                self._error_all(run.job, f"job {run.job.name}: its status cannot be read: {reason}")
                return True
            return False
        run.status_errors = 0
        run.status = found["status"]
        if run.status == "Completed":
            self._read(run.job)
            return True
        if run.status == "Failed":
            messages = "; ".join(found.get("failureMessages") or []) or "no failure message"
            self._error_all(run.job, f"job {run.job.name} failed: {messages}")
            return True
        if run.status == "Stopped":
            self._error_all(run.job, f"job {run.job.name} was stopped before it finished")
            return True
        return False

    def _read(self, job: JobPlan) -> None:
        try:
            read_job_results(self.s3, self.target, job, self.cases, self.metrics, self._emit, self.log)
        except Exception as exc:  # S3 unreadable after botocore's retries: the cases say so
            self._error_all(job, f"job {job.name}: its results cannot be read: {classify(exc)[1]}")

    def _stop_all(self, running: dict[str, _Running]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        for run in running.values():
            try:
                self.bedrock.stop_evaluation_job(jobIdentifier=run.arn)
            except (ClientError, BotoCoreError) as exc:  # it ended meanwhile: a finished job's results are kept
                self.log(f"evalcore: {run.job.name}: stop: {classify(exc)[1]}")
                self._poll(run)
            self._error_all(run.job, "cancelled; job stopped")
        if running:
            self.log(f"evalcore: {self.target.section}: cancelled: stopped {len(running)} evaluation job(s)")

    def _time_out(self, running: dict[str, _Running], timeout: float) -> None:
        names = ", ".join(r.job.name for r in running.values())
        self.log(
            f"evalcore: {self.target.section}: timed out after {timeout / 60:g} min; still running: {names} "
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
                self._emit(error_result(case, job, reason))

    def _progress(self, total: int, running: dict[str, _Running]) -> str:
        counts: dict[str, int] = {}
        for run in running.values():
            counts[run.status] = counts.get(run.status, 0) + 1
        states = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        return f"evalcore: {self.target.section}: {total - len(running)} of {total} evaluation job(s) done" + (
            f" ({states})" if states else ""
        )
