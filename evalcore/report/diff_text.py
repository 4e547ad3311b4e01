"""`evalcore diff` on a terminal: one line per section, model and metric, regressions first; each interval labelled
(95%, method, pairs) with the row's p, its Benjamini-Hochberg q and its minimum detectable effect."""

from __future__ import annotations

from evalcore.domain.compare import Comparison, Difference
from evalcore.domain.paired_tests import MIN_PAIRS
from evalcore.report.plain import one_line

_ORDER = {"regression": 0, "improvement": 1, "no_change": 2, "insufficient": 3}


def diff_text(cmp: Comparison) -> str:
    lines = [
        f"suite {cmp.suite}: {len(cmp.regressions)} regressions, {len(cmp.improvements)} improvements "
        f"({cmp.new_cases} new, {cmp.removed_cases} removed cases)"
    ]
    lines.extend(f"warning: {one_line(w, 200)}" for w in cmp.warnings)
    for d in sorted(cmp.differences, key=lambda d: (_ORDER[d.verdict], d.section, d.model or "", d.metric)):
        who = f"[{one_line(d.model, 40)}] " if d.model else ""
        lines.append(f"  {one_line(d.section, 40)} {who}{one_line(d.metric, 60)}: {_shown(d)}")
    lines.append(
        f"(flags: Benjamini-Hochberg at a 5% false discovery rate over the rows with a p, at least {MIN_PAIRS} pairs "
        "and the minimum effect; MDE: 80% power, two-sided 5%)"
    )
    return "\n".join(lines)


def _shown(d: Difference) -> str:
    if d.diff is None or d.ci_low is None or d.ci_high is None or d.mde is None:
        return f"{d.verdict} ({d.pairs} pairs)"
    verdict = f"no change larger than {d.mde:.3f}" if d.verdict == "no_change" and d.underpowered else d.verdict
    tested = f" p={d.p:.3g} q={d.q:.3g}" if d.p is not None and d.q is not None else ""
    return (
        f"{d.base:.3f} -> {d.head:.3f}  {d.diff:+.3f} [{d.ci_low:+.3f}, {d.ci_high:+.3f}] ({d.interval_label})"
        f"  MDE {d.mde:.3f}{tested}  {verdict}"
    )
