"""`evalcore diff` on a terminal: one line per section, model and metric, regressions first."""

from __future__ import annotations

from evalcore.compare import Comparison
from evalcore.report.plain import one_line

_ORDER = {"regression": 0, "improvement": 1, "no_change": 2, "insufficient": 3}


def diff_text(cmp: Comparison) -> str:
    lines = [
        f"suite {cmp.suite}: {len(cmp.regressions)} regressions, {len(cmp.improvements)} improvements "
        f"({cmp.new_cases} new, {cmp.removed_cases} removed cases)"
    ]
    lines.extend(f"warning: {one_line(w, 200)}" for w in cmp.warnings)
    for d in sorted(cmp.differences, key=lambda d: (_ORDER[d.verdict], d.section, d.model or "", d.metric)):
        if d.diff is None:
            shown = f"{d.verdict} ({d.pairs} pairs)"
        else:
            shown = f"{d.base:.3f} -> {d.head:.3f}  {d.diff:+.3f} [{d.ci_low:+.3f}, {d.ci_high:+.3f}]  {d.verdict}"
        who = f"[{one_line(d.model, 40)}] " if d.model else ""
        lines.append(f"  {one_line(d.section, 40)} {who}{one_line(d.metric, 60)}: {shown}")
    return "\n".join(lines)
