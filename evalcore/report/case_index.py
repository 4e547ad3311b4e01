"""The cases a report draws, in the report's order, without holding the run in memory.

An index keeps, for each case's final result, only what ordering, counting and ranking need (its order key,
section, status, how bad it is, its time) and where the whole result stands: a byte offset in results.jsonl, or a
place in a list. The index itself is a private temporary SQLite database (removed when it is closed), so it costs
a bounded page cache, not objects per case: a run of 1,000,000 cases is reported in about the memory of 1,000.
Reports walk the index and read the results back one at a time."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from evalcore.domain.results import CaseResult, RunResult
from evalcore.report.cases import source_of

OrderKey = tuple[int, int, str, int, str, int, str]
Reader = Callable[[Iterable[int]], Iterator[CaseResult]]

_RANK = {"error": 0, "fail": 1, "pass": 2, "skipped": 3}
_KEY = "s, m, file, line, item, rep, cid"  # the report's order (OrderKey's columns)
_BADNESS = f"rank, score, {_KEY}"  # worst first, ties in the report's order
_COLUMNS = f"{_KEY}, section, status, rank, score, latency, at"
_BATCH = 1_000  # results inserted at a time


@dataclass(frozen=True, slots=True)
class Entry:
    key: OrderKey  # by section and model as the run lists them, then by where the item stands
    section: str
    status: str
    badness: tuple[int, float]  # errors, then failures, then the lowest mean score
    latency_ms: float | None
    at: int  # where the result stands: a byte offset in results.jsonl, or an index in a list

    @property
    def case_id(self) -> str:
        """The case's id, the last part of its order key."""
        return self.key[6]

    @property
    def model_index(self) -> int:
        """The place of the case's model among its section's models in the run."""
        return self.key[1]

    def row(self) -> tuple[object, ...]:
        s, m, file, line, item, rep, cid = self.key
        texts = (_stored(file), line, _stored(item), rep, _stored(cid), _stored(self.section), self.status)
        return (s, m, *texts, *self.badness, self.latency_ms, self.at)

    @classmethod
    def of_row(cls, row: tuple) -> Entry:
        s, m, file, line, item, rep, cid, section, status, rank, score, latency, at = row
        key = (s, m, _text(file), line, _text(item), rep, _text(cid))
        return cls(key, _text(section), status, (rank, score), latency, at)


def _stored(text: str) -> bytes:
    """Text as the index stores it: UTF-8 bytes, a lone surrogate (from a tampered file) kept as it is; bytes
    compare as Python compares the text (by code point)."""
    return text.encode("utf-8", "surrogatepass")


def _text(stored: bytes) -> str:
    return stored.decode("utf-8", "surrogatepass")


class Entries:
    """Entries of the index in the report's order (of one section), read from it on each pass, never held."""

    def __init__(self, index: CaseIndex, section: str | None) -> None:
        self._index, self._section = index, section

    def __iter__(self) -> Iterator[Entry]:
        where, params = ("WHERE section = ?", (_stored(self._section),)) if self._section is not None else ("", ())
        return self._index._select(f"SELECT {_COLUMNS} FROM entry {where} ORDER BY {_KEY}", params)

    def __len__(self) -> int:
        return self._index._count(self._section)


