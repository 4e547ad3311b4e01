"""The cases that did not pass, as plain log text: what a reader of the job log needs to see why. The text holds
model answers and dataset text, so the caller prints it as untrusted."""

from __future__ import annotations

from pathlib import Path

from evalcore.domain.results import CASES_FILE, CaseResult, final_cases

SHOWN_CASES = 25
SHOWN_CHARS = 500


def not_passed(out_dir: Path) -> tuple[list[CaseResult], int]:
    """The first SHOWN_CASES cases that failed or errored (each case's last result), and how many there are: the
    results are streamed, never held."""
    path = out_dir / CASES_FILE
    shown: list[CaseResult] = []
    count = 0
    for case in final_cases(path) if path.is_file() else ():
        if case.status in ("fail", "error"):
            count += 1
            if len(shown) < SHOWN_CASES:
                shown.append(case)
    return shown, count


def describe_cases(cases: list[CaseResult], count: int) -> str:
    lines: list[str] = []
    for case in cases:
        who = f" [{case.model}]" if case.model else ""
        where = f" ({case.source})" if case.source else ""
        lines.append(f"{case.status.upper()} {case.section}{who} {case.item_key}{where}: {case.reason or '-'}")
        for label, text in (("prompt", case.prompt), ("output", case.output)):
            if text:
                lines.append(f"  {label}: {_cut(text)}")
    if count > len(cases):
        lines.append(f"... and {count - len(cases)} more: see results.jsonl and the reports")
    return "\n".join(lines)


def _cut(text: str) -> str:
    flat = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + f"... ({len(text)} characters)"
    return flat.replace("\r", "").replace("\n", "\n    ")
