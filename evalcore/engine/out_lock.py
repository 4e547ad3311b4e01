"""One run owns an output directory at a time: `run`, `run --resume` and `merge --out` hold an exclusive lock on
`DIR/.evalcore.lock` while they write there, so two of them never append to (or delete) the same results file.

The lock is the operating system's (flock(2) on POSIX, a byte-range lock through msvcrt on Windows): it goes with the
process, so a run killed with SIGKILL or by a crash leaves no stale lock behind. The file itself stays (removing it
would race with the next run taking it); it holds nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = ".evalcore.lock"


class DirectoryBusy(Exception):
    """Another process holds the directory's lock: the environment's state, not bad input (exit 3)."""


@contextlib.contextmanager
def own_directory(directory: Path) -> Iterator[None]:
    """Hold `directory`'s lock for the block, creating the directory; DirectoryBusy if another process holds it."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            raise DirectoryBusy(
                f"{directory}: another evalcore run is writing in this directory "
                "(wait for it to finish, or give another --out)"
            )
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
