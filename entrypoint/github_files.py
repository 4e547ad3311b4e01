"""The runner's files: step outputs (`GITHUB_OUTPUT`) and the step summary (`GITHUB_STEP_SUMMARY`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

SUMMARY_LIMIT = 1024 * 1024  # bytes per step; GitHub rejects a larger summary


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append each output as `name<<DELIM` / value / `DELIM`, with a fresh random delimiter the value cannot hold."""
    blocks = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        while delimiter in value:  # pragma: no cover - a random uuid found in the value
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
        blocks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(blocks))


def append_summary(path: Path, markdown: str, full_report: str | None) -> bool:
    """Append `markdown` to the step summary, cut at a line so the file stays within 1 MiB; True if it was cut."""
    used = path.stat().st_size if path.exists() else 0
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    data = text.encode("utf-8")
    cut = used + len(data) > SUMMARY_LIMIT
    if cut:
        where = f" in `{full_report}` (an output of this step)" if full_report else " in the results"
        note = f"\n\n> The summary was cut to fit GitHub's 1 MiB limit: the full report is{where}.\n".encode()
        room = max(0, SUMMARY_LIMIT - used - len(note))
        head = data[:room]
        head = head[: head.rfind(b"\n") + 1] if b"\n" in head else b""
        data = head + note
        if used + len(data) > SUMMARY_LIMIT:
            return True  # not even the note fits: leave what earlier steps wrote alone
    with path.open("ab") as fh:
        fh.write(data)
    return cut
