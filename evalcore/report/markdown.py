"""The step summary (GitHub-flavoured Markdown): the verdict, per section a table of models and metrics with
threshold marks, a chart comparing models, the guardrail confusion matrix, agent pass rates, tokens, cost and time,
and the worst cases. At most 1 MiB: case details are left out first, with a note pointing to the HTML report.

Every piece of foreign text goes through markdown_escape."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from evalcore.domain.gate import interval_of, value_of
from evalcore.domain.results import CaseResult, ModelSummary, Rerun, RunResult, SectionSummary, ThresholdCheck
from evalcore.report import figures
from evalcore.report.case_index import CaseIndex
from evalcore.report.flaky import section_lines
from evalcore.report.gating import gate_rule, section_checks
from evalcore.report.markdown_cases import worst_cases
from evalcore.report.markdown_escape import cell, inline
from evalcore.report.mermaid import bar_chart

MAX_BYTES = 1024 * 1024  # GitHub rejects a larger step summary
CHART_METRICS = 3
OUTCOMES = ("blocked", "anonymized", "allowed")
SYMBOL = {"min": "≥", "max": "≤"}
HEADLINE = {"passed": "✅", "failed": "❌", "error": "⚠️"}


def summary_markdown(
    run: RunResult,
    cases: CaseIndex | Iterable[CaseResult],
    max_bytes: int = MAX_BYTES,
    full_report: str = "report.html in the results directory",
) -> str:
    index = CaseIndex.of(run, cases)
    core = [_headline(run)]
    for section in run.sections:
        core.append(_section(run, section, index))
    core.append(_usage(run))
    details = worst_cases(run, index)
    return _fit(core, details, max_bytes, full_report)


def write_summary(path: Path, run: RunResult, cases: CaseIndex | Iterable[CaseResult]) -> Path:
    path.write_text(summary_markdown(run, cases), encoding="utf-8")
    return path


# ---- the verdict ----


def _headline(run: RunResult) -> str:
    verdict = run.verdict
    status = verdict.status if verdict else "error"
    exit_code = f" (exit {verdict.exit_code})" if verdict else ""
    lines = [f"## {HEADLINE[status]} evalcore: {inline(run.run.suite, 100)} {status}{exit_code}", ""]
    total = sum(m.counts.total for s in run.sections for m in s.models)
    facts = [figures.plural(total, "case"), figures.plural(len(run.sections), "section")]
    if run.run.finished_at:
        facts.append(figures.duration(run.run.finished_at - run.run.started_at))
    facts.append(f"run {inline(run.run.run_id, 40)}")
    if run.run.git_sha:
        facts.append(f"commit {inline(run.run.git_sha[:12], 12)}")
    facts.append(f"evalcore {inline(run.run.tool_version, 20)}")
    lines.append(" · ".join(facts))
    if run.run.rerun is not None:
        lines += ["", _rerun_note(run.run.rerun)]
    if run.run.max_cost_usd is not None and run.run.cost_not_counted:
        uncounted = inline("; ".join(run.run.cost_not_counted), 600)
        lines += ["", f"💰 Cost budget ${run.run.max_cost_usd:g}: not counted (accepted): {uncounted}"]
    if verdict and verdict.reasons:
        lines.append("")
        lines.extend(f"- {inline(reason, 300)}" for reason in verdict.reasons)
    if verdict is None:
        lines += ["", "- no verdict was recorded for this run"]
    return "\n".join(lines)


def _rerun_note(rerun: Rerun) -> str:
    of = f"`{inline(rerun.of, 200)}` (run {inline(rerun.of_run_id, 40)})"
    if rerun.in_place:
        return (
            f"🔁 Rerun of {rerun.describe()} of this run, in place: the verdict is over all its cases with their "
            "newest outcomes; earlier attempts are kept in results.jsonl."
        )
    return f"🔁 Rerun of {rerun.describe()} of {of}: only these cases are in this run."


# ---- sections ----


def _section(run: RunResult, section: SectionSummary, index: CaseIndex) -> str:
    head = f"### {inline(section.name, 100)} <sub>{section.kind}</sub>"
    if section.status == "not_run":
        return f"{head}\n\n⏭️ did not run: {inline(section.reason, 300)}"
    checks = section_checks(run, section.name)
    parts = [head, f"gated by: {gate_rule(section, checks)}"]
    if section.status == "partial":
        parts.append(f"⚠️ partial: {inline(section.reason, 300)}")
    parts.append(_model_table(section, checks))
    parts.append(_interval_labels(section))
    parts.extend(_short_items(section))
    flaky = section_lines(section)
    if flaky:
        parts.append("**Flaky and quarantined cases**\n\n" + "\n".join(flaky))
    if section.kind == "guardrail":
        parts.append(_confusion(index.cases(section.name)))
    if section.kind == "agent":
        parts.append(_agent_tests(index.cases(section.name)))
    parts.append(_chart(section))
    return "\n\n".join(p for p in parts if p)


def _columns(section: SectionSummary, checks: list[ThresholdCheck]) -> list[str]:
    columns = ["pass_rate", "error_rate"]
    for m in section.models:
        columns += [k for k in m.metrics if k not in columns]
        columns += [k for k, v in m.rates.items() if v is not None and k not in columns]
    columns += [k for k in dict.fromkeys(c.metric for c in checks) if k not in columns]  # once, not per model
    return columns


def _model_table(section: SectionSummary, checks: list[ThresholdCheck]) -> str:
    if not section.models:
        return "_no results_"
    columns = _columns(section, checks)
    header = ["model", "cases", *(cell(figures.label(c), 60) for c in columns)]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for m in section.models:
        marks = [c for c in checks if c.model == m.model]
        cells = [cell(m.model or figures.NONE, 60), _counts(m)]
        cells += [_value_cell(m, col, [c for c in marks if c.metric == col]) for col in columns]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _counts(m: ModelSummary) -> str:
    c = m.counts
    parts = [f"{c.passed} ✓", f"{c.failed} ✗"]
    if c.error:
        parts.append(f"{c.error} ⚠")
    if c.skipped:
        parts.append(f"{c.skipped} skipped")
    return " ".join(parts)


def _value_cell(m: ModelSummary, column: str, checks: list[ThresholdCheck]) -> str:
    """The aggregate, its 95% interval where it has one, and its threshold marks (`on ci_low` when a bound is
    checked against an end of the interval)."""
    value = value_of(m, column)
    agg = interval_of(m, column)
    if column in m.metrics:
        shown = f"{figures.score(m.metrics[column].mean)} {figures.interval(m.metrics[column])}".strip()
    else:
        shown = figures.aggregate(column, value)
        if agg is not None and agg.ci_low is not None and agg.ci_high is not None:
            shown += f" [{agg.ci_low:.0%}, {agg.ci_high:.0%}]"
    marks = " ".join(
        f"{'✅' if c.passed else '❌'} {SYMBOL[c.bound]} {c.threshold:g}{'' if c.on == 'value' else f' on {c.on}'}"
        for c in checks
    )
    return f"{shown} {marks}".strip()


def _interval_labels(section: SectionSummary) -> str:
    """One line naming every interval of the table: its level, method and number of items (and groups)."""
    labelled = figures.intervals_of(section)
    if not labelled:
        return ""
    parts = [f"{label}: {', '.join(cell(n, 80) for n in names)}" for label, names in labelled]
    return f"<sub>{figures.INTERVALS_NOTE}: " + "; ".join(parts) + "</sub>"


def _short_items(section: SectionSummary) -> list[str]:
    """A line per model whose pass@k and pass^k left out items with fewer tries than k (a repeat without a
    result)."""
    lines = []
    for m in section.models:
        if m.short_items:
            who = f" ({cell(m.model, 60)})" if m.model else ""
            k = round(m.rates.get("k") or 0)
            shown = ", ".join(inline(i, 60) for i in m.short_items[:10])
            more = f" and {len(m.short_items) - 10} more" if len(m.short_items) > 10 else ""
            lines.append(
                f"⚠️{who} pass@k and pass^k leave out {figures.plural(len(m.short_items), 'item')} with fewer than "
                f"{k} tries: {shown}{more}"
            )
    return lines


def _confusion(cases: Iterator[CaseResult]) -> str:
    """Expected (rows) against what the guardrail did (columns)."""
    probes = [c.guardrail for c in cases if c.guardrail is not None and c.status != "error"]
    if not probes:
        return ""
    tally: Counter[tuple[str, str]] = Counter((p.expected, p.observed) for p in probes)
    rows = ["| expected \\ observed | " + " | ".join(OUTCOMES) + " |", "|---|" + "---:|" * len(OUTCOMES)]
    for expected in OUTCOMES:
        if not any(tally[(expected, o)] for o in OUTCOMES):
            continue
        counts = [f"**{tally[(expected, o)]}**" if o == expected else str(tally[(expected, o)]) for o in OUTCOMES]
        rows.append(f"| {expected} | " + " | ".join(counts) + " |")
    return "\n".join(rows)


def _agent_tests(cases: Iterator[CaseResult]) -> str:
    runs: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        runs[case.agent.test if case.agent else case.item_key].append(case.status)
    if not runs:
        return ""
    rows = ["| test | runs | passed | pass rate | every run passed |", "|---|---:|---:|---:|:---:|"]
    for test, statuses in runs.items():
        passed = statuses.count("pass")
        rate = figures.rate(passed / len(statuses))
        rows.append(
            f"| {cell(test, 80)} | {len(statuses)} | {passed} | {rate} | {'✅' if passed == len(statuses) else '❌'} |"
        )
    return "\n".join(rows)


def _chart(section: SectionSummary) -> str:
    """One bar chart per section comparing the models: a bar per metric (the first few) and model, grouped by
    metric; the pass rate where the section has no metric. Only where there are models to compare."""
    if len(section.models) < 2:
        return ""
    metrics = [k for k in section.models[0].metrics if all(k in m.metrics for m in section.models)]
    labels: list[str] = []
    values: list[float] = []
    for metric in metrics[:CHART_METRICS]:
        short = metric.removeprefix("Builtin.")
        for m in section.models:
            labels.append(f"{short} {m.model or figures.NONE}")
            values.append(m.metrics[metric].mean or 0.0)
    if not metrics:
        labels = [m.model or figures.NONE for m in section.models]
        values = [m.pass_rate or 0.0 for m in section.models]
        return bar_chart(f"{section.name}: pass rate by model", labels, values, "pass rate")
    return bar_chart(f"{section.name}: mean score by metric and model", labels, values, "mean")


# ---- tokens, cost, time ----


def _usage(run: RunResult) -> str:
    rows = [
        "### Tokens, cost and time",
        "",
        "| section | model | input tokens | output tokens | judge tokens | cost (with judge) | latency p50 | latency p95 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    total_in = total_out = total_judge = 0
    total_cost: float | None = None
    for section in run.sections:
        for m in section.models:
            judge = m.judge_usage.input_tokens + m.judge_usage.output_tokens
            cost = None if m.cost_usd is None else m.cost_usd + (m.judge_cost_usd or 0.0)
            rows.append(
                f"| {cell(section.name, 60)} | {cell(m.model or figures.NONE, 60)} | {figures.count(m.usage.input_tokens)} "
                f"| {figures.count(m.usage.output_tokens)} | {figures.count(judge)} | {figures.usd(cost)} "
                f"| {figures.millis(m.latency_ms.get('p50'))} | {figures.millis(m.latency_ms.get('p95'))} |"
            )
            total_in += m.usage.input_tokens
            total_out += m.usage.output_tokens
            total_judge += judge
            if cost is not None:
                total_cost = (total_cost or 0.0) + cost
    rows.append(
        f"| **total** | | {figures.count(total_in)} | {figures.count(total_out)} | {figures.count(total_judge)} "
        f"| {figures.usd(total_cost)} | | |"
    )
    return "\n".join(rows)


# ---- the 1 MiB limit ----


def _fit(core: list[str], details: list[str], max_bytes: int, full_report: str) -> str:
    """Everything if it fits; else whole blocks in order (the verdict and sections first, case details last) while
    they fit, then a note saying what was left out and where the full report is."""
    blocks = [*core, *(["### Worst cases", *details] if details else [])]
    whole = "\n\n".join(blocks) + "\n"
    if len(whole.encode("utf-8")) <= max_bytes:
        return whole
    budget = max_bytes - 600  # room for the note
    kept: list[str] = []
    size = 0
    for block in blocks:
        size += len(block.encode("utf-8")) + 2
        if size > budget:
            break
        kept.append(block)
    kept_details = max(0, len(kept) - len(core) - 1)
    if len(kept) < len(core):
        what = f"{len(core) - len(kept)} of {len(core)} parts of the summary and every case detail"
    else:
        what = f"{len(details) - kept_details} of {len(details)} case details"
    note = (
        f"> [!NOTE]\n> This summary was cut to fit GitHub's 1 MiB limit: {what} left out. "
        f"The full report is {inline(full_report, 200)}."
    )
    return "\n\n".join([*kept, note]) + "\n"
