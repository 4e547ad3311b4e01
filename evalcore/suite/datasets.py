"""Datasets and probe files: JSONL (Bedrock's format) or CSV, read with the line of every record kept."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalcore.long_integers import too_many_digits
from evalcore.suite.problems import InputError, Problem
from evalcore.suite.yaml_source import decode_text, utf16_problem
from evalcore.surrogates import first_lone_surrogate, shown

MAX_PROBLEMS = 20
MAX_FILE_BYTES = 2 * 1024**3
MAX_LINE_CHARS = 1024**2  # one record; far more than any model takes in one prompt
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # \ud800-\udfff in JSON text: maybe half a pair, maybe lone


@dataclass(frozen=True, slots=True)
class Record:
    line: int
    fields: dict[str, Any]


def read_records(path: Path, display: str) -> list[Record]:
    """Every record of a `.jsonl` or `.csv` file; all problems at once (up to 20) as an InputError."""
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise InputError([Problem(display, f"unsupported file type '{suffix}' (use .jsonl or .csv)")])
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError([Problem(display, "file larger than 2 GiB (split it)")])
        raw = path.read_bytes()
    except IsADirectoryError:
        raise InputError([Problem(display, "is a directory, not a file")]) from None
    except OSError as exc:
        raise InputError([Problem(display, f"cannot read: {exc.strerror}")]) from None
    wide = utf16_problem(raw, display)
    if wide is not None:
        raise InputError([wide])
    if b"\x00" in raw[:65536]:
        raise InputError([Problem(display, "binary file (NUL bytes); expected UTF-8 text")])
    text = decode_text(raw, display)
    records = _jsonl(text, display) if suffix == ".jsonl" else _csv(text, display)
    if not records:
        raise InputError([Problem(display, "no records (add at least one line)")])
    return records


def _jsonl(text: str, display: str) -> list[Record]:
    records: list[Record] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_CHARS:
            size = f"{len(line) / 1024**2:.1f} million characters"
            problems.append(Problem(display, f"line of {size}: a record is at most 1 million (shorten it)", number))
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(display, f"not valid JSON: {exc.msg} (one JSON object per line)", number))
            continue
        except ValueError as exc:  # json reads the digits of an integer with int(), which has a limit
            problems.append(Problem(display, too_many_digits(exc) or f"not valid JSON: {exc}", number))
            continue
        except RecursionError:
            problems.append(Problem(display, "JSON nested too deeply (flatten it)", number))
            continue
        if not isinstance(value, dict):
            problems.append(
                Problem(
                    display,
                    f'a line must be a JSON object like {{"prompt": ...}}, not {_kind(value)}',
                    number,
                )
            )
            continue
        lone = first_lone_surrogate(value) if _SURROGATE_ESCAPE.search(line) else None
        if lone is not None:
            where, surrogate = lone
            message = (
                f"a lone UTF-16 surrogate {shown(surrogate)} is not text "
                "(write the character itself, or both halves of its surrogate pair)"
            )
            problems.append(Problem(display, message, number, field=shown(where) or None))
            continue
        records.append(Record(number, value))
    _raise(problems)
    return records


def _csv(text: str, display: str) -> list[Record]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        return []
    header = [h.strip() for h in reader.fieldnames]
    problems: list[Problem] = []
    if len(set(header)) != len(header) or "" in header:
        problems.append(Problem(display, "the header row needs unique, non-empty column names", 1))
    reader.fieldnames = header
    records: list[Record] = []
    try:
        for row in reader:
            if None in row:
                problems.append(
                    Problem(display, f"more cells than the {len(header)} columns of the header", reader.line_num)
                )
                continue
            records.append(Record(reader.line_num, {k: v for k, v in row.items() if v is not None}))
    except csv.Error as exc:  # e.g. a cell over the csv module's limit (128 KiB): the rest cannot be read
        problems.append(Problem(display, f"cannot read the CSV here: {exc}", reader.line_num))
    _raise(problems)
    return records


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
