"""A cost budget (`--max-cost-usd`, `defaults.max_cost_usd`): once the spend plus the next call's worst case would
pass it, no new call starts; the cases not started are not run with that reason in results.json and JUnit, and the
gate says the run was cut by its budget (exit 3). A budget the run stays within changes nothing (exit 0).
`evalcore run` runs as a user runs it, on the emulator; JUnit is read by junitparser."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from junitparser import Error, JUnitXml

from tests.direct_suite import HAIKU, write_suite
from tests.test_one_verdict import assert_one_verdict, evalcore, run_suite

# Haiku at 0.25 / 1.25 USD per million tokens (evalcore.bedrock.pricing): a call's worst case with maxTokens 128
# is about $0.00016 and the emulator's answers cost about $0.000013 each, so $0.0002 lets three of ten calls start,
# one at a time (the whole run costs about $0.00013: a budget of one cent is not reached).
SMALL = "0.0002"


def _suite(folder: Path, **defaults: object) -> Path:
    path = write_suite(folder, models={"haiku": HAIKU}, metrics=["token_f1"], concurrency=1)
    data = yaml.safe_load(path.read_text())
    data["defaults"].update(defaults)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _junit_errors(out: Path) -> list[str]:
    return [
        r.message or ""
        for suite in JUnitXml.fromfile(str(out / "junit.xml"))
        for case in suite
        for r in case.result
        if isinstance(r, Error)
    ]


def test_a_budget_that_cuts_the_run_leaves_cases_not_run_and_exits_3(tmp_path: Path) -> None:
    run = run_suite(_suite(tmp_path / "s"), tmp_path / "out", "--max-cost-usd", SMALL)
    assert run.code == 3, run.console
    assert assert_one_verdict(run) == "error"
    results = run.results()
    reason = f"cost budget of ${float(SMALL):g} reached"
    assert any("cut by its cost budget" in r for r in results["verdict"]["reasons"]), results["verdict"]
    (section,) = results["sections"]
    assert section["status"] == "partial" and reason in section["reason"], section
    done = run.cases()
    assert 0 < len(done) < 10
    assert all(c["status"] != "error" for c in done)  # cases not started have no result; none is made up
    assert results["run"]["max_cost_usd"] == float(SMALL)
    assert 0 < results["run"]["cost_usd"] <= float(SMALL)
    assert any(reason in message for message in _junit_errors(run.out)), _junit_errors(run.out)
    assert "cut by its cost budget" in run.console


def test_a_budget_not_reached_changes_nothing(tmp_path: Path) -> None:
    run = run_suite(_suite(tmp_path / "s"), tmp_path / "out", "--max-cost-usd", "0.01")
    assert run.code == 0, run.console
    assert len(run.cases()) == 10
    results = run.results()
    assert results["run"]["max_cost_usd"] == 0.01 and results["run"]["cost_usd"] > 0


def test_the_suite_key_sets_the_budget_and_the_flag_overrides_it(tmp_path: Path) -> None:
    suite = _suite(tmp_path / "s", max_cost_usd=float(SMALL))
    assert run_suite(suite, tmp_path / "cut").code == 3
    assert run_suite(suite, tmp_path / "whole", "--max-cost-usd", "10").code == 0


def test_a_budget_with_a_model_of_unknown_price_is_bad_input(tmp_path: Path) -> None:
    path = write_suite(tmp_path / "s", models={"other": "us.amazon.nova-premier-v1:0"}, metrics=["token_f1"])
    done = evalcore(
        "run", path, "--emulator", "--no-cache", "--quiet", "--out", tmp_path / "out", "--max-cost-usd", "1"
    )
    assert done.returncode == 2, done.stderr
    assert "--max-cost-usd: no price for us.amazon.nova-premier-v1:0" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_budget_resumes_cases_it_did_not_run(tmp_path: Path) -> None:
    suite = _suite(tmp_path / "s")
    out = tmp_path / "out"
    assert run_suite(suite, out, "--max-cost-usd", SMALL).code == 3
    done = evalcore("run", suite, "--emulator", "--no-cache", "--quiet", "--resume", out)
    assert done.returncode == 0, done.stderr
    (section,) = json.loads((out / "results.json").read_text())["sections"]
    assert section["status"] == "ran" and section["planned"] == 10 and section["models"][0]["counts"]["pass"] == 10
