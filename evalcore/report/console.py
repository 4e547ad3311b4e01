"""The run's summary on the console: a compact table (a row per section and model), then the verdict and its reasons.

Names and reasons may come from untrusted files: they are made plain and cannot start a GitHub workflow command
(`::set-output`, `::add-mask`...), wherever they land on a line."""

from __future__ import annotations

from evalcore.domain.results import RunResult, SectionSummary
from evalcore.report import figures
from evalcore.report.gating import gate_rule, section_checks
from evalcore.report.plain import one_line

METRICS_SHOWN = 3
COLORS = {"passed": "\x1b[32m", "failed": "\x1b[31m", "error": "\x1b[33m"}
RESET = "\x1b[0m"


def safe(text: str | None, limit: int = 80) -> str:
    """One plain line that no workflow-command parser will read as a command."""
    return one_line(text, limit).replace("::", ":\u200b:")


def console_summary(run: RunResult, color: bool = False) -> str:
    total = sum(m.counts.total for s in run.sections for m in s.models)
    took = f" in {figures.duration(run.run.finished_at - run.run.started_at)}" if run.run.finished_at else ""
    lines = [
        f"evalcore {safe(run.run.tool_version, 20)} · suite {safe(run.run.suite)} · {figures.plural(total, 'case')}{took}"
    ]
    rerun = run.run.rerun
    if rerun is not None:
        where = "in place: the verdict is over all cases" if rerun.in_place else "only these cases are in this run"
        lines.append(f"rerun of {rerun.describe()} of {safe(rerun.of, 200)}: {where}")
    rows = [["section", "model", "pass", "fail", "error", "pass rate", "scores"]]
    notes = []
    for section in run.sections:
        if section.status == "not_run":
            notes.append(f"  {safe(section.name)}: not run: {safe(section.reason, 200)}")
            continue
        rows.extend(_rows(run, section))
        notes.append(f"  {safe(section.name)} gated by: {gate_rule(section, section_checks(run, section.name))}")
        labelled = "; ".join(
            f"{label}: {', '.join(safe(n, 60) for n in names)}" for label, names in figures.intervals_of(section)
        )
        if labelled:
            notes.append(f"  {safe(section.name)} intervals: {labelled}")
        flaky = sum(len(m.flaky) for m in section.models)
        quarantined = sum(len(m.quarantined) for m in section.models)
        if flaky or quarantined:
            notes.append(
                f"  {safe(section.name)}: {figures.plural(flaky, 'flaky item')} (tries disagree), "
                f"{quarantined} quarantined (not gating); see the summary"
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [c.rjust(w) if 2 <= i <= 4 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=False))]
        lines.append(("  " + "  ".join(cells) + "  " + row[-1]).rstrip())
    lines.extend(notes)
    verdict = run.verdict
    if verdict is not None:
        word = verdict.status.upper()
        if color:
            word = COLORS.get(verdict.status, "") + word + RESET
        lines.append(f"verdict: {word} (exit {verdict.exit_code})")
        lines.extend(f"  - {safe(reason, 300)}" for reason in verdict.reasons)
    return "\n".join(lines)


def _rows(run: RunResult, section: SectionSummary) -> list[list[str]]:
    checks = run.verdict.checks if run.verdict else []
    rows = []
    for m in section.models:
        failed = {c.metric for c in checks if c.section == section.name and c.model == m.model and not c.passed}
        scores = [
            f"{safe(name, 40)} {figures.score(agg.mean)}{' ✗' if name in failed else ''}"
            for name, agg in list(m.metrics.items())[:METRICS_SHOWN]
        ]
        scores += [
            f"{figures.label(k)} {figures.aggregate(k, v)}{' ✗' if k in failed else ''}"
            for k, v in m.rates.items()
            if k.endswith(("_rate", "_hat_k")) and v is not None
        ][:METRICS_SHOWN]
        c = m.counts
        rows.append(
            [
                safe(section.name, 40),
                safe(m.model, 40) or "-",
                str(c.passed),
                str(c.failed),
                str(c.error),
                figures.rate(m.pass_rate) + (" ✗" if "pass_rate" in failed else ""),
                "  ".join(scores),
            ]
        )
    return rows
