"""The cases that did not pass, as plain log text: what a reader of the job log needs to see why. The text holds
model answers and dataset text, so the caller prints it as untrusted."""

from __future__ import annotations

from pathlib import Path

from evalcore.results import CASES_FILE, CaseResult, latest_by_case, read_cases

SHOWN_CASES = 25
SHOWN_CHARS = 500


def not_passed(out_dir: Path) -> list[CaseResult]:
    path = out_dir / CASES_FILE
    if not path.is_file():
        return []
    return [c for c in latest_by_case(read_cases(path)).values() if c.status in ("fail", "error")]


def describe_cases(cases: list[CaseResult]) -> str:
    lines: list[str] = []
    for case in cases[:SHOWN_CASES]:
        who = f" [{case.model}]" if case.model else ""
        where = f" ({case.source})" if case.source else ""
        lines.append(f"{case.status.upper()} {case.section}{who} {case.item_key}{where}: {case.reason or '-'}")
        for label, text in (("prompt", case.prompt), ("output", case.output)):
            if text:
                lines.append(f"  {label}: {_cut(text)}")
    if len(cases) > SHOWN_CASES:
        lines.append(f"... and {len(cases) - SHOWN_CASES} more: see results.jsonl and the reports")
    return "\n".join(lines)


def _cut(text: str) -> str:
    flat = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + f"... ({len(text)} characters)"
    return flat.replace("\r", "").replace("\n", "\n    ")
