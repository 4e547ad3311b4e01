"""The response cache cannot serve a wrong answer: entries are bound to their key and content, the key covers
where an answer came from (endpoint, region, emulator world) and which repeat asked for it, credentials a model
echoes are not stored in clear, and a bad `--cache-max-mb` is refused. Through `evalcore run` on the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcore.app.cli import main
from evalcore.domain.results import RUN_FILE
from evalcore.metrics.judge_prompts import BUILTIN
from evalcore_emulator import Emulator
from tests.direct_suite import HAIKU, records, results, use_emulator, write_suite
from tests.runners.agents import agent_suite


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*/*.json"))


def run_args(suite: Path, out: Path, cache: Path, *extra: str) -> list[str]:
    return ["run", str(suite), "--out", str(out), "--cache-dir", str(cache), "--quiet", *extra]


def dropped(out: Path) -> int:
    return json.loads((out / RUN_FILE).read_text())["run"]["cache_entries_dropped"]


def outputs(out: Path) -> dict[str, str | None]:
    return {case_id: case.output for case_id, case in results(out).items()}


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Path:
    use_emulator(monkeypatch, emulator)
    return write_suite(tmp_path / "suite", rows=records(4), models={"haiku": HAIKU})


def test_swapped_entry_files_are_misses_asked_again_and_counted(
    emulator: Emulator, suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    assert main(run_args(suite, tmp_path / "cold", cache)) == 0
    first, second = entries(cache)[:2]
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)
    emulator.clear_requests()
    capsys.readouterr()

    assert main(run_args(suite, tmp_path / "warm", cache)) == 0

    assert len(emulator.requests("Converse")) == 2  # the two swapped entries, asked again
    assert outputs(tmp_path / "warm") == outputs(tmp_path / "cold")
    assert sum(case.cached for case in results(tmp_path / "warm").values()) == 2
    assert dropped(tmp_path / "warm") == 2
    assert "dropped 2 bad response cache entries" in capsys.readouterr().err


def test_an_edited_verdict_is_a_miss_and_judged_again(emulator: Emulator, suite: Path, tmp_path: Path) -> None:
    judged = write_suite(tmp_path / "judged", rows=records(1), models={"haiku": HAIKU}, metrics=["Builtin.Correctness"])
    cache = tmp_path / "cache"
    assert main(run_args(judged, tmp_path / "cold", cache)) == 0
    (verdict,) = [p for p in entries(cache) if "record_verdict" in p.read_text()]
    document = json.loads(verdict.read_text())
    ratings = [level.rating for level in BUILTIN["Builtin.Correctness"].levels]
    given = _set_rating(document, lambda rating: ratings[0] if rating != ratings[0] else ratings[-1])
    assert given is not None
    verdict.write_text(json.dumps(document))
    emulator.clear_requests()

    assert main(run_args(judged, tmp_path / "warm", cache)) == 0

    assert len(emulator.requests("Converse")) == 1  # the judge, asked again; the answer came from the cache
    (cold,) = results(tmp_path / "cold").values()
    (warm,) = results(tmp_path / "warm").values()
    assert [m.value for m in warm.metrics] == [m.value for m in cold.metrics]
    assert dropped(tmp_path / "warm") == 1


def _set_rating(node: Any, change: Any) -> Any:
    """Change the first `rating` found in a JSON document; returns the rating it had."""
    if isinstance(node, dict):
        if "rating" in node:
            old = node["rating"]
            node["rating"] = change(old)
            return old
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            found = _set_rating(child, change)
            if found is not None:
                return found
    return None


@pytest.mark.parametrize("content", ["[]", '"x"', "{}", "", '{"format": 2, "key": '])
def test_an_entry_of_the_wrong_shape_is_a_miss_removed_and_counted(
    emulator: Emulator, suite: Path, tmp_path: Path, content: str
) -> None:
    cache = tmp_path / "cache"
    assert main(run_args(suite, tmp_path / "cold", cache)) == 0
    for path in entries(cache):
        path.write_text(content)
    emulator.clear_requests()

    assert main(run_args(suite, tmp_path / "warm", cache)) == 0

    assert len(emulator.requests("Converse")) == 4
    statuses = {case_id: case.status for case_id, case in results(tmp_path / "cold").items()}
    assert {case_id: case.status for case_id, case in results(tmp_path / "warm").items()} == statuses
    assert "error" not in statuses.values()
    assert dropped(tmp_path / "warm") == 4
    assert all(path.read_text() != content for path in entries(cache))  # removed, then written again
    emulator.clear_requests()
    assert main(run_args(suite, tmp_path / "again", cache)) == 0
    assert emulator.requests("Converse") == [] and dropped(tmp_path / "again") == 0


def _world(folder: Path, name: str, answer: str) -> Path:
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump({"models": {HAIKU: {"answers": {"What colour is the sky here?": answer}}}}))
    return path


def test_answers_recorded_with_one_emulator_world_are_not_served_with_another(tmp_path: Path) -> None:
    row = {"prompt": "What colour is the sky here?", "referenceResponse": "alpha"}
    suite = write_suite(tmp_path / "suite", rows=[row], models={"haiku": HAIKU})
    cache = tmp_path / "cache"
    world_a = _world(tmp_path, "a", "The sky is alpha.")
    world_b = _world(tmp_path, "b", "The sky is beta.")

    assert main(run_args(suite, tmp_path / "a", cache, "--emulator", "--world", str(world_a))) == 0
    assert main(run_args(suite, tmp_path / "b", cache, "--emulator", "--world", str(world_b))) in (0, 1)

    (in_a,) = results(tmp_path / "a").values()
    (in_b,) = results(tmp_path / "b").values()
    assert (in_a.status, in_a.output) == ("pass", "The sky is alpha.")
    assert (in_b.status, in_b.output, in_b.cached) == ("fail", "The sky is beta.", False)
    assert main(run_args(suite, tmp_path / "a2", cache, "--emulator", "--world", str(world_a))) == 0
    (again,) = results(tmp_path / "a2").values()
    assert (again.output, again.cached) == ("The sky is alpha.", True)  # the same world is served from the cache


def test_another_endpoint_url_or_region_is_a_miss(emulator: Emulator, suite: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    by_ip = emulator.endpoint
    by_name = by_ip.replace("127.0.0.1", "localhost")
    assert by_name != by_ip
    made = []
    for n, extra in enumerate(
        [
            ["--endpoint-url", by_ip],
            ["--endpoint-url", by_name],
            ["--endpoint-url", by_name, "--region", "us-west-2"],
            ["--endpoint-url", by_ip],
            ["--endpoint-url", by_name, "--region", "us-west-2"],
        ]
    ):
        emulator.clear_requests()
        assert main(run_args(suite, tmp_path / f"out{n}", cache, *extra)) == 0
        made.append(len(emulator.requests("Converse")))

    assert made == [4, 4, 4, 0, 0]


def test_repeats_are_independent_samples_each_replayed_from_its_own_entry(
    emulator: Emulator, suite: Path, tmp_path: Path
) -> None:
    # The emulator answers identical requests identically, so what shows the repeats are independent samples is
    # the calls made: one per repeat on a cold cache, none on a warm one, each repeat replayed from its own entry.
    sampled = write_suite(
        tmp_path / "sampled",
        rows=records(4),
        models={"haiku": HAIKU},
        metrics=["Builtin.Correctness"],
        inference={"temperature": 0.9},
        repeats=5,
    )
    cache = tmp_path / "cache"

    assert main(run_args(sampled, tmp_path / "cold", cache, "--concurrency", "1")) == 0

    assert len(emulator.requests("Converse")) == 4 * 5 * 2  # every repeat: its answer and its verdict
    assert len(entries(cache)) == 4 * 5 * 2
    cold = results(tmp_path / "cold")
    assert not any(case.cached for case in cold.values())
    emulator.clear_requests()

    assert main(run_args(sampled, tmp_path / "warm", cache, "--concurrency", "1")) == 0

    assert emulator.requests("Converse") == []
    warm = results(tmp_path / "warm")
    assert sorted(case.repeat for case in warm.values()) == sorted(list(range(5)) * 4)
    assert all(case.cached and case.output == cold[case_id].output for case_id, case in warm.items())


def test_agent_test_repeats_are_independent_samples(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_emulator(monkeypatch, emulator)
    target = {"type": "bedrock-model", "model_id": HAIKU, "system": "You are the claims desk of an insurer."}
    tests = {
        "hello": {"steps": ["Say hello."], "expected_results": ["The agent greets."], "max_turns": 1, "repeats": 3}
    }
    suite = agent_suite.write_suite(tmp_path / "suite", tests, target=target)
    cache = tmp_path / "cache"

    agent_suite.run(suite, tmp_path / "cold", cache_dir=cache, concurrency=1)
    cold_calls = len(emulator.requests("Converse"))
    emulator.clear_requests()
    agent_suite.run(suite, tmp_path / "warm", cache_dir=cache, concurrency=1)

    assert {case.status for case in agent_suite.results(tmp_path / "cold").values()} <= {"pass", "fail"}
    per_run = cold_calls // 3
    assert cold_calls == 3 * per_run and per_run >= 3  # the target's turn and the evaluator's, for each repeat
    assert emulator.requests("Converse") == []
    assert len(entries(cache)) == cold_calls


SECRET_ANSWER = "Your key is AKIAIOSFODNN7EXAMPLE, keep it safe."


def test_a_credential_the_model_echoes_is_not_stored_in_clear(tmp_path: Path) -> None:
    world = tmp_path / "world.yml"
    world.write_text(yaml.safe_dump({"models": {HAIKU: {"answers": {"What is my key?": SECRET_ANSWER}}}}))
    row = {"prompt": "What is my key?", "referenceResponse": "safe"}
    suite = write_suite(tmp_path / "suite", rows=[row], models={"haiku": HAIKU})
    cache = tmp_path / "cache"
    args = run_args(suite, tmp_path / "cold", cache, "--emulator", "--world", str(world))

    assert main(args) == 0

    assert entries(cache)
    assert not any(b"AKIAIOSFODNN7EXAMPLE" in path.read_bytes() for path in entries(cache))
    assert b"AKIAIOSFODNN7EXAMPLE" not in (tmp_path / "cold" / "results.jsonl").read_bytes()
    assert main(run_args(suite, tmp_path / "warm", cache, "--emulator", "--world", str(world))) == 0
    (cold,) = results(tmp_path / "cold").values()
    (warm,) = results(tmp_path / "warm").values()
    assert warm.cached and warm.output == cold.output == "Your key is ***, keep it safe."


@pytest.mark.parametrize("value", ["nan", "-5", "0", "inf", "lots"])
def test_a_cache_max_mb_that_is_not_a_positive_number_is_refused_in_one_line(
    emulator: Emulator, suite: Path, tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    assert main(run_args(suite, tmp_path / "cold", cache)) == 0
    kept = entries(cache)
    capsys.readouterr()

    try:
        code = main(run_args(suite, tmp_path / "out", cache, "--cache-max-mb", value))
    except SystemExit as exc:
        code = exc.code

    assert code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and "--cache-max-mb" in lines[0], lines
    assert entries(cache) == kept  # nothing removed
