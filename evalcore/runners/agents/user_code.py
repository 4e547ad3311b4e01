"""Importing the user's code named in a plan (custom targets, hooks): `package.module.Name`, found relative to the
plan's folder first (as agenteval finds it relative to where it runs), then on the usual import path. Code written
for agenteval may import agenteval's names without agenteval installed (agenteval_names.py)."""

from __future__ import annotations

import importlib
import sys
import threading
from pathlib import Path
from typing import Any

from evalcore.runners.agents import agenteval_names

_LOCK = threading.Lock()


class UserCodeError(Exception):
    pass


def import_object(dotted: str, base_dir: Path) -> Any:
    """The object `Name` of module `package.module` for `package.module.Name`. Raises UserCodeError."""
    module_name, _, name = dotted.rpartition(".")
    if not module_name:
        raise UserCodeError(f"'{dotted}' is not a dotted path (write module.Class)")
    folder = str(base_dir.resolve())
    agenteval_names.provide()
    with _LOCK:  # imports and sys.path changes from several test threads at once
        if folder not in sys.path:
            sys.path.insert(0, folder)
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise UserCodeError(f"cannot import {module_name} (from {folder}): {type(exc).__name__}: {exc}") from None
    try:
        return getattr(module, name)
    except AttributeError:
        raise UserCodeError(f"module {module_name} has no {name}") from None