class CaseIndex:
    """The final result of each case of a run's sections, in the report's order. `last_wins`: a later entry of a
    case id replaces an earlier one (a results file a resumed run appended to)."""

    def __init__(self, entries: Iterable[Entry], read: Reader, last_wins: bool = False) -> None:
        self._db = sqlite3.connect("")  # a private temporary database, deleted when closed
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        unique = " UNIQUE" if last_wins else ""
        self._db.execute(
            "CREATE TABLE entry (s INTEGER, m INTEGER, file BLOB, line INTEGER, item BLOB, rep INTEGER,"
            f" cid BLOB{unique}, section BLOB, status TEXT, rank INTEGER, score REAL, latency REAL, at INTEGER)"
        )
        verb = "INSERT OR REPLACE" if last_wins else "INSERT"
        rows = (entry.row() for entry in entries)
        while batch := [row for _, row in zip(range(_BATCH), rows, strict=False)]:
            self._db.executemany(f"{verb} INTO entry ({_COLUMNS}) VALUES ({', '.join('?' * 13)})", batch)
        self._db.execute(f"CREATE INDEX by_key ON entry ({_KEY})")
        self._db.execute(f"CREATE INDEX by_section ON entry (section, {_KEY})")
        self._read = read

    @classmethod
    def of(cls, run: RunResult, cases: CaseIndex | Iterable[CaseResult]) -> CaseIndex:
        return cases if isinstance(cases, CaseIndex) else cls.of_cases(run, cases)

    @classmethod
    def of_cases(cls, run: RunResult, cases: Iterable[CaseResult]) -> CaseIndex:
        """An index over results in memory, every one kept."""
        held = list(cases)
        order = _Order(run)
        entries = (order.entry(case, at) for at, case in enumerate(held) if case.section in order.sections)
        return cls(entries, lambda places: (held[at] for at in places))

    @classmethod
    def of_file(cls, run: RunResult, path: Path, keep: Callable[[str], bool] | None = None) -> CaseIndex:
        """An index over a results.jsonl: each case's last result (a resumed run may have retried it); `keep`
        selects case ids. A last line cut short by a cancelled run is ignored."""
        if not path.is_file():
            return cls([], lambda places: iter(()))
        order = _Order(run)
        entries = (
            order.entry(case, at)
            for at, case in _results_at(path)
            if case.section in order.sections and (keep is None or keep(case.case_id))
        )
        return cls(entries, lambda places: _read_at(path, places), last_wins=True)

    def __len__(self) -> int:
        return self._count(None)

    def entries(self, section: str | None = None) -> Entries:
        return Entries(self, section)

    def cases(self, section: str | None = None) -> Iterator[CaseResult]:
        """The results in the report's order (of one section), read one at a time."""
        return self.read(self.entries(section))

    def read(self, entries: Iterable[Entry]) -> Iterator[CaseResult]:
        return self._read(e.at for e in entries)

    def worst(self, section: str, limit: int) -> list[Entry]:
        """At most `limit` of the section's failed and errored cases, worst first (ties in the report's order)."""
        query = (
            f"SELECT {_COLUMNS} FROM entry WHERE section = ? AND status IN ('fail', 'error') ORDER BY {_BADNESS}"
            " LIMIT ?"
        )
        return list(self._select(query, (_stored(section), limit)))

    def worst_items(self, limit: int) -> list[Entry]:
        """Whole items (every model's case of a section's item and repeat) of at most `limit` cases in all, in the
        report's order: chosen worst item first (an item is as bad as its worst case, ties in the report's order),
        up to the first item that does not fit."""
        # Each item's worst case and its number of cases, the items worst first.
        items = self._db.execute(
            f"SELECT s, item, rep, n FROM (SELECT {_KEY}, rank, score, COUNT(*) OVER item AS n,"
            f" ROW_NUMBER() OVER (item ORDER BY {_BADNESS}) AS nth FROM entry WINDOW item AS (PARTITION BY s, item, rep))"
            f" WHERE nth = 1 ORDER BY {_BADNESS}"
        )
        chosen: list[tuple[int, bytes, int]] = []
        total = 0
        for s, item, rep, n in items:
            if total + n > limit:
                break
            chosen.append((s, item, rep))
            total += n
        items.close()
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS chosen (s INTEGER, item BLOB, rep INTEGER)")
        self._db.execute("DELETE FROM chosen")
        self._db.executemany("INSERT INTO chosen VALUES (?, ?, ?)", chosen)
        query = f"SELECT {_COLUMNS} FROM entry JOIN chosen USING (s, item, rep) ORDER BY {_KEY}"
        return list(self._select(query, ()))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> CaseIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _select(self, query: str, params: tuple) -> Iterator[Entry]:
        for row in self._db.execute(query, params):
            yield Entry.of_row(row)

    def _count(self, section: str | None) -> int:
        where, params = ("WHERE section = ?", (_stored(section),)) if section is not None else ("", ())
        return int(self._db.execute(f"SELECT COUNT(*) FROM entry {where}", params).fetchone()[0])


class _Order:
    """Where a case stands in the report: by section and model as the run lists them, then by its item's place."""

    def __init__(self, run: RunResult) -> None:
        self.sections = {s.name: i for i, s in enumerate(run.sections)}
        self.models = {(s.name, m.model): i for s in run.sections for i, m in enumerate(s.models)}

    def entry(self, case: CaseResult, at: int) -> Entry:
        file, line = source_of(case)
        key = (
            self.sections[case.section],
            self.models.get((case.section, case.model), len(self.models)),
            file or "",
            line or 0,
            case.item_key,
            case.repeat,
            case.case_id,
        )
        values = [m.value for m in case.metrics if m.value is not None]
        badness = (_RANK[case.status], sum(values) / len(values) if values else 1.0)
        return Entry(key, case.section, case.status, badness, case.latency_ms, at)


def _results_at(path: Path) -> Iterator[tuple[int, CaseResult]]:
    with path.open("rb") as fh:
        at = 0
        for number, line in enumerate(fh, start=1):
            here, at = at, at + len(line)
            if not line.strip():
                continue
            if not line.endswith(b"\n"):
                return  # the partial last line of an interrupted write
            yield here, _parse(path, number, line)


def _read_at(path: Path, places: Iterable[int]) -> Iterator[CaseResult]:
    with path.open("rb") as fh:
        for at in places:
            fh.seek(at)
            yield _parse(path, None, fh.readline())


def _parse(path: Path, number: int | None, line: bytes) -> CaseResult:
    try:
        return CaseResult.model_validate_json(line)
    except ValueError as exc:
        where = f"{path}:{number}" if number is not None else str(path)
        raise ValueError(f"{where}: not a case result ({exc.__class__.__name__})") from None
