"""The response cache on disk: an answer is served again only for the same question, asked the same way.

The key (`CacheKey`) is built from everything that decides an answer, and callers can only describe it whole:
where the call went (the client's AWS partition, region and endpoint URL without userinfo; with `--emulator`, the
emulator world's content hash instead of its throw-away URL), what the call is for (an answer, a judge's verdict,
an agent evaluator's or target's turn, a guardrail probe) with the version of evalcore's prompt for it, the model
id, the whole request (system, messages, inference, tool, guardrail configuration, additional fields), the repeat
(each repeat is its own sample), the grade sample of a judge asked several times (`judge_samples`; the first
keys as it did before there were samples) and CACHE_FORMAT.

An entry (`Entry`) holds its format, its key, a digest of its value, and the value. A read checks all of them; any
other file (another key's entry, an edited value, valid JSON of another shape, a torn file) is a miss, the file is
removed and counted (`dropped`), and the call is made again. The digest sits beside what it covers, so it catches
accidents and naive edits, not a writer who recomputes it: the cache directory is trusted as much as the workspace.

Values are stored as results.jsonl would show them: every text in them goes through the results writer's
credential redaction (keys of the response are left alone). Only successful responses are stored; errors never are.

Concurrent writers are safe: each entry is written to a temporary file, then renamed, which is atomic on one file
system. Writes happen behind the caller, on one writer thread: creating and renaming a file costs about a
millisecond of disk time, which a model call should not wait for. Until an entry is on disk, `get` answers it from
memory; `flush` waits until every entry is written (the run calls it before it ends, and so does interpreter exit).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import itertools
import json
import os
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from evalcore.text.secrets import Secrets, redact_credentials

# Bump when the key's parts, the entry's shape or what a stored value means change: older entries are then never
# read (their keys differ), and `--cache-ttl` / `--cache-max-mb` prune them.
CACHE_FORMAT = 2

Purpose = Literal[
    "answer",  # the model under test (direct evaluations)
    "judge",  # a judge's verdict
    "evaluator-turn",  # the agent evaluator's answer
    "agent-target-turn",  # a bedrock-model agent target's reply
    "guardrail-apply",  # ApplyGuardrail
    "guardrail-converse",  # Converse with a guardrail
    "guardrail-invoke",  # InvokeModel with a guardrail
    "knowledge-base-retrieve",  # bedrock-agent-runtime Retrieve
    "knowledge-base-generate",  # bedrock-agent-runtime RetrieveAndGenerate
]

_SHORTEST_SECRET = 6  # redaction cannot change a shorter text (secrets.py)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def content_digest(value: Any) -> str:
    """sha256 of JSON-able content, independent of key order."""
    return hashlib.sha256(_canonical(value).encode()).hexdigest()


@functools.lru_cache(maxsize=64)
def _endpoint_url(url: str | None) -> str | None:
    """An endpoint URL without userinfo (`user:password@`) or a trailing slash."""
    if not url:
        return None
    parts = urlsplit(url)
    if "@" in parts.netloc:
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    return urlunsplit(parts).rstrip("/")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a call goes: the AWS partition and region of its client, and the endpoint URL without userinfo."""

    partition: str | None
    region: str | None
    url: str | None

    @classmethod
    def of(cls, client: Any) -> Endpoint:
        """The endpoint a boto3 client calls."""
        meta = client.meta
        return cls(getattr(meta, "partition", None), meta.region_name, _endpoint_url(meta.endpoint_url))


@dataclass(frozen=True, slots=True)
class CacheKey:
    """Everything that decides an answer; every part is required, so no caller can leave one out."""

    endpoint: Endpoint
    purpose: Purpose
    protocol: str | None  # the version of evalcore's prompt for this purpose (judge, evaluator); None if none
    model_id: str | None  # None for calls without a model (ApplyGuardrail)
    request: Mapping[str, Any]  # the whole request, as sent
    repeat: int  # the case's repeat: each repeat is its own sample
    sample: int = 0  # the grade sample of one answer (`judge_samples`); 0, the first, keys as before samples


