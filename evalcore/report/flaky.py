"""Flaky and quarantined cases in Markdown, for the step summary and the pull-request comment: an item whose
repeats disagree (some tries passed, some failed) with its pass count and its case ids (what `quarantine:` takes),
and the cases the suite quarantines (run and reported, never gating)."""

from __future__ import annotations

from evalcore.domain.results import RunResult, SectionSummary
from evalcore.report.markdown_escape import code_span, inline

SHOWN = 20  # flaky items listed per section; the rest are counted


def section_lines(section: SectionSummary) -> list[str]:
    """A section's flaky items and quarantined cases, one bullet each (empty when it has none)."""
    lines: list[str] = []
    flaky = [(m.model, f) for m in section.models for f in m.flaky]
    for model, item in flaky[:SHOWN]:
        where = inline(item.source, 120) if item.source else f"item {inline(item.item_key, 40)}"
        who = f" ({inline(model, 60)})" if model else ""
        ids = ", ".join(code_span(i, 40) for i in item.case_ids)
        lines.append(f"- 🎲 flaky{who}: {where} passed {item.passes} of {item.tries} tries; cases {ids}")
    if len(flaky) > SHOWN:
        lines.append(f"- … and {len(flaky) - SHOWN} more flaky items (see results.json)")
    quarantined = [i for m in section.models for i in m.quarantined]
    if quarantined:
        ids = ", ".join(code_span(i, 40) for i in quarantined[:SHOWN])
        more = f" and {len(quarantined) - SHOWN} more" if len(quarantined) > SHOWN else ""
        lines.append(f"- 🧊 quarantined (reported, never gating): {ids}{more}")
    return lines


def run_markdown(run: RunResult) -> str:
    """`#### Flaky cases` with every section's lines, or nothing when no section has any."""
    parts = []
    for section in run.sections:
        lines = section_lines(section)
        if lines:
            parts.append(f"**{inline(section.name, 100)}**\n" + "\n".join(lines))
    if not parts:
        return ""
    return "#### Flaky and quarantined cases\n\n" + "\n\n".join(parts)
