"""Repeats, flaky cases and quarantine, through the CLI and the emulator: with `repeats: 3` an item's outcome is its
pass count of 3; `min_passes: 2` passes an item when 2 of its 3 tries pass; an item whose tries disagree is listed
as flaky in the summary, the pull-request comment and JUnit (a `flaky` property); a quarantined case is run and
reported but never gates. The exit code, results.json, JUnit and the summary agree."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from junitparser import JUnitXml, Properties

from evalcore.app.cli import main
from evalcore.domain.results import read_run
from evalcore.github.pr_comment import GitHubContext, post_comment
from evalcore_emulator import Emulator
from tests.direct_suite import HAIKU, records, results, use_emulator, world, write_suite
from tests.fake_github import FakeGitHub


def run(*args: str) -> int:
    return main(["run", *args, "--no-cache", "--quiet"])


def suite_with(tmp_path: Path, **evaluation: object) -> Path:
    """Two questions x one model x 3 repeats; a try passes when its answer holds the reference."""
    return write_suite(
        tmp_path / "suite",
        metrics=[{"contains": "{{referenceResponse}}"}],
        models={"haiku": HAIKU},
        rows=records(2),
        repeats=3,
        thresholds={},
        concurrency=1,  # one call at a time, in the plan's order: the first call is always the same case
        **evaluation,
    )


@pytest.fixture
def flaky_run(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Callable[[Path, Path], int]:
    """Run a suite so that one try of one item fails and its other two pass: the first call is refused (that try
    errors), every other answer is right; then `--resume` runs the errored try again against a model that is
    always wrong. Returns the resume's exit code."""
    use_emulator(monkeypatch, emulator)

    def go(suite: Path, out: Path) -> int:
        refuse_first = [{"kind": "access_denied", "operation": "Converse", "first": 1}]
        emulator.set_world(world(models={HAIKU: {"quality": 1.0}}, faults=refuse_first))
        run(str(suite), "--out", str(out))
        emulator.set_world(world(models={HAIKU: {"quality": 0.0}}))
        return run(str(suite), "--resume", str(out))

    return go


def pull_request_comment(out: Path, tmp_path: Path) -> str:
    """The comment `evalcore comment` posts for `out`, as the fake GitHub API received it."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "base": {"ref": "main"}}}), encoding="utf-8")
    with FakeGitHub() as github:
        env = {
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_API_URL": github.url,
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_TOKEN": "ghs_" + "x" * 36,
        }
        assert post_comment(out, GitHubContext.from_env(env=env)) == "comment: #7 created"
        (comment,) = github.state.comments[7]
    return str(comment["body"])


def flaky_cases(out: Path) -> dict[str, dict[str, str]]:
    """JUnit testcases (by name) and their properties, for those that have any."""
    found = {}
    for suite in JUnitXml.fromfile(str(out / "junit.xml")):
        for case in suite:
            found_props = case.child(Properties)
            props = {p.name: p.value for p in found_props} if found_props is not None else {}
            if props:
                found[f"{suite.name}/{case.name}"] = props
    return found


def _failures(out: Path) -> int:
    xml = JUnitXml.fromfile(str(out / "junit.xml"))
    return sum(s.failures + s.errors for s in xml)


def test_every_try_must_pass_without_min_passes_and_the_flaky_item_is_listed_everywhere(
    tmp_path: Path, flaky_run: Callable[[Path, Path], int]
) -> None:
    out = tmp_path / "out"

    assert flaky_run(suite_with(tmp_path), out) == 1

    run_result = read_run(out / "results.json")
    summary = run_result.sections[0].models[0]
    assert len(summary.flaky) == 1 and summary.flaky[0].passes == 2 and summary.flaky[0].tries == 3
    flaky_ids = set(summary.flaky[0].case_ids)
    assert len(flaky_ids) == 3
    assert "Flaky" in (out / "summary.md").read_text(encoding="utf-8")
    assert "🎲 flaky" in (out / "summary.md").read_text(encoding="utf-8")
    assert "passed 2 of 3 tries" in pull_request_comment(out, tmp_path)
    marked = flaky_cases(out)
    assert len(marked) == 3 and all(p == {"flaky": "true"} for p in marked.values())
    assert _failures(out) >= 1  # the file fails as the verdict does


def test_min_passes_two_of_three_passes_the_flaky_item(tmp_path: Path, flaky_run: Callable[[Path, Path], int]) -> None:
    out = tmp_path / "out"

    assert flaky_run(suite_with(tmp_path, min_passes=2), out) == 0

    run_result = read_run(out / "results.json")
    assert run_result.verdict is not None and run_result.verdict.status == "passed"
    summary = run_result.sections[0].models[0]
    assert summary.pass_rate == 1.0 and summary.min_passes == 2 and summary.counts.failed == 1
    assert len(summary.flaky) == 1  # still reported as flaky
    assert _failures(out) == 0  # JUnit agrees with the verdict
    assert len(flaky_cases(out)) == 3


def test_min_passes_above_the_repeats_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(suite_with(tmp_path, min_passes=4))]) == 2
    assert "min_passes 4 is more than its 3 repeats" in capsys.readouterr().err


def test_a_quarantined_failing_case_is_reported_but_never_gates(
    tmp_path: Path, flaky_run: Callable[[Path, Path], int], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    suite = suite_with(tmp_path)
    assert flaky_run(suite, out) == 1
    failed = [r.case_id for r in results(out).values() if r.status == "fail"]
    assert len(failed) == 1
    text = suite.read_text(encoding="utf-8")
    suite.write_text(text + f"quarantine:\n- {failed[0]}\n- 0123456789abcdef\n", encoding="utf-8")
    capsys.readouterr()

    code = run(str(suite), "--resume", str(out))  # nothing left to run: the verdict is made again

    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "quarantine" in line]
    assert warnings == ["evalcore: warning: quarantine: 0123456789abcdef match no case of the suite"]
    run_result = read_run(out / "results.json")
    summary = run_result.sections[0].models[0]
    assert code == 0 and run_result.verdict is not None and run_result.verdict.status == "passed"
    assert summary.quarantined == [failed[0]] and summary.counts.total == 5
    assert _failures(out) == 0
    assert "quarantined" in (out / "summary.md").read_text(encoding="utf-8")
    assert any(p.get("quarantined") == "true" for p in flaky_cases(out).values())
