"""Paths given as Action inputs: relative to the workspace (`/github/workspace` in the container), never outside it.

A path is confined twice: as written (`..` cannot climb out) and as resolved (a symlink inside the workspace cannot
point out of it). What the core receives is the path as written, relative to the workspace, so that reports and
annotations name files the way the repository does.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


class OutsideWorkspace(ValueError):
    """A path that leaves the workspace."""


def confine(value: str, workspace: Path) -> Path:
    """`value` as a path relative to `workspace` (absolute inputs must lie inside it); raises OutsideWorkspace."""
    root = workspace.resolve()
    written = Path(os.path.normpath(workspace / value))
    try:
        relative = written.relative_to(Path(os.path.normpath(workspace)))
    except ValueError:
        relative = None
    if relative is None or relative.parts[:1] == ("..",):
        raise OutsideWorkspace(f"'{value}' is outside the workspace ({workspace})")
    if not (root / relative).resolve().is_relative_to(root):
        raise OutsideWorkspace(f"'{value}' leads outside the workspace ({workspace}) through a symbolic link")
    return relative


def repo_path(relative: Path) -> str:
    """A workspace-relative path as GitHub names files in annotations and later steps read outputs: `a/b.yml`."""
    return PurePosixPath(*relative.parts).as_posix() if relative.parts else "."
