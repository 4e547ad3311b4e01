"""Untrusted text between tags in a prompt (what a judge grades, the conversation the agent evaluator reads).

Inside the text, anything a model could take for one of the prompt's tags (opening or closing, any case, spaces or
line breaks inside, an ASCII, full-width or small angle bracket) gets a backslash after its bracket: `</response>`
becomes `<\\/response>`, `<Reference >` becomes `<\\Reference >`. So the text can neither end its section early
nor open another one, and the tags the prompt itself writes are the only ones in it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

_BRACKETS = "<\uff1c\ufe64"  # "<", and the full-width and small forms that NFKC folds into it


def defused(text: str, tags: Iterable[str]) -> str:
    """`text` with every look-alike of an opening or closing tag named in `tags` made inert."""
    return _pattern(tuple(sorted(set(tags), key=len, reverse=True))).sub(r"\g<0>\\", text)


def tagged(tag: str, text: str, tags: Iterable[str]) -> str:
    """`text` inside `<tag>` ... `</tag>`, defused against every tag in `tags` (and `tag` itself)."""
    return f"<{tag}>\n{defused(text, (tag, *tags))}\n</{tag}>"


@functools.lru_cache(maxsize=16)
def _pattern(tags: tuple[str, ...]) -> re.Pattern[str]:
    names = "|".join(re.escape(tag) for tag in tags)
    # Matches the bracket only when a tag name follows it: the backslash goes right after the bracket.
    return re.compile(rf"[{_BRACKETS}](?=\s*/?\s*(?:{names})\b)", re.IGNORECASE)
