"""One self-contained HTML file: no network (inline CSS and JS under a hash-based Content-Security-Policy), the
results embedded as JSON and drawn in the browser with textContent only. Filters by section, model, status, text.

The JSON sits in `<script type="application/json">` with every `<`, `>` and `&` written as a \\u escape, so no text
can end the element; the page's script and style are allowed by their SHA-256, nothing else may load or run."""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from evalcore.domain.gate import interval_of, value_of
from evalcore.domain.results import (
    AgentOutcome,
    CaseResult,
    GuardrailOutcome,
    ModelSummary,
    RunResult,
    SectionSummary,
    ThresholdCheck,
)
from evalcore.report import figures
from evalcore.report.case_index import CaseIndex, Entry
from evalcore.report.cases import title, tool_call, why
from evalcore.report.gating import gate_rule, section_checks
from evalcore.report.plain import plain

TEXT_LIMIT = 100_000  # characters of one text field; the rest is in results.jsonl
EMBED_LIMIT = 5_000  # cases drawn in the page (a browser stays responsive); the others are in results.jsonl
CHART_METRICS = 4


def report_html(run: RunResult, cases: CaseIndex | Iterable[CaseResult], limit: int = EMBED_LIMIT) -> str:
    assets = resources.files("evalcore.report")
    template = (assets / "report.html").read_text(encoding="utf-8")
    style = (assets / "report.css").read_text(encoding="utf-8")
    script = (assets / "report.js").read_text(encoding="utf-8")
    csp = (
        f"default-src 'none'; style-src '{_sha256(style)}'; script-src '{_sha256(script)}'; "
        "img-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"
    )
    page = template.replace("{{csp}}", csp).replace("{{title}}", html.escape(f"evalcore: {plain(run.run.suite)}"))
    page = page.replace("{{style}}", style).replace("{{script}}", script)
    return page.replace("{{data}}", embedded_json(report_data(run, cases, limit)))


def write_html(path: Path, run: RunResult, cases: CaseIndex | Iterable[CaseResult]) -> Path:
    path.write_text(report_html(run, cases), encoding="utf-8")
    return path


def embedded_json(data: dict[str, Any]) -> str:
    """JSON that cannot end its <script> element nor open a comment in it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


# ---- the data the page draws ----


def report_data(run: RunResult, cases: CaseIndex | Iterable[CaseResult], limit: int = EMBED_LIMIT) -> dict[str, Any]:
    """What the page draws. At most `limit` cases are embedded, whole items at a time (every model's answer to
    it): those with a failed or errored case first, worst first, then the rest in the report's order."""
    index = CaseIndex.of(run, cases)
    embedded = _embedded(index, limit)
    meta = run.run
    verdict = run.verdict
    checks = verdict.checks if verdict else []
    return {
        "run": {
            "suite": plain(meta.suite),
            "run_id": plain(meta.run_id),
            "tool_version": plain(meta.tool_version),
            "git_sha": plain(meta.git_sha) or None,
        },
        "duration": figures.duration(meta.finished_at - meta.started_at) if meta.finished_at else None,
        "total": figures.plural(sum(m.counts.total for s in run.sections for m in s.models), "case"),
        "verdict": None
        if verdict is None
        else {"status": verdict.status, "exit_code": verdict.exit_code, "reasons": [plain(r) for r in verdict.reasons]},
        "checks": [
            {
                "section": plain(c.section),
                "model": plain(c.model) if c.model is not None else None,
                "metric": plain(c.metric),
                "bound": c.bound,
                "threshold": c.threshold,
                "value": c.value,
                "passed": c.passed,
                "on": c.on,
            }
            for c in checks
        ],
        "sections": [_section(s, index, section_checks(run, s.name)) for s in run.sections],
        "models": sorted({plain(m.model) for s in run.sections for m in s.models if m.model is not None}),
        "cases": [_case(c) for c in index.read(embedded)],
        "omitted": len(index) - len(embedded),
    }


def _embedded(index: CaseIndex, limit: int) -> list[Entry]:
    if len(index) <= limit:
        return list(index.entries())
    return index.worst_items(limit)


def _section(section: SectionSummary, index: CaseIndex, checks: list[ThresholdCheck]) -> dict[str, Any]:
    """The section's table: pass and error rates, its metrics and rates, and any other aggregate a threshold names;
    the rule that gated it."""
    names: list[str] = ["pass_rate", "error_rate"]
    for m in section.models:
        names += [k for k in (*m.metrics, *m.rates) if k not in names]
    names += [k for k in dict.fromkeys(c.metric for c in checks) if k not in names]  # once, not per model
    probes: list[GuardrailOutcome] = []
    runs: list[tuple[str, bool]] = []
    if section.kind in ("guardrail", "agent"):  # only their cases carry what the matrix and the test table count
        for c in index.cases(section.name):
            if c.guardrail is not None and c.status != "error":
                probes.append(c.guardrail)
            if c.agent is not None:
                runs.append((c.agent.test, c.status == "pass"))
    return {
        "name": plain(section.name),
        "kind": section.kind,
        "status": section.status,
        "reason": plain(section.reason) or None,
        "gated_by": gate_rule(section, checks),
        "intervals": [
            {"label": label, "of": [plain(n) for n in names]} for label, names in figures.intervals_of(section)
        ],
        "columns": [{"name": plain(n), "label": plain(figures.label(n))} for n in names],
        "models": [_model(m, names) for m in section.models],
        "confusion": _confusion(probes),
        "agent_tests": _agent_tests(runs),
        "charts": _charts(section),
    }