class Entry(BaseModel):
    """One cache file."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    format: Literal[2]  # CACHE_FORMAT
    key: str
    digest: str  # content_digest(value)
    value: dict[str, Any]


def redacted(value: Any, secrets: Secrets) -> Any:
    """`value` with credentials redacted from every text in it (dictionary keys are left alone)."""
    if isinstance(value, str):
        return redact_credentials(value, secrets) if len(value) >= _SHORTEST_SECRET else value
    if isinstance(value, dict):
        return {k: redacted(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redacted(v, secrets) for v in value]
    return value


class ResponseCache:
    def __init__(
        self,
        directory: Path,
        ttl_seconds: float | None = None,
        max_bytes: int | None = None,
        emulators: Mapping[str, str] | None = None,
    ) -> None:
        """`emulators`: the endpoint URL of each emulator this run started, with its world's content hash."""
        self.directory = directory
        self.ttl_seconds = ttl_seconds
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self._root = str(directory)
        self._emulators = {_endpoint_url(url): world for url, world in (emulators or {}).items()}
        self._secrets = Secrets.from_env(os.environ)  # as the results writer: a model may repeat a credential
        self._made: set[str] = set()  # shard folders known to exist (string paths: this is the hot path)
        self._tmp_names = itertools.count()
        self._pending: dict[str, dict[str, Any]] = {}  # written by `put`, not yet on disk
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._writer: threading.Thread | None = None
        self._dropped = 0

    @property
    def dropped(self) -> int:
        """Bad entries found and removed so far (another key's entry, edited, of another shape, torn)."""
        with self._lock:
            return self._dropped

    def key(self, asked: CacheKey) -> str:
        """The entry's key: a digest of every part of `asked`."""
        endpoint = asked.endpoint
        world = self._emulators.get(endpoint.url) if endpoint.url is not None else None
        where: dict[str, Any] = (
            {"emulator_world": world}
            if world is not None
            else {"partition": endpoint.partition, "region": endpoint.region, "url": endpoint.url}
        )
        parts = [CACHE_FORMAT, where, asked.purpose, asked.protocol, asked.model_id, asked.request, asked.repeat]
        return content_digest([*parts, asked.sample] if asked.sample else parts)

    def _path(self, key: str) -> str:
        return os.path.join(self._root, key[:2], key + ".json")

    def get(self, asked: CacheKey) -> dict[str, Any] | None:
        """The stored answer to `asked`, or None (a miss)."""
        key = self.key(asked)
        with self._lock:
            if key in self._pending:
                return self._pending[key]
        path = self._path(key)
        try:
            if self.ttl_seconds is not None and time.time() - os.stat(path).st_mtime > self.ttl_seconds:
                return None
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return None  # absent or unreadable: a miss
        value = _verified(key, data)
        if value is None:
            self._drop(path)
        return value

    def _drop(self, path: str) -> None:
        with contextlib.suppress(OSError):
            os.unlink(path)
        with self._lock:
            self._dropped += 1

    def put(self, asked: CacheKey, value: dict[str, Any]) -> None:
        """Store `value` (JSON-able) as the answer to `asked`, credentials redacted; on disk once `flush` returns."""
        key = self.key(asked)
        stored = redacted(value, self._secrets)
        with self._lock:
            self._pending[key] = stored
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="evalcore-cache-writer", daemon=True)
                self._writer.start()
                atexit.register(self.flush)
        self._queue.put(key)

    def flush(self) -> None:
        """Wait until every entry `put` so far is on disk."""
        with self._idle:
            while self._pending:
                self._idle.wait(0.1)

    def _write_loop(self) -> None:
        while True:
            key = self._queue.get()
            with self._lock:
                if key not in self._pending:
                    continue  # a key put twice: its latest value was written already
                value = self._pending[key]
            try:
                self._write(key, value)
            finally:  # written or not (a cache that cannot write only misses), the entry is no longer pending
                with self._idle:
                    if self._pending.get(key) is value:
                        del self._pending[key]
                    if not self._pending:
                        self._idle.notify_all()

    def _write(self, key: str, value: dict[str, Any]) -> None:
        folder = os.path.join(self._root, key[:2])
        # A name no other writer uses (process, counter), created exclusively, then renamed into place.
        tmp = os.path.join(folder, f".tmp-{os.getpid()}-{next(self._tmp_names)}")
        try:
            content = _canonical(value).encode()
            digest = hashlib.sha256(content).hexdigest()
            if folder not in self._made:
                os.makedirs(folder, exist_ok=True)
                self._made.add(folder)
            with open(tmp, "xb") as fh:
                fh.write(_head(key, digest) + content + b"}")
            os.replace(tmp, self._path(key))
        except (OSError, TypeError, ValueError):
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def prune(self) -> int:
        """Remove expired entries, then the oldest until the cache fits `max_bytes`. Returns entries removed."""
        entries = []
        for path in self.directory.glob("*/*.json"):
            try:
                st = path.stat()
            except OSError:
                continue
            entries.append((st.st_mtime, st.st_size, path))
        removed = 0
        now = time.time()
        keep = []
        for mtime, size, path in entries:
            if self.ttl_seconds is not None and now - mtime > self.ttl_seconds:
                path.unlink(missing_ok=True)
                removed += 1
            else:
                keep.append((mtime, size, path))
        if self.max_bytes is not None:
            total = sum(size for _, size, _ in keep)
            for _, size, path in sorted(keep):
                if total <= self.max_bytes:
                    break
                path.unlink(missing_ok=True)
                total -= size
                removed += 1
        return removed


def _head(key: str, digest: str) -> bytes:
    """An entry file up to its value: the file is this, the value's canonical JSON (the digest's input), `}`."""
    return f'{{"format":{CACHE_FORMAT},"key":"{key}","digest":"{digest}","value":'.encode()


def _verified(key: str, data: bytes) -> dict[str, Any] | None:
    """The value of an entry file if it is an entry of this format for `key` whose value matches its digest.
    The digest is checked on the value's bytes as written (no second serialisation on the hot path)."""
    try:
        entry = Entry.model_validate_json(data)
    except ValidationError:
        return None
    head = _head(key, entry.digest)
    if entry.key != key or not data.startswith(head) or data[-1:] != b"}":
        return None
    if hashlib.sha256(data[len(head) : -1]).hexdigest() != entry.digest:
        return None
    return entry.value
