"""The sticky pull-request comment: the verdict, then per section the score differences against the base branch
(arrows, 95% intervals labelled with their method and number of pairs, the minimum detectable effect, marks for
regressions and improvements at a 5% false discovery rate), a chart, the cases that changed most, and links.

Found again by its hidden marker `<!-- evalcore:<suite> -->`; always within GitHub's 65,536 characters. Every piece
of foreign text goes through `markdown_escape`, so no model answer can close the marker, mention people or inject
HTML.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from evalcore.domain.compare import Comparison, Difference
from evalcore.domain.paired_tests import MIN_PAIRS
from evalcore.domain.results import RunResult
from evalcore.report.markdown_escape import cell, code_span, inline

_VERDICT = {"passed": "✅ passed", "failed": "❌ failed", "error": "⚠️ error", "skipped": "⏭️ skipped"}
_MARK = {
    "regression": "🔴 regression",
    "improvement": "🟢 improvement",
    "no_change": "",
    "insufficient": f"too few pairs (< {MIN_PAIRS})",
}
# GitHub's limit on a comment's body. The REST docs list only "422 Validation failed" for
# https://docs.github.com/en/rest/issues/comments#create-an-issue-comment; the number is in that 422's message,
# "Body is too long (maximum is 65536 characters)" (quoted e.g. in renovatebot/renovate#2032). The renderer owns it
# (the comment it draws must fit), so the GitHub client stays a transport that knows nothing of the report.
MAX_COMMENT = 65_536
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.:-]")
_NONE = "\u2013"  # an en dash for "no value"


def marker(suite: str) -> str:
    return f"<!-- evalcore:{_SAFE_NAME.sub('_', suite)} -->"


def suites_marker(key: str) -> str:
    """The marker of a many-suite step's comment: `key` is the step's `suite` input as written, so the comment is
    found again when a glob matches one more suite or `changed-only` skips some."""
    return f"<!-- evalcore:suites-{hashlib.sha256(key.encode()).hexdigest()[:12]} -->"


@dataclass
class SuiteSection:
    """One suite of a many-suite comment: its file, its status, its own comment (render_comment) if it ran."""

    suite_file: str
    status: str  # passed, failed, error or skipped
    body: str | None = None
    reason: str | None = None


def render_suites_comment(key: str, sections: list[SuiteSection], limit: int = MAX_COMMENT) -> str:
    """One comment for several suites: the worst verdict, a row per suite (skipped ones with the reason), then each
    suite's own comment under its file name, without its marker (the comment has one, `suites_marker(key)`)."""
    order = ["passed", "skipped", "failed", "error"]
    ran = [s.status for s in sections if s.status != "skipped"]
    worst = max(ran, key=order.index) if ran else "skipped"
    head = [suites_marker(key), f"## evalcore: {len(sections)} suites, {_VERDICT.get(worst, worst)}"]
    rows = ["| Suite | Verdict | Note |", "|---|---|---|"]
    for section in sections:
        note = cell(section.reason, 300) if section.reason else ""
        rows.append(
            f"| {code_span(section.suite_file, 200, in_table=True)} | {_VERDICT.get(section.status, section.status)} | {note} |"
        )
    head.append("\n".join(rows))
    body = []
    for section in sections:
        if section.body is not None:
            own = section.body.split("\n", 1)[1] if section.body.startswith("<!-- evalcore:") else section.body
            body.append(f"### {code_span(section.suite_file, 200)}\n\n{own.lstrip()}")
    return _fit(head, body, [], limit)


@dataclass
class Links:
    run_url: str | None = None  # the workflow run
    report_hint: str | None = None  # e.g. "the `evalcore-report` artifact holds report.html"