def _model(m: ModelSummary, names: list[str]) -> dict[str, Any]:
    values: dict[str, dict[str, str]] = {}
    for name in names:
        if name in m.metrics:
            agg = m.metrics[name]
            values[plain(name)] = {"shown": figures.score(agg.mean), "ci": figures.interval(agg), "label": agg.label()}
        elif value_of(m, name) is not None:
            interval = interval_of(m, name)
            ci = (
                ""
                if interval is None or interval.ci_low is None or interval.ci_high is None
                else f"[{interval.ci_low:.0%}, {interval.ci_high:.0%}]"
            )
            label = "" if interval is None else interval.label()
            values[plain(name)] = {"shown": figures.aggregate(name, value_of(m, name)), "ci": ci, "label": label}
    cost = None if m.cost_usd is None else m.cost_usd + (m.judge_cost_usd or 0.0)
    return {
        "model": plain(m.model) if m.model is not None else None,
        "counts": {"pass": m.counts.passed, "fail": m.counts.failed, "error": m.counts.error},
        "values": values,
        "p95": figures.millis(m.latency_ms.get("p95")),
        "tokens": f"{figures.count(m.usage.input_tokens)} / {figures.count(m.usage.output_tokens)}",
        "cost": figures.usd(cost),
    }


def _confusion(probes: list[GuardrailOutcome]) -> dict[str, dict[str, int]] | None:
    if not probes:
        return None
    matrix: dict[str, dict[str, int]] = {}
    for p in probes:
        row = matrix.setdefault(p.expected, {})
        row[p.observed] = row.get(p.observed, 0) + 1
    return matrix


def _agent_tests(runs: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """Per agent test (name, passed?): how many runs, how many passed."""
    tests: dict[str, dict[str, Any]] = {}
    for test, passed in runs:
        row = tests.setdefault(test, {"test": plain(test), "runs": 0, "passed": 0})
        row["runs"] += 1
        row["passed"] += passed
    return list(tests.values())


def _charts(section: SectionSummary) -> list[dict[str, Any]]:
    if len(section.models) < 2:
        return []
    metrics = [k for k in section.models[0].metrics if all(k in m.metrics for m in section.models)]
    return [
        {
            "title": plain(f"{metric}: mean by model"),
            "rows": [
                {"label": plain(m.model or figures.NONE), "value": m.metrics[metric].mean or 0.0}
                for m in section.models
            ],
        }
        for metric in metrics[:CHART_METRICS]
    ]


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    text = plain(value)
    if len(text) > TEXT_LIMIT:
        return text[:TEXT_LIMIT] + f"\n… ({len(text) - TEXT_LIMIT:,} more characters in results.jsonl)"
    return text


def _case(c: CaseResult) -> dict[str, Any]:
    texts = [c.prompt, c.reference, c.output, why(c)]
    if c.agent:
        texts += [c.agent.test, c.agent.reasoning] + [t.user for t in c.agent.turns] + [t.agent for t in c.agent.turns]
    tokens = c.usage.input_tokens + c.usage.output_tokens
    return {
        "section": plain(c.section),
        "model": plain(c.model) if c.model is not None else None,
        "item_key": plain(c.item_key),
        "repeat": c.repeat,
        "status": c.status,
        "title": plain(title(c)),
        "why": why(c) if c.status != "pass" else "",
        "source": plain(c.source) or None,
        "prompt": _text(c.prompt),
        "system": _text(c.system),
        "reference": _text(c.reference),
        "output": _text(c.output),
        "latency_ms": c.latency_ms,
        "tokens": f"{figures.count(tokens)} tokens" if tokens else "",
        "metrics": [
            {
                "name": plain(m.name),
                "value": m.value,
                "passed": m.passed,
                "explanation": _text(m.explanation),
                "error": _text(m.error),
            }
            for m in c.metrics
        ],
        "guardrail": _guardrail(c.guardrail) if c.guardrail else None,
        "agent": _agent(c.agent) if c.agent else None,
        "search": " ".join(plain(t) for t in texts if t).lower()[:TEXT_LIMIT],
    }


def _guardrail(g: GuardrailOutcome) -> dict[str, Any]:
    return {
        "expected": g.expected,
        "observed": g.observed,
        "expected_policy": plain(g.expected_policy) or None,
        "mutation": plain(g.mutation) or None,
        "hits": [
            {
                "policy": plain(h.policy),
                "action": plain(h.action),
                "confidence": plain(h.confidence) or None,
                "match": _text(h.match),
            }
            for h in g.hits
        ],
    }


def _agent(agent: AgentOutcome) -> dict[str, Any]:
    return {
        "test": plain(agent.test),
        "reasoning": _text(agent.reasoning),
        "evaluator_model": plain(agent.evaluator_model) or None,
        "turns": [
            {
                "user": _text(t.user),
                "agent": _text(t.agent),
                "tool_calls": [plain(tool_call(call)) for call in t.tool_calls],
                "citations": [plain(x) for x in t.citations],
                "guardrail_action": plain(t.guardrail_action) or None,
                "latency_ms": t.latency_ms,
            }
            for t in agent.turns
        ],
    }
