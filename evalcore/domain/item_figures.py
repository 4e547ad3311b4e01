"""What the aggregation of a run needs of each item, kept on disk: its tries (status, repeat, case id), its metric
values, its category, cluster and source, in a private temporary SQLite database (removed when closed). A run of
1,000,000 items is aggregated in about the memory of 1,000: the database costs a bounded page cache, and each
figure is read back as a stream, in the order the items first came (the order Python's dicts kept before), so
every sum is taken in the same order and every figure is the same to the last bit."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

_BATCH = 1_000  # rows inserted at a time

_SCHEMA = (
    # `first`: the case that brought the item (its dict order); `metric_first`, `category_first`: the first case
    # that gave it a metric value, a category; `category`, `cluster`: the last given; `source`: the first given.
    "CREATE TABLE item (grp INTEGER, key BLOB, first INTEGER, metric_first INTEGER, category BLOB,"
    " category_first INTEGER, cluster BLOB, source BLOB, PRIMARY KEY (grp, key)) WITHOUT ROWID",
    "CREATE TABLE try (grp INTEGER, key BLOB, status TEXT, rep INTEGER, case_id BLOB)",
    "CREATE TABLE value (grp INTEGER, key BLOB, name BLOB, value REAL)",
    "CREATE TABLE latency (grp INTEGER, value REAL)",
)
_ITEM = (
    "INSERT INTO item VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (grp, key) DO UPDATE SET"
    " metric_first = coalesce(metric_first, excluded.metric_first),"
    " category = coalesce(excluded.category, category),"
    " category_first = coalesce(category_first, excluded.category_first),"
    " cluster = coalesce(excluded.cluster, cluster),"
    " source = coalesce(source, excluded.source)"
)


def _stored(text: str) -> bytes:
    """Text as the database stores it: UTF-8 bytes, a lone surrogate (from a tampered file) kept as it is; bytes
    compare as Python compares the text (by code point), so ORDER BY sorts as `sorted` does."""
    return text.encode("utf-8", "surrogatepass")


def _maybe(text: str | None) -> bytes | None:
    return None if text is None else _stored(text)


def _text(stored: bytes) -> str:
    return stored.decode("utf-8", "surrogatepass")


def _maybe_text(stored: bytes | None) -> str | None:
    return None if stored is None else _text(stored)


@dataclass(frozen=True, slots=True)
class ItemTries:
    """One item's tries in a group: how many, passed, not skipped, decided (pass, fail or error), its distinct
    and highest repeat indexes, whether any passed and any failed."""

    key: str
    cluster: str | None
    source: str | None
    tries: int
    passes: int
    tried: int
    decided: int
    repeats: int
    top_repeat: int
    failed: bool


class ItemFigures:
    """Each item's tries and metric values, by group (a section and model, numbered by the caller)."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # a private temporary database, deleted when closed
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        for statement in _SCHEMA:
            self._db.execute(statement)
        self._seq = 0
        self._items: list[tuple[object, ...]] = []
        self._tries: list[tuple[object, ...]] = []
        self._values: list[tuple[object, ...]] = []
        self._latencies: list[tuple[int, float]] = []
        self._indexed = False

    def add(
        self,
        grp: int,
        key: str,
        status: str,
        repeat: int,
        case_id: str,
        values: list[tuple[str, float]],
        category: str | None,
        cluster: str | None,
        source: str | None,
        latency: float | None,
    ) -> None:
        """One try of an item (`values`: its metric values, name and value, in the case's order)."""
        self._seq += 1
        seq, item = self._seq, _stored(key)
        category_first = seq if category is not None else None
        self._items.append(
            (grp, item, seq, seq if values else None, _maybe(category), category_first, _maybe(cluster), _maybe(source))
        )
        self._tries.append((grp, item, status, repeat, _stored(case_id)))
        self._values.extend((grp, item, _stored(name), value) for name, value in values)
        if latency is not None:
            self._latencies.append((grp, latency))
        if len(self._tries) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        self._db.executemany(_ITEM, self._items)
        self._db.executemany("INSERT INTO try VALUES (?, ?, ?, ?, ?)", self._tries)
        self._db.executemany("INSERT INTO value VALUES (?, ?, ?, ?)", self._values)
        self._db.executemany("INSERT INTO latency VALUES (?, ?)", self._latencies)
        self._items, self._tries, self._values, self._latencies = [], [], [], []

    def _ready(self) -> sqlite3.Connection:
        if not self._indexed:
            self._flush()
            self._db.execute("CREATE INDEX try_item ON try (grp, key)")
            self._db.execute("CREATE INDEX value_item ON value (grp, key)")
            self._db.execute("CREATE INDEX latency_grp ON latency (grp, value)")
            self._indexed = True
        return self._db

    def clustered(self, grp: int) -> bool:
        """Whether any item of the group names a cluster."""
        query = "SELECT EXISTS (SELECT 1 FROM item WHERE grp = ? AND cluster IS NOT NULL)"
        return bool(self._ready().execute(query, (grp,)).fetchone()[0])

    def tries(self, grp: int) -> Iterator[ItemTries]:
        """Each item's tries, items in the order they first came."""
        query = (
            "SELECT i.key, i.cluster, i.source, count(*), sum(t.status = 'pass'), sum(t.status != 'skipped'),"
            " sum(t.status IN ('pass', 'fail', 'error')), count(DISTINCT t.rep), max(t.rep), max(t.status = 'fail')"
            " FROM item i JOIN try t ON t.grp = i.grp AND t.key = i.key WHERE i.grp = ? GROUP BY i.key ORDER BY i.first"
        )
        for key, cluster, source, tries, passes, tried, decided, repeats, top, failed in self._ready().execute(
            query, (grp,)
        ):
            yield ItemTries(
                _text(key), _maybe_text(cluster), _maybe_text(source), tries, passes, tried, decided, repeats, top,
                bool(failed),
            )  # fmt: skip

    def case_ids(self, grp: int, key: str) -> list[str]:
        """The case ids of one item's tries."""
        query = "SELECT case_id FROM try WHERE grp = ? AND key = ?"
        return [_text(row[0]) for row in self._ready().execute(query, (grp, _stored(key)))]

    def metric_values(self, grp: int) -> Iterator[tuple[str, str, str | None, float]]:
        """(metric, item, cluster, value): by metric name, then items in the order they first gave a metric value,
        each item's values in the order they came."""
        query = (
            "SELECT v.name, v.key, i.cluster, v.value FROM value v JOIN item i ON i.grp = v.grp AND i.key = v.key"
            " WHERE v.grp = ? ORDER BY v.name, i.metric_first, v.rowid"
        )
        for name, key, cluster, value in self._ready().execute(query, (grp,)):
            yield _text(name), _text(key), _maybe_text(cluster), value

    def category_values(self, grp: int) -> Iterator[tuple[str, str, str, float]]:
        """(category, metric, item, value) of the items with a category: by category, metric name, then items in
        the order they first gave a category, each item's values in the order they came."""
        query = (
            "SELECT i.category, v.name, v.key, v.value FROM value v JOIN item i ON i.grp = v.grp AND i.key = v.key"
            " WHERE v.grp = ? AND i.category IS NOT NULL ORDER BY i.category, v.name, i.category_first, v.rowid"
        )
        for category, name, key, value in self._ready().execute(query, (grp,)):
            yield _text(category), _text(name), _text(key), value

    def latencies(self, grp: int) -> Iterator[float]:
        """The group's latencies, smallest first."""
        query = "SELECT value FROM latency WHERE grp = ? ORDER BY value"
        return (row[0] for row in self._ready().execute(query, (grp,)))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ItemFigures:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
