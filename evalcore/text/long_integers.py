"""Integers with more digits than Python converts (`sys.get_int_max_str_digits()`, 4,300 by default): the json and
YAML readers raise a bare ValueError for them, which each loader turns into one line naming the place."""

from __future__ import annotations

import re
import sys

_DIGITS = re.compile(r"integer string conversion: value has (\d+) digits")


def too_many_digits(exc: ValueError) -> str | None:
    """What is wrong, when `exc` is Python refusing an integer's digits; None for any other ValueError."""
    found = _DIGITS.search(str(exc))
    if found is None:
        return None
    limit = sys.get_int_max_str_digits()
    return f"an integer of {found[1]} digits: Python reads at most {limit} (write it as a string)"
