"""Datasets and probe files: JSONL (Bedrock's format) or CSV, read with the line of every record kept.

A dataset is streamed, never held: the loader reads it once to check every record (and count them), and each later
pass (planning, running, sharding, merging) reads the file again record by record. The suite's content hash covers
the file's bytes, so a pass reads what the check read."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from evalcore.suite.problems import InputError, Problem
from evalcore.suite.yaml_source import utf16_problem
from evalcore.text.long_integers import too_many_digits
from evalcore.text.surrogates import first_lone_surrogate, shown

MAX_PROBLEMS = 20
MAX_FILE_BYTES = 2 * 1024**3
MAX_LINE_CHARS = 1024**2  # one record; far more than any model takes in one prompt
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # \ud800-\udfff in JSON text: maybe half a pair, maybe lone
_HEAD = 65536  # the bytes looked at for a byte order mark and NUL bytes


@dataclass(frozen=True, slots=True)
class Record:
    line: int
    fields: dict[str, Any]


class Dataset:
    """A checked dataset file: iterating it reads the file again, one record at a time, each with its line."""

    def __init__(self, path: Path, display: str, count: int) -> None:
        self.path = path
        self.display = display
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Record]:
        problems: list[Problem] = []
        yield from _records(self.path, self.display, problems, None)
        _raise(problems)  # the file changed under the run since it was checked


def scan_dataset(path: Path, display: str, each: Callable[[Record], None] | None = None, digest: Any = None) -> Dataset:
    """Check every record of a `.jsonl` or `.csv` file, calling `each` on it and feeding the file's bytes to
    `digest`; all problems at once (up to 20) as an InputError. Holds one record at a time."""
    problems: list[Problem] = []
    count = 0
    for record in _records(path, display, problems, digest):
        count += 1
        if each is not None:
            each(record)
    _raise(problems)
    if not count:
        raise InputError([Problem(display, "no records (add at least one line)")])
    return Dataset(path, display, count)


def read_records(path: Path, display: str) -> list[Record]:
    """Every record of a small file (probes, responses), held."""
    records: list[Record] = []
    scan_dataset(path, display, records.append)
    return records


def _records(path: Path, display: str, problems: list[Problem], digest: Any) -> Iterator[Record]:
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise InputError([Problem(display, f"unsupported file type '{suffix}' (use .jsonl or .csv)")])
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError([Problem(display, "file larger than 2 GiB (split it)")])
        fh = io.BufferedReader(io.FileIO(path), buffer_size=_HEAD)
    except IsADirectoryError:
        raise InputError([Problem(display, "is a directory, not a file")]) from None
    except OSError as exc:
        raise InputError([Problem(display, f"cannot read: {exc.strerror}")]) from None
    with fh:
        head = fh.peek(_HEAD)[:_HEAD]
        wide = utf16_problem(head, display)
        if wide is not None:
            raise InputError([wide])
        if b"\x00" in head:
            raise InputError([Problem(display, "binary file (NUL bytes); expected UTF-8 text")])
        lines = _text_lines(fh, display, digest)
        yield from (_jsonl(lines, display, problems) if suffix == ".jsonl" else _csv(lines, display, problems))


def _text_lines(fh: IO[bytes], display: str, digest: Any) -> Iterator[str]:
    """The file's lines as text (line ends kept), or an InputError naming the line of a byte that is not UTF-8."""
    for number, raw in enumerate(fh, start=1):
        if digest is not None:
            digest.update(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problem = f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
            raise InputError([Problem(display, problem, number, exc.start + 1)]) from None
        yield text.removeprefix("\ufeff") if number == 1 else text


def _jsonl(lines: Iterator[str], display: str, problems: list[Problem]) -> Iterator[Record]:
    number = 0
    for text in lines:
        for line in text.splitlines():  # as str.splitlines splits the whole text: \r and \u2028 end a line too
            number += 1
            if not line.strip():
                continue
            record = _json_record(line, number, display, problems)
            if record is not None:
                yield record


def _json_record(line: str, number: int, display: str, problems: list[Problem]) -> Record | None:
    if len(line) > MAX_LINE_CHARS:
        size = f"{len(line) / 1024**2:.1f} million characters"
        problems.append(Problem(display, f"line of {size}: a record is at most 1 million (shorten it)", number))
        return None
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        problems.append(Problem(display, f"not valid JSON: {exc.msg} (one JSON object per line)", number))
        return None
    except ValueError as exc:  # json reads the digits of an integer with int(), which has a limit
        problems.append(Problem(display, too_many_digits(exc) or f"not valid JSON: {exc}", number))
        return None
    except RecursionError:
        problems.append(Problem(display, "JSON nested too deeply (flatten it)", number))
        return None
    if not isinstance(value, dict):
        problems.append(
            Problem(
                display,
                f'a line must be a JSON object like {{"prompt": ...}}, not {_kind(value)}',
                number,
            )
        )
        return None
    lone = first_lone_surrogate(value) if _SURROGATE_ESCAPE.search(line) else None
    if lone is not None:
        where, surrogate = lone
        message = (
            f"a lone UTF-16 surrogate {shown(surrogate)} is not text "
            "(write the character itself, or both halves of its surrogate pair)"
        )
        problems.append(Problem(display, message, number, field=shown(where) or None))
        return None
    return Record(number, value)


def _csv_lines(lines: Iterator[str]) -> Iterator[str]:
    """Lines as the csv module reads them from text: split at \\n, \\r and \\r\\n."""
    for text in lines:
        if "\r" in text.removesuffix("\r\n"):
            yield from io.StringIO(text, newline="")
        else:
            yield text


def _csv(lines: Iterator[str], display: str, problems: list[Problem]) -> Iterator[Record]:
    reader = csv.DictReader(_csv_lines(lines))
    if not reader.fieldnames:
        return
    header = [h.strip() for h in reader.fieldnames]
    if len(set(header)) != len(header) or "" in header:
        problems.append(Problem(display, "the header row needs unique, non-empty column names", 1))
    reader.fieldnames = header
    try:
        for row in reader:
            if None in row:
                problems.append(
                    Problem(display, f"more cells than the {len(header)} columns of the header", reader.line_num)
                )
                continue
            yield Record(reader.line_num, {k: v for k, v in row.items() if v is not None})
    except csv.Error as exc:  # e.g. a cell over the csv module's limit (128 KiB): the rest cannot be read
        problems.append(Problem(display, f"cannot read the CSV here: {exc}", reader.line_num))


def _raise(problems: list[Problem]) -> None:
    if not problems:
        return
    if len(problems) > MAX_PROBLEMS:
        extra = len(problems) - MAX_PROBLEMS
        problems = [
            *problems[:MAX_PROBLEMS],
            Problem(problems[0].file, f"... and {extra} more problems like these"),
        ]
    raise InputError(problems)


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), "null"
    )
