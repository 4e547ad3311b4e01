"""What evaluation jobs and batch inference jobs share: ids, S3 locations, timing, stopping, list pages.

A job runs in a background thread: it waits ``jobs.duration_seconds`` (forever when its name matches
``jobs.never_finish_name_pattern``), then fails when its name matches ``jobs.fail_name_pattern``, else does its
work. A stop request during the wait or the work ends it ``Stopped``; the work raising :class:`JobFailure`
ends it ``Failed`` with the failure's messages.
"""

from __future__ import annotations

import base64
import re
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from evalcore_emulator.protocol import AwsError, EmulatorContext

_ID_ALPHABET = string.ascii_lowercase + string.digits
_S3_URI = re.compile(r"^s3://([a-z0-9][-.a-z0-9]{1,61}[a-z0-9])(?:/(.*))?$")


class JobFailure(Exception):
    """The job's work failed; ``messages`` become its failure messages."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


class JobStopped(Exception):
    """The job's work noticed a stop request."""


@dataclass
class Job:
    """One job's mutable state; ``fields`` is what Get/List answer (status, timestamps, messages included)."""

    arn: str
    name: str
    fields: dict[str, Any]
    stop_requested: threading.Event = field(default_factory=threading.Event)

    def check_stop(self) -> None:
        if self.stop_requested.is_set():
            raise JobStopped


def new_job_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def now_iso() -> str:
    # Microseconds: jobs created back to back still sort by creation.
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key); the key may be empty."""
    match = _S3_URI.match(uri)
    if match is None:
        raise ValueError(f"not an S3 URI: {uri}")
    return match.group(1), match.group(2) or ""


def check_pattern(value: Any, pattern: str, where: str) -> str:
    """``value``, or a ValidationException in AWS's words when it is not a string fully matching ``pattern``."""
    if not isinstance(value, str) or re.fullmatch(pattern, value) is None:
        raise AwsError(
            400,
            "ValidationException",
            f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern}",
        )
    return value


@dataclass(frozen=True)
class Outcomes:
    """A job kind's end states and how it records an end (called under the context's lock)."""

    completed: str
    failed: str
    stopped: str
    record: Callable[[Job, str, list[str]], None]  # (job, status, failure messages)


def start(ctx: EmulatorContext, job: Job, work: Callable[[], None], outcomes: Outcomes) -> None:
    """Run ``work`` in a background thread after the world's job duration (see the module docstring)."""
    thread = threading.Thread(target=_run, args=(ctx, job, work, outcomes), name=f"job-{job.name}", daemon=True)
    thread.start()


def request_stop(ctx: EmulatorContext, job: Job, stoppable: tuple[str, ...], stopping: str) -> None:
    with ctx.lock:
        if job.fields["status"] not in stoppable:
            raise AwsError(
                400, "ConflictException", f"Job {job.arn} cannot be stopped in status {job.fields['status']}"
            )
        job.fields["status"] = stopping
        job.fields["lastModifiedTime"] = now_iso()
    job.stop_requested.set()


def page(
    items: list[dict[str, Any]], query: dict[str, list[str]], default_size: int = 1000
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``items`` by the ``maxResults`` and opaque ``nextToken`` query parameters."""
    size = int(_first(query, "maxResults") or default_size)
    if not 1 <= size <= 1000:
        raise AwsError(400, "ValidationException", "maxResults must be between 1 and 1000")
    token = _first(query, "nextToken")
    try:
        offset = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        raise AwsError(400, "ValidationException", "Invalid nextToken") from None
    chunk = items[offset : offset + size]
    more = offset + size < len(items)
    return chunk, base64.urlsafe_b64encode(str(offset + size).encode()).decode() if more else None


def filter_and_sort(
    items: list[dict[str, Any]], query: dict[str, list[str]], time_field: str, time_params: tuple[str, str]
) -> list[dict[str, Any]]:
    """The filters Bedrock's list operations share: status, name, time range; sort by time (Descending default)."""
    status, name = _first(query, "statusEquals"), _first(query, "nameContains")
    after, before = (_parse_time(_first(query, p)) for p in time_params)

    def kept(item: dict[str, Any]) -> bool:
        created = _parse_time(item[time_field])
        return (
            (status is None or item["status"] == status)
            and (name is None or name in item["jobName"])
            and (after is None or (created is not None and created > after))
            and (before is None or (created is not None and created < before))
        )

    descending = (_first(query, "sortOrder") or "Descending") == "Descending"
    return sorted(filter(kept, items), key=lambda item: item[time_field], reverse=descending)


def _run(ctx: EmulatorContext, job: Job, work: Callable[[], None], outcomes: Outcomes) -> None:
    settings = ctx.world.jobs
    never = settings.never_finish_name_pattern and re.search(settings.never_finish_name_pattern, job.name)
    interrupted = job.stop_requested.wait(None if never else settings.duration_seconds)
    status, messages = outcomes.completed, []
    try:
        if interrupted:
            raise JobStopped
        if settings.fail_name_pattern and re.search(settings.fail_name_pattern, job.name):
            raise JobFailure(settings.failure_message)
        work()
        job.check_stop()
    except JobStopped:
        status = outcomes.stopped
    except JobFailure as failure:
        status, messages = outcomes.failed, failure.messages
    except Exception as exc:  # an emulator bug must still end the job, visibly
        status, messages = outcomes.failed, [f"Internal error: {exc!r}"]
    with ctx.lock:
        outcomes.record(job, status, messages)


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.fromtimestamp(float(value), UTC)
