"""The cases a report draws, in the report's order, without holding the run in memory.

An index keeps, for each case's final result, only what ordering, counting and ranking need (its order key,
section, status, how bad it is, its time) and where the whole result stands: a byte offset in results.jsonl, or a
place in a list. Reports walk the index and read the results back one at a time, so a run of 100,000 cases is
reported in memory proportional to the index (a few hundred bytes a case), never to its results."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from evalcore.domain.results import CaseResult, RunResult
from evalcore.report.cases import source_of

OrderKey = tuple[int, int, str, int, str, int, str]
Reader = Callable[[list[int]], Iterator[CaseResult]]

_RANK = {"error": 0, "fail": 1, "pass": 2, "skipped": 3}


@dataclass(frozen=True, slots=True)
class Entry:
    key: OrderKey  # by section and model as the run lists them, then by where the item stands
    section: str
    status: str
    badness: tuple[int, float]  # errors, then failures, then the lowest mean score
    latency_ms: float | None
    at: int  # where the result stands: a byte offset in results.jsonl, or an index in a list
    case_id: str = ""

    @property
    def model_index(self) -> int:
        """The place of the case's model among its section's models in the run."""
        return self.key[1]


class CaseIndex:
    """The final result of each case of a run's sections, in the report's order."""

    def __init__(self, entries: Iterable[Entry], read: Reader) -> None:
        self._entries = sorted(entries, key=lambda e: e.key)
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
        last: dict[str, Entry] = {}
        for at, case in _results_at(path):
            if case.section in order.sections and (keep is None or keep(case.case_id)):
                last[case.case_id] = order.entry(case, at)
        return cls(last.values(), lambda places: _read_at(path, places))

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self, section: str | None = None) -> list[Entry]:
        return [e for e in self._entries if section is None or e.section == section]

    def cases(self, section: str | None = None) -> Iterator[CaseResult]:
        """The results in the report's order (of one section), read one at a time."""
        return self.read(self.entries(section))

    def read(self, entries: list[Entry]) -> Iterator[CaseResult]:
        return self._read([e.at for e in entries])

    def worst(self, section: str, limit: int) -> list[Entry]:
        """At most `limit` of the section's failed and errored cases, worst first (ties in the report's order)."""
        chosen = (e for e in self._entries if e.section == section and e.status in ("fail", "error"))
        return heapq.nsmallest(limit, chosen, key=lambda e: (e.badness, e.key))


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
        return Entry(key, case.section, case.status, badness, case.latency_ms, at, case.case_id)


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


def _read_at(path: Path, places: list[int]) -> Iterator[CaseResult]:
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