def render_comment(
    run: RunResult,
    comparison: Comparison | None,
    links: Links | None = None,
    limit: int = MAX_COMMENT,
    trend: str | None = None,  # the base branch's trend rows (report.trend_comment), Markdown already escaped
) -> str:
    links = links or Links()
    head = [marker(run.run.suite), _headline(run, comparison)]
    if run.verdict and run.verdict.reasons:
        head.append("\n".join(f"- {inline(r, 300)}" for r in run.verdict.reasons[:10]))
    if comparison is None:
        head.append(
            "No baseline yet: nothing to compare with. Once this suite has run on the base branch, "
            "this comment shows the differences."
        )
    else:
        head.extend(f"> ⚠️ {inline(w, 300)}" for w in comparison.warnings)
    tail = [_footer(run, comparison, links)]
    body_parts: list[str] = []
    if comparison is not None:
        body_parts.extend(_section_tables(comparison))
        chart = _chart(comparison)
        if chart:
            body_parts.append(chart)
        changes = _changes(comparison)
        if changes:
            body_parts.append(changes)
    if trend:
        body_parts.append(trend)
    return _fit(head, body_parts, tail, limit)


def _headline(run: RunResult, comparison: Comparison | None) -> str:
    verdict = _VERDICT.get(run.verdict.status if run.verdict else "", "no verdict")
    line = f"### evalcore · {inline(run.run.suite, 80)}: {verdict}"
    if comparison is not None:
        base = f" vs `{comparison.base_sha[:7]}`" if comparison.base_sha else " vs the baseline"
        r, i = len(comparison.regressions), len(comparison.improvements)
        line += f"\n\n**{r} regression{'s' if r != 1 else ''}, {i} improvement{'s' if i != 1 else ''}**{base}"
        if not r and not i:
            line += " (no significant change at a 5% false discovery rate)"
    return line


def _fmt(value: float | None) -> str:
    return _NONE if value is None else f"{value:.3f}"


def _row(d: Difference) -> str:
    delta = _NONE if d.diff is None else f"{d.arrow} {d.diff:+.3f}"
    ci = _NONE if d.ci_low is None or d.ci_high is None else f"[{d.ci_low:+.3f}, {d.ci_high:+.3f}]"
    if d.method:
        ci += f" {d.interval_label}"
    model = cell(d.model or _NONE, 60)
    return (
        f"| {model} | {cell(d.metric, 60)} | {_fmt(d.base)} | {_fmt(d.head)} | {delta} | {ci} | {d.pairs} | "
        f"{_fmt(d.mde)} | {_mark(d)} |"
    )


def _mark(d: Difference) -> str:
    """A flag; for an unflagged row whose test could not see a change of the size that counts, what it could."""
    if d.verdict == "no_change" and d.underpowered:
        return f"no change larger than {d.mde:.3f}"
    return _MARK[d.verdict]


def _method_note(comparison: Comparison) -> str:
    tested = sum(1 for d in comparison.differences if d.q is not None)
    return (
        "<sub>Δ: mean paired difference over the items both runs have (repeats averaged per item). Intervals: 95%, "
        "exact McNemar with Newcombe's interval for 0/1 metrics, paired t for graded ones, cluster t on G-1 df where "
        f"the section names `cluster_by`. Flags: Benjamini-Hochberg at a 5% false discovery rate over {tested} rows "
        "(a section's `primary_metrics` first), at least the minimum effect and "
        f"{MIN_PAIRS} pairs. MDE: the smallest change found with 80% power (two-sided 5%).</sub>"
    )


def _shown(d: Difference) -> bool:
    """Every metric; outcome rates only when they moved (an unchanged 0% error rate is noise in a review)."""
    if d.metric in ("pass_rate", "error_rate", "block_rate", "false_positive_rate"):
        return d.diff is not None and abs(d.diff) > 1e-12
    return True


