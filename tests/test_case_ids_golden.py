"""Case ids and fingerprints of the example suites (tests/plan_golden/case_ids.json): ids key the cache, resume,
shards and baseline diffs, and a resume compares fingerprints, so neither may change by accident. The ids are as
evalcore computed them before datasets and plans streamed (main at 78eaaf5); the fingerprints were written again
when they came to leave out settings at their defaults and those that only gate, compare or group results, so that
a setting added later changes no fingerprint (the first version to write fingerprints had not been released)."""

from __future__ import annotations

import json
from pathlib import Path

from evalcore.domain.plan import build_plan
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


def test_settings_that_only_gate_compare_or_group_or_sit_at_their_default_leave_fingerprints_alone(
    tmp_path: Path,
) -> None:
    """A resume re-runs the cases whose fingerprint changed: naming primary metrics, a cluster field, a threshold or
    a setting at its default value decides no case's result, so it must not re-run the whole suite."""
    import shutil

    import yaml

    folder = tmp_path / "quickstart"
    shutil.copytree(ROOT / "examples" / "quickstart", folder)
    suite = yaml.safe_load((folder / "suite.yml").read_text(encoding="utf-8"))
    before = [c.fingerprint for c in build_plan(load_suite(folder / "suite.yml")).cases]
    section = suite["evaluations"][0]
    section.update(primary_metrics=["Builtin.Correctness"], cluster_by="category", judge_samples=1)
    section["thresholds"] = {"pass_rate": {"min": 0.1}}
    (folder / "suite.yml").write_text(yaml.safe_dump(suite, sort_keys=False), encoding="utf-8")

    assert [c.fingerprint for c in build_plan(load_suite(folder / "suite.yml")).cases] == before
