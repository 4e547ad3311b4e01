"""Where run histories live: a JSON Lines file, or an S3 prefix with one object per run.

- A path: one record a line. An append takes an exclusive `flock` on the file, cuts a fragment a killed writer left
  (results.drop_fragment), and writes the line with O_APPEND; a write that fails part way (a full disk) is cut back
  before the lock is released, so a record is in the file whole or not at all, with any number of writers. A last
  line without its newline is skipped with a warning; any other unreadable line fails the read (one line).
- `s3://bucket/prefix/`: `<prefix><suite>/<started, ms, 15 digits>-<run id>.json`, one object per run, so runs that
  finish at once never write the same key. Reading lists the prefix (ListObjectsV2 pages) and gets the newest N.

An adapter, not GitHub-specific (so not in evalcore.github): the commands (evalcore.app.cli) and the Action use it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalcore.domain.history import HISTORY_VERSION, HistoryRecord
from evalcore.domain.results import drop_fragment


class HistoryError(Exception):
    """The store cannot be read or written; the message is one line. `exit_code`: 2 bad input (an unreadable
    record, a directory given as the file), 3 the store failed (S3 refused or could not be reached, a full disk)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class HistoryStore:
    spec: str
    s3: Any = None  # a boto3 S3 client, for s3:// stores
    warn: Callable[[str], None] = field(default=lambda line: None)

    @property
    def is_s3(self) -> bool:
        return self.spec.startswith("s3://")

    def append(self, record: HistoryRecord) -> str:
        """Store one record; returns where it went."""
        line = record.model_dump_json(exclude_none=True)
        if self.is_s3:
            return self._put(record, line)
        return _append_line(Path(self.spec), line)

    def read(self, suite: str | None = None, last: int | None = None) -> list[HistoryRecord]:
        """The records of `suite` (all suites when None), oldest first; the newest `last` of them when given (in a
        file, the last appended)."""
        records = self._read_s3(suite, last) if self.is_s3 else self._read_file(suite, last)
        records.sort(key=lambda r: (r.started_at, r.run_id))
        return records[-last:] if last else records

    # ---- a file ----

    def _read_file(self, suite: str | None, last: int | None) -> list[HistoryRecord]:
        """The file's records of `suite`, newest (last appended) first parsed: with `last`, only the newest are."""
        path = Path(self.spec)
        if not path.exists():
            return []
        if path.is_dir():
            raise HistoryError(f"{path}: a directory, not a history file (give a file, e.g. history.jsonl)")
        lines = path.read_bytes().split(b"\n")
        if lines[-1].strip():
            self.warn(f"{path}:{len(lines)}: the last record was cut short (a writer stopped); it is skipped")
        needle = None if suite is None else _suite_marker(suite)
        records: list[HistoryRecord] = []
        for number in range(len(lines) - 1, 0, -1):  # lines[number - 1] is line `number`, the cut one left out
            line = lines[number - 1]
            if not line.strip() or (needle is not None and needle not in line):
                continue  # another suite's record: not parsed
            record = _parse(line, f"{path}:{number}")
            if suite is None or record.suite == suite:
                records.append(record)
                if last and len(records) == last:
                    break
        return records

    # ---- S3 ----

    def _bucket_prefix(self, suite: str | None) -> tuple[str, str]:
        bucket, _, prefix = self.spec.removeprefix("s3://").partition("/")
        if not bucket:
            raise HistoryError(f"{self.spec}: no bucket (give s3://bucket/prefix/)")
        prefix = prefix.rstrip("/") + "/" if prefix.strip("/") else ""
        return bucket, prefix + (f"{_safe(suite)}/" if suite is not None else "")

    def _put(self, record: HistoryRecord, line: str) -> str:
        bucket, prefix = self._bucket_prefix(record.suite)
        key = f"{prefix}{int(record.started_at * 1000):015d}-{_safe(record.run_id)}.json"
        with _s3_errors(f"s3://{bucket}/{key}"):
            self._client().put_object(Bucket=bucket, Key=key, Body=line.encode(), ContentType="application/json")
        return f"s3://{bucket}/{key}"

    def _read_s3(self, suite: str | None, last: int | None) -> list[HistoryRecord]:
        bucket, prefix = self._bucket_prefix(suite)
        client = self._client()
        keys: list[str] = []
        with _s3_errors(f"s3://{bucket}/{prefix}"):
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".json")]
        keys.sort(key=lambda k: k.rsplit("/", 1)[-1])  # the name starts with the run's start time
        if last:
            keys = keys[-last:]
        records = []
        for key in keys:
            with _s3_errors(f"s3://{bucket}/{key}"):
                body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            records.append(_parse(body, f"s3://{bucket}/{key}"))
        return [r for r in records if suite is None or r.suite == suite]  # another suite of the same safe name

    def _client(self) -> Any:
        if self.s3 is None:
            raise HistoryError(f"{self.spec}: an s3:// history needs AWS access")
        return self.s3


def _append_line(path: Path, line: str) -> str:
    data = (line + "\n").encode()
    if path.is_dir():
        raise HistoryError(f"{path}: a directory, not a history file (give a file, e.g. history.jsonl)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another writer appends its whole record first, or after this one
        drop_fragment(path)
        size = os.fstat(fd).st_size
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)  # no half record for the next writer or reader
            raise HistoryError(f"{path}: the record was not written: {exc.strerror or exc}", 3) from None
    finally:
        os.close(fd)  # releases the lock
    return str(path)


def _parse(data: bytes, where: str) -> HistoryRecord:
    try:
        record = HistoryRecord.model_validate_json(data)
    except ValueError as exc:
        raise HistoryError(f"{where}: not a history record ({exc.__class__.__name__})") from None
    if record.history != HISTORY_VERSION:
        raise HistoryError(f"{where}: history format {record.history} is not {HISTORY_VERSION} (a newer evalcore?)")
    return record


def _suite_marker(suite: str) -> bytes:
    """The bytes a record of `suite` holds (its JSON string): lines without them are not parsed."""
    return HistoryRecord(suite=suite, run_id="", started_at=0).model_dump_json(include={"suite"})[1:-1].encode()


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name) or "-"


@contextlib.contextmanager
def _s3_errors(where: str) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise HistoryError(f"{where}: {code or exc}", 3) from None
    except BotoCoreError as exc:
        raise HistoryError(f"{where}: {exc}", 3) from None
