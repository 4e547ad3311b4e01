"""The PR comparison's statistics, measured: seeded simulations that build two runs' results and call evalcore's own
`compare.compare` on them (the verdict, p-value and minimum detectable effect it gives each row). Prints the figures
and writes bench/out/compare_stats.json. Not a test; no emulator (pure CPU, about a minute).

    .venv/bin/python bench/compare_stats.py              # the default repetitions
    .venv/bin/python bench/compare_stats.py --scale 0.25 # a quick look (a quarter of the repetitions)

Simulated items have heterogeneous true values, as real datasets do: a 0/1 metric item succeeds with its own
probability p ~ U(0, 1); a graded judge item has its own latent quality mu ~ U(0.2, 0.9) and the judge gives one of
5 levels, round((mu + N(0, 0.15)) x 4) / 4 clipped to [0, 1]. A change of +d is exact in expectation over the
items: 0/1 items gain d (1 - p) / (1 - mean p) (the items that fail most gain most); graded items' latent quality is
shifted so that the expected judge score rises by d on average (the levels' probabilities from the normal CDF).

"Flagged" is compare's verdict (regression or improvement: at least 10 pairs, a Benjamini-Hochberg discovery over
every row of the comparison, a difference of at least `min_effect` 0.02); "p < .05" is the row's test alone.
Every comparison also holds the pass_rate and error_rate rows compare always adds (constant here, p = 1): they are
part of the Benjamini-Hochberg family, as in a real comment.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalcore.domain.compare import Difference, compare
from evalcore.domain.results import CaseResult, MetricScore, ModelSummary, RunMeta, RunResult, SectionSummary

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "compare_stats.json"
JUDGE_SD = 0.15
LEVELS = 4  # 5 judge levels: 0, .25, .5, .75, 1
EFFECT = 0.05

Values = list[list[float]]  # per item, per repeat
Sampler = Callable[[random.Random, list[float], int], Values]  # (rng, per-item truth, repeats) -> values


# ---- the two kinds of items ----------------------------------------------------------------------------------


def binary_truths(rng: random.Random, n: int) -> list[float]:
    return [rng.random() for _ in range(n)]


def binary_sample(rng: random.Random, truths: list[float], repeats: int) -> Values:
    return [[float(rng.random() < p) for _ in range(repeats)] for p in truths]


def binary_shifted(truths: list[float], effect: float) -> list[float]:
    """Each item's success probability after a change whose mean effect over these items is exactly `effect`."""
    room = 1 - statistics.fmean(truths)
    return [p + effect * (1 - p) / room for p in truths]


def graded_truths(rng: random.Random, n: int) -> list[float]:
    return [rng.uniform(0.2, 0.9) for _ in range(n)]


def graded_sample(rng: random.Random, truths: list[float], repeats: int) -> Values:
    return [[_level(mu + rng.gauss(0, JUDGE_SD)) for _ in range(repeats)] for mu in truths]


def _level(latent: float) -> float:
    return min(1.0, max(0.0, round(latent * LEVELS) / LEVELS))


def expected_grade(mu: float) -> float:
    """E[judge level] for latent quality mu: each level's probability from the normal CDF of the judge's noise."""

    def below(x: float) -> float:  # P(mu + noise < x)
        return 0.5 * (1 + math.erf((x - mu) / (JUDGE_SD * math.sqrt(2))))

    return sum(k / LEVELS * (below((k + 0.5) / LEVELS) - below((k - 0.5) / LEVELS)) for k in range(1, LEVELS)) + (
        1 - below((LEVELS - 0.5) / LEVELS)
    )


def graded_shifted(truths: list[float], effect: float) -> list[float]:
    """Latent qualities shifted so that the expected judge score over these items rises by exactly `effect`
    (secant steps on the shift: the expected score is smooth in it)."""
    before = statistics.fmean(expected_grade(mu) for mu in truths)

    def gap(shift: float) -> float:
        return statistics.fmean(expected_grade(mu + shift) for mu in truths) - before - effect

    s0, s1 = 0.0, effect
    g0, g1 = -effect, gap(effect)
    for _ in range(8):
        if abs(g1) < 1e-9 or g1 == g0:
            break
        s0, s1 = s1, s1 - g1 * (s1 - s0) / (g1 - g0)
        g0, g1 = g1, gap(s1)
    return [mu + s1 for mu in truths]


KINDS: dict[str, tuple[str, Callable[[random.Random, int], list[float]], Sampler, Callable[..., list[float]]]] = {
    "binary": ("exact_match", binary_truths, binary_sample, binary_shifted),
    "graded": ("judge", graded_truths, graded_sample, graded_shifted),
}


# ---- results, built as tests/test_compare.py builds them -------------------------------------------------------


