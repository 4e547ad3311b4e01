"""A section's cases spilled to disk: the batch and managed-job runners wait minutes to hours for their jobs and
then map each output record back to its case, so they keep the cases they sent (by id) in a private temporary
SQLite file instead of memory. What is held per case in memory is nothing; a look-up is one indexed read.

The file is pickled Case objects the run itself wrote, in a directory only this process knows, removed on close.
"""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType

from evalcore.domain.plan import Case

_PAGE = 500  # rows read at a time when iterating (no cursor stays open across other threads' reads)


class CaseStore(Mapping[str, Case]):
    """Cases by id, in the order they came; `counts` per model. Iterating the mapping gives ids, `cases()` Cases."""

    def __init__(self, cases: Iterable[Case]) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="evalcore-cases-")
        self._db = sqlite3.connect(Path(self._dir.name) / "cases.sqlite", check_same_thread=False)
        self._lock = threading.Lock()
        self.counts: dict[str | None, int] = {}
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(
            "CREATE TABLE cases (seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, model TEXT, body BLOB NOT NULL)"
        )
        self._db.execute("CREATE INDEX by_model ON cases (model, seq)")
        rows: list[tuple[str, str | None, bytes]] = []
        for case in cases:
            rows.append((case.id, case.model, pickle.dumps(case, protocol=pickle.HIGHEST_PROTOCOL)))
            self.counts[case.model] = self.counts.get(case.model, 0) + 1
            if len(rows) >= _PAGE:
                self._insert(rows)
        self._insert(rows)

    def _insert(self, rows: list[tuple[str, str | None, bytes]]) -> None:
        self._db.executemany("INSERT INTO cases (id, model, body) VALUES (?, ?, ?)", rows)
        rows.clear()

    def __getitem__(self, case_id: str) -> Case:
        with self._lock:
            row = self._db.execute("SELECT body FROM cases WHERE id = ?", (case_id,)).fetchone()
        if row is None:
            raise KeyError(case_id)
        case: Case = pickle.loads(row[0])
        return case

    def __contains__(self, case_id: object) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is not None

    def __len__(self) -> int:
        return sum(self.counts.values())

    def __iter__(self) -> Iterator[str]:
        for case in self.cases():
            yield case.id

    def cases(self, model: str | None = None, *, every_model: bool = True) -> Iterator[Case]:
        """The cases in the order they came: all of them, or (every_model=False) those of `model`."""
        seq = 0
        where = "seq > ?" if every_model else "seq > ? AND model IS ?"
        while True:
            params: tuple[object, ...] = (seq,) if every_model else (seq, model)
            with self._lock:
                rows = self._db.execute(
                    f"SELECT seq, body FROM cases WHERE {where} ORDER BY seq LIMIT {_PAGE}", params
                ).fetchall()
            if not rows:
                return
            seq = rows[-1][0]
            for _, body in rows:
                yield pickle.loads(body)

    def of_model(self, model: str | None) -> Iterator[Case]:
        return self.cases(model, every_model=False)

    def of_models(self, models: Iterable[str | None]) -> Iterable[Case]:
        """The cases of `models`, model by model, re-iterable (each pass reads them again)."""
        return _OfModels(self, tuple(models))

    @property
    def folder(self) -> Path:
        """A private folder removed with the store (e.g. for a job's records before they are sent)."""
        return Path(self._dir.name)

    def close(self) -> None:
        self._db.close()
        self._dir.cleanup()

    def __enter__(self) -> CaseStore:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


class _OfModels:
    def __init__(self, store: CaseStore, models: tuple[str | None, ...]) -> None:
        self.store, self.models = store, models

    def __iter__(self) -> Iterator[Case]:
        for model in self.models:
            yield from self.store.of_model(model)
