"""Case ids and fingerprints of the example suites, as evalcore computed them before datasets and plans streamed
(tests/plan_golden/case_ids.json, written from main at 78eaaf5): ids key the cache, resume, shards and baseline
diffs, and a resume compares fingerprints, so streaming must change neither."""

from __future__ import annotations

import json
from pathlib import Path

from evalcore.plan import build_plan
from evalcore.suite.load import load_suite

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "plan_golden" / "case_ids.json"
SUITES = ("quickstart", "guardrails", "managed-jobs", "agents", "rag")


def planned_ids() -> dict[str, list[list[object]]]:
    found = {}
    for name in SUITES:
        plan = build_plan(load_suite(ROOT / "examples" / name / "suite.yml"))
        found[name] = [[c.id, c.section, c.model, c.repeat, c.item_key, c.fingerprint] for c in plan.cases]
    return found


def test_example_suites_plan_the_same_case_ids_and_fingerprints_as_before_streaming() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert planned_ids() == golden


if __name__ == "__main__":  # writes the golden file (run once, on the code before the change)
    GOLDEN.write_text(json.dumps(planned_ids(), indent=1) + "\n", encoding="utf-8")