def run_result(sections: list[str], models: list[str], cluster_by: str | None = None) -> RunResult:
    return RunResult(
        run=RunMeta(suite="bench", run_id="r", tool_version="0", started_at=0.0, suite_hash="h"),
        sections=[
            SectionSummary(
                name=s,
                kind="evaluation",
                models=[ModelSummary(model=m, model_id=m) for m in models],
                cluster_by=cluster_by,
            )
            for s in sections
        ],
    )


def cases(
    values: dict[str, Values], section: str = "qa", model: str = "m", categories: list[str] | None = None
) -> list[CaseResult]:
    """One case per item and repeat, each with every metric's value."""
    items = len(next(iter(values.values())))
    repeats = len(next(iter(values.values()))[0])
    return [
        CaseResult(
            case_id=f"{section}/{model}/{i}/{r}",
            section=section,
            kind="evaluation",
            model=model,
            repeat=r,
            item_key=f"item{i}",
            status="pass",
            category=categories[i] if categories else None,
            metrics=[MetricScore(name=name, value=v[i][r]) for name, v in values.items()],
        )
        for i in range(items)
        for r in range(repeats)
    ]


def row(differences: list[Difference], metric: str) -> Difference:
    return next(d for d in differences if d.metric == metric)


def flagged(d: Difference) -> bool:
    return d.verdict in ("regression", "improvement")


# ---- the simulations -----------------------------------------------------------------------------------------


def one_row(kind: str, items: int, seed: int, effect: float = 0.0, repeats: int = 1) -> Difference:
    """Two runs of one section, one model, one metric; the head's items changed by `effect` on average."""
    metric, truths_of, sample, shifted = KINDS[kind]
    rng = random.Random(seed)
    truths = truths_of(rng, items)
    head_truths = shifted(truths, effect) if effect else truths
    base = cases({metric: sample(rng, truths, repeats)})
    head = cases({metric: sample(rng, head_truths, repeats)})
    return row(compare(run_result(["qa"], ["m"]), base, run_result(["qa"], ["m"]), head).differences, metric)


def false_alarms_per_row(reps: int) -> list[dict[str, Any]]:
    out = []
    for kind in KINDS:
        for items in (20, 50, 200):
            rows = [one_row(kind, items, seed) for seed in range(reps)]
            out.append(
                {
                    "kind": kind,
                    "items": items,
                    "runs": reps,
                    "flagged": _share(flagged(d) for d in rows),
                    "p_below_05": _share((d.p or 1.0) < 0.05 for d in rows),
                    "method": rows[0].method,
                }
            )
            _print(
                f"  unchanged, {kind} {items} items: flagged {out[-1]['flagged']:.1%}, p < .05 {out[-1]['p_below_05']:.1%}"
            )
    return out


def comment(seed: int, items: int = 50) -> tuple[int, int]:
    """An unchanged system's comment over 3 sections x 2 models x 5 metrics (2 binary, 3 graded judges): (rows
    flagged by compare, rows an uncorrected comment would flag: p < .05 and a difference of at least min_effect)."""
    rng = random.Random(seed)
    sections, models = ["a", "b", "c"], ["x", "y"]
    sides: list[list[CaseResult]] = [[], []]
    for s in sections:
        for m in models:
            p, mu = binary_truths(rng, items), graded_truths(rng, items)
            for side in sides:
                values = {"exact_match": binary_sample(rng, p, 1), "contains": binary_sample(rng, p, 1)}
                values |= {f"judge{j}": graded_sample(rng, mu, 1) for j in range(3)}
                side.extend(cases(values, s, m))
    cmp = compare(run_result(sections, models), sides[0], run_result(sections, models), sides[1])
    uncorrected = sum(
        1
        for d in cmp.differences
        if d.verdict != "insufficient" and (d.p or 1.0) < 0.05 and abs(d.diff or 0.0) >= d.min_effect
    )
    return len(cmp.regressions) + len(cmp.improvements), uncorrected


def false_alarms_per_comment(reps: int) -> dict[str, Any]:
    results = [comment(seed) for seed in range(reps)]
    figures = {
        "comments": reps,
        "rows_per_comment": 30,
        "items": 50,
        "mean_false_flags": statistics.fmean(f for f, _ in results),
        "share_flagging_anything": _share(f > 0 for f, _ in results),
        "uncorrected_mean_false_flags": statistics.fmean(u for _, u in results),
        "uncorrected_share_flagging_anything": _share(u > 0 for _, u in results),
        "issue_before_change": {"mean_false_flags": 1.77, "share_flagging_anything": 0.76},
    }
    _print(
        f"  comment of 30 rows, unchanged system: {figures['mean_false_flags']:.3f} false flags on average, "
        f"{figures['share_flagging_anything']:.1%} of comments flag anything (uncorrected p < .05: "
        f"{figures['uncorrected_mean_false_flags']:.2f}, {figures['uncorrected_share_flagging_anything']:.0%})"
    )
    return figures