def _section_tables(comparison: Comparison) -> list[str]:
    order = {"regression": 0, "improvement": 1, "no_change": 2, "insufficient": 3}
    sections: dict[str, list[Difference]] = {}
    for d in comparison.differences:
        if _shown(d):
            sections.setdefault(d.section, []).append(d)
    parts = []
    for name, diffs in sections.items():
        diffs.sort(key=lambda d: (order[d.verdict], d.model or "", d.metric))
        rows = "\n".join(_row(d) for d in diffs)
        parts.append(
            f"#### {inline(name, 80)}\n\n| model | metric | base | head | Δ | 95% CI (method, pairs) | pairs | MDE | |\n"
            f"|---|---|---:|---:|---:|---|---:|---:|---|\n{rows}"
        )
    if parts:
        parts.append(_method_note(comparison))
    return parts


def _chart(comparison: Comparison) -> str | None:
    diffs = [d for d in comparison.differences if d.diff is not None and d.verdict != "insufficient" and _shown(d)]
    diffs = [d for d in diffs if d.metric not in ("pass_rate", "error_rate")][:12]
    if len(diffs) < 2:
        return None
    names = (f"{d.model or d.section}:{d.metric.removeprefix('Builtin.')}" for d in diffs)
    labels = ", ".join(f'"{_SAFE_NAME.sub("_", name)}"' for name in names)
    values = ", ".join(f"{d.diff:.4f}" for d in diffs)
    low = min(0.0, *(d.diff or 0.0 for d in diffs))
    high = max(0.0, *(d.diff or 0.0 for d in diffs))
    return (
        "<details><summary>Chart of the differences</summary>\n\n```mermaid\nxychart-beta\n"
        f'    title "head - base"\n    x-axis [{labels}]\n    y-axis "difference" {low - 0.01:.3f} --> {high + 0.01:.3f}\n'
        f"    bar [{values}]\n```\n\n</details>"
    )


def _changes(comparison: Comparison) -> str | None:
    if not comparison.changes:
        return None
    rows = []
    for c in comparison.changes:
        rows.append(
            f"| {cell(c.section, 40)} | {cell(c.model or _NONE, 40)} | {cell(c.metric, 40)} | "
            f"{c.base:.2f} → {c.head:.2f} | {code_span(c.prompt, 120, in_table=True)} | {cell(c.output_head, 200)} |"
        )
    return (
        "<details><summary>Cases that changed most</summary>\n\n| section | model | metric | base → head | prompt | answer now |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n</details>"
    )


def _footer(run: RunResult, comparison: Comparison | None, links: Links) -> str:
    bits = []
    if comparison is not None:
        if comparison.new_cases or comparison.removed_cases:
            bits.append(f"{comparison.new_cases} new and {comparison.removed_cases} removed cases")
        b, h = comparison.base_totals, comparison.head_totals
        bits.append(f"tokens {b.tokens:,} → {h.tokens:,}")
        if b.cost_usd is not None or h.cost_usd is not None:
            bits.append(f"cost ${b.cost_usd or 0:.4f} → ${h.cost_usd or 0:.4f}")
        if b.latency_p95_ms is not None and h.latency_p95_ms is not None:
            bits.append(f"p95 latency {b.latency_p95_ms:.0f} → {h.latency_p95_ms:.0f} ms")
    if links.run_url:
        bits.append(f"[workflow run]({links.run_url})")
    if links.report_hint:
        bits.append(inline(links.report_hint, 200))
    bits.append(f"evalcore {run.run.tool_version}")
    return "<sub>" + " · ".join(bits) + "</sub>"


def _fit(head: list[str], body: list[str], tail: list[str], limit: int) -> str:
    """Join the parts; when too long, drop body parts from the end and say so."""
    note = "\n\n_(cut to fit GitHub's comment limit: the step summary and the HTML report have everything)_"
    while True:
        text = "\n\n".join([*head, *body, *tail])
        if len(text) <= limit:
            return text
        if not body:
            return text[: limit - len(note)] + note
        body = body[:-1]
        if not any(note.strip() in p for p in tail):
            tail = [note.strip(), *tail]
