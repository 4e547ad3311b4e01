"""Coverage of evalcore's 95% intervals, measured by simulation (issue 21): how often the interval evalcore reports
holds the true mean, for the data the issue names, with the aggregation before this change (Student's t over items;
Wilson over cases for the pass rate) and with evalcore's own `results.summarize` now. Seeded, a few seconds; not a
test (tests/test_interval_coverage.py asserts bands on fewer simulations of the same scenarios).

    .venv/bin/python bench/intervals.py [--sims 2000] [--seed 21]

Writes bench/out/intervals.json.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from pathlib import Path

from evalcore.domain import stats
from evalcore.domain.results import CaseResult, MetricScore, summarize

OUT = Path(__file__).resolve().parent / "out" / "intervals.json"

# The figures issue 21 measured on the code before this change (coverage of a nominal 95% interval).
ISSUE_BEFORE = {
    "binary p=.98 n=10": "18%",
    "binary p=.98 n=30": "45%",
    "binary p=.98 n=100": "86%",
    "graded mean .97 n=10": "65%",
    "clustered 10x10 ICC .64": "52%",
    "pass rate 5 repeats": "69-81%",
}

GRADES = ((1.0, 0.90), (0.75, 0.08), (0.5, 0.02))  # a 5-level judge scale, mean .97
ICC = 0.64
CLUSTER_MEAN = 0.8  # binary items whose groups' rates are Beta(a, b) with mean .8 and ICC 1/(a+b+1) = .64
REPEAT_ITEMS, REPEATS = 30, 5  # pass rate: 30 items, each with its own pass probability (Beta(1.6, 0.4), mean .8)

Sample = tuple[list[list[float]], list[str] | None]  # per item its tries' values; per item its group (or None)


def _binary(n: int, p: float) -> Callable[[random.Random], Sample]:
    return lambda rng: ([[float(rng.random() < p)] for _ in range(n)], None)


def _graded(n: int) -> Callable[[random.Random], Sample]:
    def draw(rng: random.Random) -> Sample:
        items = []
        for _ in range(n):
            u, value = rng.random(), 0.0
            for grade, share in GRADES:
                if u < share:
                    value = grade
                    break
                u -= share
            items.append([value])
        return items, None

    return draw


def _clustered(rng: random.Random) -> Sample:
    total = (1 - ICC) / ICC  # a + b
    a, b = CLUSTER_MEAN * total, (1 - CLUSTER_MEAN) * total
    items, groups = [], []
    for g in range(10):
        rate = rng.betavariate(a, b)
        for _ in range(10):
            items.append([float(rng.random() < rate)])
            groups.append(f"g{g}")
    return items, groups


def _repeated(rng: random.Random) -> Sample:
    items = []
    for _ in range(REPEAT_ITEMS):
        p = rng.betavariate(1.6, 0.4)
        items.append([float(rng.random() < p) for _ in range(REPEATS)])
    return items, None


def _cases(items: list[list[float]], groups: list[str] | None) -> list[CaseResult]:
    return [
        CaseResult(
            case_id=f"i{i}-{r}",
            section="s",
            kind="evaluation",
            model="m",
            item_key=f"i{i}",
            repeat=r,
            status="pass" if value == 1.0 else "fail",
            metrics=[MetricScore(name="score", value=value)],
            cluster=groups[i] if groups else None,
        )
        for i, tries in enumerate(items)
        for r, value in enumerate(tries)
    ]


def _before_metric(items: list[list[float]], _groups: list[str] | None) -> tuple[float | None, float | None]:
    """The aggregation before issue 21: Student's t over item means, clipped to 0-1."""
    _, _, low, high = stats.mean_ci([sum(t) / len(t) for t in items])
    return (None if low is None else max(0.0, low)), (None if high is None else min(1.0, high))


def _before_pass_rate(items: list[list[float]], _groups: list[str] | None) -> tuple[float | None, float | None]:
    """The pass rate's interval before issue 21: Wilson over cases, every repeat counted as a case."""
    tries = [v for t in items for v in t]
    return stats.wilson(int(sum(tries)), len(tries))


def _after_metric(items: list[list[float]], groups: list[str] | None) -> tuple[float | None, float | None]:
    agg = summarize(_cases(items, groups))[("s", "m")].metrics["score"]
    return agg.ci_low, agg.ci_high


def _after_pass_rate(items: list[list[float]], groups: list[str] | None) -> tuple[float | None, float | None]:
    return summarize(_cases(items, groups))[("s", "m")].pass_rate_ci


Method = Callable[[list[list[float]], list[str] | None], tuple[float | None, float | None]]

# name -> (draw one data set, true mean, interval before, interval now)
SCENARIOS: dict[str, tuple[Callable[[random.Random], Sample], float, Method, Method]] = {
    "binary p=.98 n=10": (_binary(10, 0.98), 0.98, _before_metric, _after_metric),
    "binary p=.98 n=30": (_binary(30, 0.98), 0.98, _before_metric, _after_metric),
    "binary p=.98 n=100": (_binary(100, 0.98), 0.98, _before_metric, _after_metric),
    "graded mean .97 n=10": (_graded(10), sum(g * s for g, s in GRADES), _before_metric, _after_metric),
    "clustered 10x10 ICC .64": (_clustered, CLUSTER_MEAN, _before_metric, _after_metric),
    "pass rate 5 repeats": (_repeated, 0.8, _before_pass_rate, _after_pass_rate),
}


def coverage(name: str, sims: int, seed: int, method: str = "after") -> float:
    """The share of `sims` seeded data sets of scenario `name` whose interval holds the true mean."""
    draw, truth, before, after = SCENARIOS[name]
    interval = after if method == "after" else before
    rng = random.Random(f"{seed}:{name}")
    held = 0
    for _ in range(sims):
        low, high = interval(*draw(rng))
        held += low is not None and high is not None and low <= truth <= high
    return held / sims


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sims", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    rows = []
    print(f"coverage of evalcore's 95% intervals, {args.sims} seeded simulations each (seed {args.seed})")
    print(f"{'scenario':26} {'issue (before)':>14} {'before':>8} {'now':>8}")
    for name in SCENARIOS:
        before = coverage(name, args.sims, args.seed, "before")
        now = coverage(name, args.sims, args.seed, "after")
        rows.append({"scenario": name, "issue_before": ISSUE_BEFORE[name], "before": before, "after": now})
        print(f"{name:26} {ISSUE_BEFORE[name]:>14} {before:>8.1%} {now:>8.1%}", flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"sims": args.sims, "seed": args.seed, "coverage": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