def category_effect(seed: int, cluster_by: str | None) -> Difference:
    """100 items in 10 categories (as tests/test_compare.py builds them); the change moves each category by its own
    amount, N(0, 0.1): zero on average over categories, so the dataset's 10 are a sample of them."""
    rng = random.Random(seed)
    categories = [f"cat{i // 10}" for i in range(100)]
    shifts = [rng.gauss(0, 0.1) for _ in range(10)]
    truth = [rng.uniform(0.3, 0.7) for _ in range(100)]
    base = [[t + rng.gauss(0, 0.05)] for t in truth]
    head = [[t + shifts[i // 10] + rng.gauss(0, 0.05)] for i, t in enumerate(truth)]
    run = run_result(["qa"], ["m"], cluster_by)
    cmp = compare(
        run, cases({"token_f1": base}, categories=categories), run, cases({"token_f1": head}, categories=categories)
    )
    return row(cmp.differences, "token_f1")


def category_false_alarms(reps: int) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "runs": reps,
        "items": 100,
        "categories": 10,
        "issue_before_change": "12-21% (clustered: 4%)",
    }
    for name, cluster_by in (("unclustered", None), ("cluster_by_category", "category")):
        rows = [category_effect(seed, cluster_by) for seed in range(reps)]
        figures[name] = {"flagged": _share(flagged(d) for d in rows), "method": rows[0].method}
        _print(
            f"  effect by category averaging zero, {name}: flagged {figures[name]['flagged']:.1%} ({rows[0].method})"
        )
    return figures


def power_at_effect(
    kind: str, items: int, effect: float, reps: int, repeats: int = 1, seed0: int = 0
) -> dict[str, Any]:
    rows = [one_row(kind, items, seed0 + seed, effect, repeats) for seed in range(reps)]
    return {
        "kind": kind,
        "items": items,
        "repeats": repeats,
        "effect": round(effect, 4),
        "runs": reps,
        "power": _share(d.verdict == "improvement" for d in rows),
        "power_p_below_05": _share((d.p or 1.0) < 0.05 and (d.diff or 0.0) > 0 for d in rows),
        "mean_reported_mde": statistics.fmean(d.mde or math.nan for d in rows),
        "method": rows[0].method,
    }


def power_table(reps: int) -> list[dict[str, Any]]:
    out = []
    for kind in KINDS:
        for items in (50, 200, 1000):
            for repeats in (1, 5):
                n = reps if items * repeats <= 1000 else max(20, reps // 3)
                out.append(power_at_effect(kind, items, EFFECT, n, repeats, seed0=10_000))
                r = out[-1]
                _print(
                    f"  +{EFFECT} {kind} {items} items x {repeats} fresh repeat(s): power {r['power']:.0%} "
                    f"(p < .05 alone {r['power_p_below_05']:.0%}), reported MDE {r['mean_reported_mde']:.3f}"
                )
    return out


def mde_check(reps: int) -> list[dict[str, Any]]:
    """The MDE compare reports on an unchanged system's comparison, and the power simulated at that effect."""
    out = []
    for kind in KINDS:
        for items in (50, 200, 1000):
            n = reps if items <= 200 else max(20, reps // 2)
            mde = statistics.fmean(one_row(kind, items, 20_000 + seed).mde or math.nan for seed in range(n))
            r = power_at_effect(kind, items, mde, n, seed0=30_000)
            out.append({"kind": kind, "items": items, "mde": round(mde, 4), "runs": n, "power_at_mde": r["power"],
                        "power_at_mde_p_below_05": r["power_p_below_05"]})  # fmt: skip
            _print(
                f"  MDE {kind} {items} items: {mde:.3f}; simulated power at it {r['power']:.0%} "
                f"(p < .05 alone {r['power_p_below_05']:.0%})"
            )
    return out


def _share(flags: Any) -> float:
    values = list(flags)
    return round(sum(values) / len(values), 4)


def _print(line: str) -> None:
    print(line, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every number of repetitions")
    args = parser.parse_args()

    def reps(n: int) -> int:
        return max(10, round(n * args.scale))

    started = time.perf_counter()
    figures: dict[str, Any] = {"load_average_at_start": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    parts: list[tuple[str, str, Callable[[int], Any], int]] = [
        ("false_alarms_per_row", "false alarms per row, unchanged system:", false_alarms_per_row, 500),
        ("false_alarms_per_comment", "false alarms per comment:", false_alarms_per_comment, 300),
        ("category_effect", "an effect by category that averages zero:", category_false_alarms, 200),
        ("power_at_0_05", f"power at +{EFFECT}:", power_table, 120),
        ("mde_check", "minimum detectable effect at 80% power (as compare reports it), power simulated at it:",
         mde_check, 150),
    ]  # fmt: skip
    figures["seconds"] = {}
    for key, title, measure, n in parts:
        _print(title)
        part_started = time.perf_counter()
        figures[key] = measure(reps(n))
        figures["seconds"][key] = round(time.perf_counter() - part_started, 1)
    figures["wall_s"] = round(time.perf_counter() - started, 1)
    figures["generated_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    _print(f"{figures['wall_s']} s; written {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
