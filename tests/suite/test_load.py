"""Loading a good suite, and case ids that depend on content, not position."""

from __future__ import annotations

import json
import random
from pathlib import Path

from evalcore.domain.plan import build_plan, shard
from evalcore.suite import load_suite

SUITE = """\
version: 1
name: demo
defaults: {judge: anthropic.claude-3-5-sonnet-20240620-v1:0}
models:
  haiku: anthropic.claude-3-haiku-20240307-v1:0
  sonnet: {id: anthropic.claude-3-5-sonnet-20240620-v1:0, inference: {max_tokens: 64}}
evaluations:
  - name: qa
    dataset: data/qa.jsonl
    models: [haiku, sonnet]
    repeats: 2
    metrics: [exact_match, Builtin.Correctness, {contains: "{{referenceResponse}}"}]
    thresholds:
      Builtin.Correctness: {min: 0.8, models: [sonnet]}
"""


def _write(tmp_path: Path, records: list[dict[str, str]]) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "qa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    suite = tmp_path / "suite.yml"
    suite.write_text(SUITE)
    return suite


RECORDS = [{"prompt": f"question {i}", "referenceResponse": f"answer {i}"} for i in range(25)]


def test_a_good_suite_loads_with_its_dataset_relative_to_the_suite_file(tmp_path: Path) -> None:
    loaded = load_suite(_write(tmp_path, RECORDS))
    assert loaded.suite.name == "demo"
    assert [r.fields["prompt"] for r in loaded.datasets["qa"]][:2] == ["question 0", "question 1"]
    assert next(iter(loaded.datasets["qa"])).line == 1
    assert loaded.suite.model_spec("sonnet").inference.max_tokens == 64
    assert loaded.line_of(("evaluations", 0, "thresholds", "Builtin.Correctness")) == 14


def test_the_plan_has_one_case_per_item_model_and_repeat(tmp_path: Path) -> None:
    plan = build_plan(load_suite(_write(tmp_path, RECORDS)))
    assert len(plan.cases) == 25 * 2 * 2
    assert len({c.id for c in plan.cases}) == len(plan.cases)
    assert plan.sections[0].model_calls == 100 * 2  # one model call and one judge call per case


def test_reordering_the_dataset_changes_no_case_id(tmp_path: Path) -> None:
    first = {
        (c.item.fields["prompt"], c.model, c.repeat): c.id
        for c in build_plan(load_suite(_write(tmp_path, RECORDS))).cases
    }
    shuffled = RECORDS[:]
    random.Random(7).shuffle(shuffled)
    second = {
        (c.item.fields["prompt"], c.model, c.repeat): c.id
        for c in build_plan(load_suite(_write(tmp_path, shuffled))).cases
    }
    assert first == second


def test_identical_records_get_distinct_stable_ids(tmp_path: Path) -> None:
    plan = build_plan(load_suite(_write(tmp_path, [RECORDS[0], RECORDS[1], RECORDS[0]])))
    ids = [c.id for c in plan.cases if c.model == "haiku" and c.repeat == 0]
    assert len(set(ids)) == 3


def test_an_explicit_record_id_keeps_the_case_id_when_the_text_is_edited(tmp_path: Path) -> None:
    before = build_plan(load_suite(_write(tmp_path, [{"id": "q1", "prompt": "old", "referenceResponse": "a"}])))
    after = build_plan(load_suite(_write(tmp_path, [{"id": "q1", "prompt": "new", "referenceResponse": "b"}])))
    assert [c.id for c in before.cases] == [c.id for c in after.cases]


def test_the_content_hash_changes_when_the_dataset_changes(tmp_path: Path) -> None:
    first = load_suite(_write(tmp_path, RECORDS)).content_hash
    second = load_suite(_write(tmp_path, RECORDS[:-1])).content_hash
    assert first != second


def test_shards_partition_the_cases_and_count_only_their_own(tmp_path: Path) -> None:
    plan = build_plan(load_suite(_write(tmp_path, RECORDS)))
    parts = [shard(plan, i, 3) for i in (1, 2, 3)]
    assert sorted(c.id for p in parts for c in p.cases) == sorted(c.id for c in plan.cases)
    assert all(p.cases for p in parts)
    assert [p.sections[0].cases for p in parts] == [len(p.cases) for p in parts]


def test_models_override_replaces_every_evaluations_models(tmp_path: Path) -> None:
    plan = build_plan(load_suite(_write(tmp_path, RECORDS)), models=["haiku"])
    assert {c.model for c in plan.cases} == {"haiku"}


def test_an_agenteval_plan_is_read_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "agenteval.yml").write_text(
        "evaluator:\n  model: claude-3\ntarget:\n  type: bedrock-agent\n  bedrock_agent_id: A1\n"
        "  bedrock_agent_alias_id: B2\ntests:\n  check_claims:\n    steps: [Ask about claim-006.]\n"
        "    expected_results: [The agent lists documents.]\n    max_turns: 3\n"
    )
    suite = tmp_path / "suite.yml"
    suite.write_text("name: agents\nagents:\n  - name: claims\n    plan: agenteval.yml\n")
    agents = load_suite(suite).agents["claims"]
    assert agents.evaluator_model_id == "anthropic.claude-3-sonnet-20240229-v1:0"
    assert (agents.target.agent_id, agents.target.alias_id) == ("A1", "B2")
    assert agents.tests["check_claims"].max_turns == 3
