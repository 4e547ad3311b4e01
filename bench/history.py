"""The history store's size and read time: 1,000 runs of a 200-item suite (one section, one model, a judge metric
on a 5-level scale, pass and error rates per item), appended to a JSON Lines file and read back, whole and as the
newest 10; and a drift check of the latest run against 8 before it. Prints the figures and writes
bench/out/history.json. Not a test (no timed assertion).

    .venv/bin/python bench/history.py               # 1,000 runs x 200 items
    .venv/bin/python bench/history.py --runs 100 --items 50
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evalcore.app.history_store import HistoryStore
from evalcore.domain.drift import detect_drift
from evalcore.domain.history import history_record
from evalcore.domain.results import CaseResult, MetricScore, RunMeta, RunResult, SectionSummary, summarize


def _run(number: int, items: int, rng: random.Random) -> tuple[RunResult, list[CaseResult]]:
    cases = []
    for i in range(items):
        value = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0])
        case = CaseResult(
            case_id=f"c{i}", section="qa", kind="evaluation", model="m",
            model_id="anthropic.claude-3-haiku-20240307-v1:0",
            item_key=hashlib.sha256(str(i).encode()).hexdigest()[:16],
            status="error" if rng.random() < 0.01 else ("pass" if value >= 0.5 else "fail"),
            metrics=[MetricScore(name="Builtin.Correctness", value=value)],
        )  # fmt: skip
        cases.append(case)
    summary = summarize(cases)[("qa", "m")]
    meta = RunMeta(suite="bench", suite_hash="h", run_id=f"run{number:05d}", tool_version="0", git_sha="a" * 40,
                   git_ref="refs/heads/main", started_at=1.7e9 + number * 86400.0)  # fmt: skip
    return RunResult(run=meta, sections=[SectionSummary(name="qa", kind="evaluation", models=[summary])]), cases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--items", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        store = HistoryStore(str(Path(tmp) / "history.jsonl"))
        started = time.perf_counter()
        for n in range(args.runs):
            store.append(history_record(*_run(n, args.items, rng)))
        append_s = time.perf_counter() - started
        size = (Path(tmp) / "history.jsonl").stat().st_size
        started = time.perf_counter()
        records = store.read()
        read_all_s = time.perf_counter() - started
        started = time.perf_counter()
        store.read("bench", last=10)
        read_last_s = time.perf_counter() - started
        started = time.perf_counter()
        detect_drift(records[-9:], 8)
        drift_s = time.perf_counter() - started
    figures = {
        "runs": args.runs,
        "items": args.items,
        "file_bytes": size,
        "bytes_per_run": round(size / args.runs),
        "append_ms_per_run": round(append_s / args.runs * 1000, 2),
        "read_all_s": round(read_all_s, 3),
        "read_newest_10_s": round(read_last_s, 3),
        "drift_check_window_8_s": round(drift_s, 4),
    }
    for key, value in figures.items():
        print(f"{key:>24}: {value}")
    out = Path(__file__).with_name("out")
    out.mkdir(exist_ok=True)
    (out / "history.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
