"""YAML that remembers where every key and value stood, so errors can name the line and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from evalcore.suite.problems import InputError, Loc, Problem, format_loc
from evalcore.text.long_integers import too_many_digits

MAX_DEPTH = 100  # a suite needs about ten levels
MAX_REPEATS = 10_000  # values reached again through aliases ("billion laughs": a small file, a huge document)
_OPENS = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_CLOSES = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
_WIDE_BOMS = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class YamlDocument:
    """The data of one YAML file and the positions of its keys and values, by location path."""

    file: str
    data: Any
    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)

    def position(self, loc: Loc, prefer_key: bool = False) -> Position | None:
        """The best position for a location: the value (or key) itself, else its nearest enclosing one."""
        for n in range(len(loc), -1, -1):
            sub = loc[:n]
            first, second = (self.keys, self.values) if prefer_key else (self.values, self.keys)
            if sub in first:
                return first[sub]
            if sub in second:
                return second[sub]
        return None

    def problem(self, loc: Loc, message: str, prefer_key: bool = False, field_name: str | None = None) -> Problem:
        pos = self.position(loc, prefer_key)
        return Problem(
            self.file,
            message,
            pos.line if pos else None,
            pos.column if pos else None,
            (field_name if field_name is not None else format_loc(loc)) or None,
        )


def utf16_problem(raw: bytes, file: str) -> Problem | None:
    """A UTF-16 or UTF-32 file, recognised by its byte order mark (its NUL bytes would otherwise look binary)."""
    for bom, name in _WIDE_BOMS:
        if raw.startswith(bom):
            return Problem(file, f"{name} text (byte order mark {bom.hex(' ').upper()}); save the file as UTF-8", 1, 1)
    return None


def decode_text(raw: bytes, file: str) -> str:
    """UTF-8 text, or an InputError naming the line of the first byte that is not UTF-8."""
    wide = utf16_problem(raw, file)
    if wide is not None:
        raise InputError([wide])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            [Problem(file, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line, col)]
        ) from None
    return text.removeprefix("\ufeff")


def load_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document, keeping positions; syntax errors and duplicate keys become problems."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, found before parsing starts
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise InputError(
            [
                Problem(
                    file,
                    f"YAML does not allow the character U+{code:04X} (remove it, or write it as an escape such as "
                    f"\\x{code:02x} in a double-quoted string)",
                    line,
                    column,
                )
            ]
        ) from None
    try:
        _check_depth(text, file)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        raise InputError(
            [
                Problem(
                    file,
                    f"YAML syntax: {what} (check indentation, quoting and colons)",
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(file, f"YAML syntax: {exc}")]) from None
    finally:
        loader.dispose()
    doc = YamlDocument(file=file, data=None)
    if node is None:
        return doc
    problems: list[Problem] = []
    doc.data = _build(node, (), doc, loader, _Walk(problems))
    if problems:
        raise InputError(problems)
    return doc


def _check_depth(text: str, file: str) -> None:
    """Collections nested deeper than MAX_DEPTH are refused where they pass it (the parser recurses per level)."""
    depth = 0
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, _OPENS):
            depth += 1
            if depth > MAX_DEPTH:
                line, col = token.start_mark.line + 1, token.start_mark.column + 1
                raise InputError([Problem(file, f"nested more than {MAX_DEPTH} levels deep (flatten it)", line, col)])
        elif isinstance(token, _CLOSES):
            depth -= 1


def _pos(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


@dataclass
class _Walk:
    problems: list[Problem]
    seen: set[int] = field(default_factory=set)
    repeats: int = 0


def _build(node: yaml.Node, loc: Loc, doc: YamlDocument, loader: yaml.SafeLoader, walk: _Walk) -> Any:
    doc.values[loc] = _pos(node)
    if id(node) in walk.seen:
        walk.repeats += 1
        if walk.repeats > MAX_REPEATS:
            message = f"aliases repeat more than {MAX_REPEATS:,} values (write the data out, or use fewer aliases)"
            raise InputError([Problem(doc.file, message, *_line_col(node))])
    walk.seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            try:
                key = loader.construct_object(key_node, deep=True)
            except (yaml.YAMLError, ValueError):  # e.g. an integer past Python's digit limit as a key
                key = None
            if not isinstance(key, str | int | float | bool) or key is None:
                walk.problems.append(Problem(doc.file, "a key must be a plain word", *_line_col(key_node)))
                continue
            if isinstance(key, bool):  # YAML 1.1 reads `on`, `yes`, `off` as booleans: a key is the word written
                key = key_node.value
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                first = doc.keys[(*loc, key)]
                walk.problems.append(
                    Problem(
                        doc.file,
                        f"duplicate key '{key}' (first at line {first.line}; keep one)",
                        *_line_col(key_node),
                    )
                )
                continue
            doc.keys[(*loc, key)] = _pos(key_node)
            out[key] = _build(value_node, (*loc, key), doc, loader, walk)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, i), doc, loader, walk) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        walk.problems.append(Problem(doc.file, f"YAML value: {exc}", *_line_col(node)))
    except ValueError as exc:  # an integer past Python's digit limit, a date that does not exist
        walk.problems.append(Problem(doc.file, too_many_digits(exc) or f"YAML value: {exc}", *_line_col(node)))
    return None


def _line_col(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1
