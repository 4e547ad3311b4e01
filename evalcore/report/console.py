"""The run's summary on the console: a line per section and model, then the verdict and its reasons."""

from __future__ import annotations

from evalcore.results import RunResult


def console_summary(run: RunResult, color: bool = False) -> str:
    lines = [f"evalcore {run.run.tool_version}: suite {run.run.suite}"]
    for section in run.sections:
        if section.status == "not_run":
            lines.append(f"  {section.name}: not run: {section.reason}")
            continue
        for m in section.models:
            c = m.counts
            rate = "-" if m.pass_rate is None else f"{m.pass_rate:.0%}"
            scores = "  ".join(f"{k} {v.mean:.3f}" for k, v in m.metrics.items() if v.mean is not None)
            who = f" [{m.model}]" if m.model else ""
            lines.append(
                f"  {section.name}{who}: {c.passed} passed, {c.failed} failed, {c.error} errors ({rate})  {scores}".rstrip()
            )
    verdict = run.verdict
    if verdict is not None:
        word = verdict.status.upper()
        if color:
            word = {"PASSED": "\x1b[32m", "FAILED": "\x1b[31m"}.get(word, "\x1b[33m") + word + "\x1b[0m"
        lines.append(f"verdict: {word} (exit {verdict.exit_code})")
        lines.extend(f"  - {reason}" for reason in verdict.reasons)
    return "\n".join(lines)
