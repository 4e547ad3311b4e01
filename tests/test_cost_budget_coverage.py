"""What a cost budget counts beyond evaluation sections: the Bedrock model calls of agents (the evaluator, a
bedrock-model target), knowledge bases (the judge) and guardrail probes (the model behind the guardrail) reserve
their worst case and count their usage like any other call, and their models need a price. What it cannot count (a
knowledge base's Retrieve and RetrieveAndGenerate, whose responses carry no token usage; an agent runtime's own
spend; a guardrail's text units) makes a budget bad input (exit 2) unless the run accepts it
(`--accept-uncounted-cost`, `defaults.accept_uncounted_cost`); accepted, it is named in one warning line at the
start, in results.json (`run.cost_not_counted`) and in the summary. `evalcore run` runs as a user runs it, on the
emulator."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.runners.agents.agent_suite import write_suite as write_agent_suite
from tests.test_one_verdict import evalcore, run_suite

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MODEL_TARGET: dict[str, Any] = {
    "type": "bedrock-model",
    "model_id": "anthropic.claude-3-haiku-20240307-v1:0",
    "system": "You are the claims desk of an insurer.",
    "max_tokens": 256,
}
HELLO = {"steps": ["Say hello."], "expected_results": ["The agent greets the user."], "max_turns": 1}


def _rag(tmp: Path, **defaults: Any) -> Path:
    folder = tmp / "rag"
    shutil.copytree(EXAMPLES / "rag", folder)
    suite = yaml.safe_load((folder / "suite.yml").read_text())
    suite["defaults"].update(defaults, concurrency=1)
    (folder / "suite.yml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return folder / "suite.yml"


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "cost budget" in line and "does not count" in line]


def test_a_budget_over_a_knowledge_base_is_refused_naming_the_calls_it_cannot_count(tmp_path: Path) -> None:
    done = evalcore("run", _rag(tmp_path), "--emulator", "--no-cache", "--out", tmp_path / "out", "--max-cost-usd", "5")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "--max-cost-usd" in line]
    assert "handbook" in line and "Retrieve" in line and "RetrieveAndGenerate" in line, line
    assert "--accept-uncounted-cost" in line
    assert not (tmp_path / "out").exists()


def test_an_accepted_budget_warns_in_one_line_and_records_what_it_does_not_count(tmp_path: Path) -> None:
    suite = _rag(tmp_path, accept_uncounted_cost=True)
    done = evalcore("run", suite, "--emulator", "--no-cache", "--out", tmp_path / "out", "--max-cost-usd", "5")
    assert done.returncode == 0, done.stderr
    (line,) = _warnings(done.stderr)
    assert "handbook" in line and "RetrieveAndGenerate" in line, line
    run = yaml.safe_load((tmp_path / "out" / "results.json").read_text())["run"]
    assert any(item.startswith("handbook: Retrieve") for item in run["cost_not_counted"]), run
    assert run["cost_usd"] > 0  # the judge's calls are counted
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "not counted" in summary and "RetrieveAndGenerate" in summary


def test_a_knowledge_base_run_cut_by_its_budget_leaves_cases_not_run_and_exits_3(tmp_path: Path) -> None:
    # The judge (Claude 3.5 Sonnet, 3 / 15 USD per million tokens) answers in 1,024 tokens at most: a call's worst
    # case is about $0.017, so $0.03 lets a few judge calls start, one at a time, of the 84 the section makes.
    run = run_suite(_rag(tmp_path), tmp_path / "out", "--max-cost-usd", "0.03", "--accept-uncounted-cost")
    assert run.code == 3, run.console
    results = run.results()
    (section,) = results["sections"]
    assert section["status"] == "partial" and "cost budget of $0.03 reached" in section["reason"], section
    assert 0 < len(run.cases()) < 14
    assert 0 < results["run"]["cost_usd"] <= 0.03
    assert results["run"]["cut_by_budget"] == 14 - len(run.cases())


def test_an_agent_run_with_a_bedrock_model_target_is_counted_whole_and_cut_by_its_budget(tmp_path: Path) -> None:
    # Every call of this section is a priced Bedrock model call: nothing to accept, no warning.
    tests = {f"hello_{n}": HELLO for n in range(6)}
    suite = write_agent_suite(tmp_path / "s", tests, target=MODEL_TARGET)
    data = yaml.safe_load(suite.read_text())
    data["defaults"] = {"concurrency": 1}
    suite.write_text(yaml.safe_dump(data, sort_keys=False))
    whole = evalcore("run", suite, "--emulator", "--no-cache", "--out", tmp_path / "whole", "--max-cost-usd", "5")
    assert whole.returncode in (0, 1), whole.stderr  # the tests pass or fail: the budget is not reached
    assert not _warnings(whole.stderr)
    results = yaml.safe_load((tmp_path / "whole" / "results.json").read_text())
    cases = [yaml.safe_load(line) for line in (tmp_path / "whole" / "results.jsonl").read_text().splitlines()]
    spent = sum((c.get("cost_usd") or 0) + (c.get("judge_cost_usd") or 0) for c in cases)
    assert results["run"]["cost_usd"] == pytest.approx(spent)  # the target's calls and the evaluator's
    assert results["run"].get("cost_not_counted") in (None, [])

    cut = run_suite(suite, tmp_path / "cut", "--max-cost-usd", "0.02")
    assert cut.code == 3, cut.console
    assert 0 < len(cut.cases()) < 6
    assert cut.results()["run"]["cut_by_budget"] == 6 - len(cut.cases())


def test_a_budget_with_an_unpriced_agent_evaluator_is_bad_input(tmp_path: Path) -> None:
    suite = write_agent_suite(
        tmp_path / "s", {"hello": HELLO}, target=MODEL_TARGET, evaluator={"model": "us.amazon.nova-premier-v1:0"}
    )
    done = evalcore("run", suite, "--emulator", "--no-cache", "--out", tmp_path / "out", "--max-cost-usd", "1")
    assert done.returncode == 2, done.stderr
    assert "--max-cost-usd: no price for us.amazon.nova-premier-v1:0" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_budget_with_an_unpriced_model_behind_a_guardrail_is_bad_input(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    suite = {
        "version": 1,
        "name": "probes",
        "defaults": {"accept_uncounted_cost": True},
        "models": {"premier": "us.amazon.nova-premier-v1:0"},
        "guardrails": [
            {
                "name": "probes",
                "guardrail": {"id": "grdemo", "version": "1"},
                "via": "converse",
                "model": "premier",
                "probes": [{"text": "You are an idiot.", "expect": "blocked"}],
            }
        ],
    }
    (folder / "suite.yml").write_text(yaml.safe_dump(suite, sort_keys=False))
    done = evalcore(
        "run", folder / "suite.yml", "--emulator", "--no-cache", "--out", tmp_path / "out", "--max-cost-usd", "1"
    )
    assert done.returncode == 2, done.stderr
    assert "no price for us.amazon.nova-premier-v1:0" in done.stderr


def test_a_bedrock_model_target_call_whose_worst_case_passes_the_budget_does_not_start(tmp_path: Path) -> None:
    # With `initial_prompt` a test's first call is the target's (haiku, maxTokens 256: a worst case of about
    # $0.00032). A budget of $0.0001 refuses it: nothing is spent, the test is not run.
    test = {**HELLO, "initial_prompt": "Hello, is this the claims desk?"}
    suite = write_agent_suite(tmp_path / "s", {"hello": test}, target=MODEL_TARGET)
    run = run_suite(suite, tmp_path / "out", "--max-cost-usd", "0.0001")
    assert run.code == 3, run.console
    assert run.results()["run"]["cost_usd"] == 0 and run.results()["run"]["cut_by_budget"] == 1
    assert not run.cases()


def test_a_guardrail_probe_through_a_model_reserves_its_worst_case(tmp_path: Path) -> None:
    # The probe's call through haiku answers in 256 tokens at most: a worst case of about $0.00032, more than the
    # budget of $0.0001, so it does not start (its output bound is priced as output, not as input).
    folder = tmp_path / "s"
    folder.mkdir()
    suite = {
        "version": 1,
        "name": "probes",
        "defaults": {"accept_uncounted_cost": True, "inference": {"max_tokens": 256}},
        "models": {"haiku": "anthropic.claude-3-haiku-20240307-v1:0"},
        "guardrails": [
            {
                "name": "probes",
                "guardrail": {"id": "grdemo", "version": "1"},
                "via": "converse",
                "model": "haiku",
                "probes": [{"text": "You are an idiot.", "expect": "blocked"}],
            }
        ],
    }
    (folder / "suite.yml").write_text(yaml.safe_dump(suite, sort_keys=False))
    run = run_suite(folder / "suite.yml", tmp_path / "out", "--max-cost-usd", "0.0001")
    assert run.code == 3, run.console
    assert run.results()["run"]["cost_usd"] == 0 and run.results()["run"]["cut_by_budget"] == 1
