"""Where a run writes when not told otherwise, one home for the command line, the run options and the Action
(whose action.yml and the README state the same values: tests/test_defaults.py)."""

from __future__ import annotations

from pathlib import Path

OUT_DIR = Path("evalcore-out")  # results and reports
CACHE_DIR = Path(".evalcore/cache")  # the response cache
