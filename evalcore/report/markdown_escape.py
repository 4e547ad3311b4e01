"""Untrusted text (model output, dataset text, names) made inert in GitHub-flavoured Markdown: the step summary and
the PR comment use these and nothing else to put foreign text into Markdown.

- no raw HTML: `<`, `>` and `&` become entities, so no tag, comment or marker survives;
- no Markdown syntax: punctuation that starts emphasis, links, images, headings, lists or code is backslash-escaped;
- no notifications or cross-references: a zero-width space follows `@` and `#`;
- table cells: `|` as `&#124;`, newlines as `<br>`;
- code spans and blocks: fenced with more backticks than the text holds;
- long text is cut with a note.
"""

from __future__ import annotations

import html
import re

from evalcore.report.plain import plain

ZWSP = "\u200b"
_ESCAPED = re.compile(r"([\\`*_\[\]()#!|~])")
_MENTION = re.compile(r"([@#])")
_BACKTICKS = re.compile(r"`+")


def cut(text: str, limit: int, note: str = "see the HTML report") -> str:
    """At most about `limit` characters; a cut is said, with how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit].rstrip()}… ({len(text) - limit:,} more characters: {note})"


def inline(text: str | None, limit: int = 500) -> str:
    """Untrusted text as inert inline Markdown on one line."""
    flat = " ".join(plain(text).split())
    return _inline(cut(flat, limit))


def _inline(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _ESCAPED.sub(r"\\\1", text)
    return _MENTION.sub(rf"\1{ZWSP}", text)


def cell(text: str | None, limit: int = 200) -> str:
    """Untrusted text for a table cell: inert, one row (newlines as `<br>`), `|` as `&#124;`."""
    lines = [" ".join(line.split()) for line in plain(text).split("\n")]
    joined = "\n".join(line for line in lines if line)
    return _inline(cut(joined, limit)).replace("\\|", "&#124;").replace("\n", "<br>")


def html_text(text: str | None, limit: int = 200) -> str:
    """Untrusted text inside an HTML block of the Markdown (e.g. `<summary>`), where Markdown is not parsed."""
    flat = cut(" ".join(plain(text).split()), limit)
    # Mentions first: escaping after keeps the entities it writes (`&#x27;`) whole.
    return html.escape(_MENTION.sub(rf"\1{ZWSP}", flat), quote=True)


def code_span(text: str | None, limit: int = 200, in_table: bool = False) -> str:
    """Untrusted text as a code span, fenced with one backtick more than its longest run of backticks."""
    flat = cut(" ".join(plain(text).split()), limit)
    if not flat:
        return ""
    fence = "`" * (_longest_run(flat) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    # In a table a `|` ends the cell even inside a code span; GFM takes `\|` there.
    body = flat.replace("|", "\\|") if in_table else flat
    return f"{fence}{pad}{body}{pad}{fence}"


def code_block(text: str | None, limit: int = 2000, info: str = "text") -> str:
    """Untrusted text as a fenced code block (at least three backticks, more than any run in the text)."""
    body = cut(plain(text), limit).replace("<!--", f"<{ZWSP}!--")
    fence = "`" * max(3, _longest_run(body) + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def _longest_run(text: str) -> int:
    return max((len(m) for m in _BACKTICKS.findall(text)), default=0)
