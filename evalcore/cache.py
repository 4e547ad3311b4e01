"""A content-addressed response cache on disk, safe under concurrent writers (write to a temporary file, then
rename, which is atomic on one file system). Only successful responses are stored; errors never are.

The key is built by the caller from everything that decides the answer (model id, the full request, evalcore's
cache version, and for judges the judge prompt version): see `cache_key`.

Writes happen behind the caller, on one writer thread: creating and renaming a file costs about a millisecond of
disk time on common file systems, which a model call should not wait for. Until an entry is on disk, `get`
answers it from memory; `flush` waits until every entry is written (the run calls it before it ends, and so does
interpreter exit).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import itertools
import json
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any

CACHE_VERSION = 1


def cache_key(*parts: Any) -> str:
    blob = json.dumps([CACHE_VERSION, *parts], sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class ResponseCache:
    def __init__(self, directory: Path, ttl_seconds: float | None = None, max_bytes: int | None = None) -> None:
        self.directory = directory
        self.ttl_seconds = ttl_seconds
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self._root = str(directory)
        self._made: set[str] = set()  # shard folders known to exist (string paths: this is the hot path)
        self._tmp_names = itertools.count()
        self._pending: dict[str, Any] = {}  # written by `put`, not yet on disk
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._writer: threading.Thread | None = None

    def _path(self, key: str) -> str:
        return os.path.join(self._root, key[:2], key + ".json")

    def get(self, key: str) -> Any | None:
        with self._lock:
            if key in self._pending:
                return self._pending[key]
        path = self._path(key)
        try:
            if self.ttl_seconds is not None and time.time() - os.stat(path).st_mtime > self.ttl_seconds:
                return None
            with open(path, "rb") as fh:
                return json.loads(fh.read())
        except (OSError, ValueError):
            return None  # absent, unreadable or half-written by a crash: a miss, never an error

    def put(self, key: str, value: Any) -> None:
        """Store `value` (JSON-able) under `key`; it is on disk once `flush` returns."""
        with self._lock:
            self._pending[key] = value
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

    def _write(self, key: str, value: Any) -> None:
        folder = os.path.join(self._root, key[:2])
        # A name no other writer uses (process, counter), created exclusively, then renamed into place.
        tmp = os.path.join(folder, f".tmp-{os.getpid()}-{next(self._tmp_names)}")
        try:
            if folder not in self._made:
                os.makedirs(folder, exist_ok=True)
                self._made.add(folder)
            with open(tmp, "xb") as fh:
                fh.write(json.dumps(value, ensure_ascii=False, default=str).encode())
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
