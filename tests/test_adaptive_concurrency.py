"""The run's concurrency adapts both ways: from where it starts (`concurrency`, 16 by default) it grows while no
call is throttled and latency holds, up to its ceiling (`max_concurrency`, 64 by default; a `concurrency` the user
sets is the ceiling when no `max_concurrency` is given), and halves on throttling. The level reached is in
results.json (`run.concurrency`). Against the emulator over HTTP; assertions on the recorded levels and on errors,
never on time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcore.app.cli import main
from evalcore_emulator import Emulator
from tests.direct_suite import HAIKU, use_emulator, world

LATENCY = {"kind": "latency", "operation": "Converse", "latency_ms": 100}


def _suite(folder: Path, cases: int, defaults: dict[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "qa.jsonl").write_text(
        "".join(json.dumps({"prompt": f"question {i}", "referenceResponse": "yes"}) + "\n" for i in range(cases))
    )
    suite = {
        "version": 1,
        "name": "adaptive",
        **({"defaults": defaults} if defaults else {}),
        "models": {"haiku": HAIKU},
        "evaluations": [{"name": "qa", "dataset": "qa.jsonl", "models": ["haiku"], "metrics": ["token_f1"]}],
    }
    path = folder / "suite.yml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def _run(tmp_path: Path, suite: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "out"
    main(["run", str(suite), "--out", str(out), "--no-cache", "--quiet", *args])
    return json.loads((out / "results.json").read_text())


def _errors(run: dict[str, Any]) -> int:
    return sum(m["counts"]["error"] for s in run["sections"] for m in s["models"])


def test_concurrency_grows_past_its_start_on_a_world_without_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    use_emulator(monkeypatch, emulator)
    emulator.set_world(world(faults=[LATENCY]))
    run = _run(tmp_path, _suite(tmp_path, 400))
    level = run["run"]["concurrency"]
    assert (level["start"], level["ceiling"]) == (16, 64)
    assert 16 < level["reached"] <= 64
    assert _errors(run) == 0


def test_a_concurrency_the_user_sets_caps_the_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    use_emulator(monkeypatch, emulator)
    emulator.set_world(world(faults=[LATENCY]))
    run = _run(tmp_path, _suite(tmp_path, 100, {"concurrency": 4}))
    assert run["run"]["concurrency"] == {"start": 4, "ceiling": 4, "reached": 4, "final": 4, "lowest": 4, "cuts": 0}
    run = _run(tmp_path, _suite(tmp_path, 100), "--concurrency", "4", "--max-concurrency", "6")
    level = run["run"]["concurrency"]
    assert (level["start"], level["ceiling"]) == (4, 6)
    assert level["reached"] <= 6


def test_throttling_halves_the_level_then_it_grows_back_and_every_case_still_gets_its_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    """A world whose quota refuses exactly the first 16 Converse calls (the first wave: `first`, not a random
    rate, so every run sees the same throttling); then no call is refused and the level must grow again."""
    use_emulator(monkeypatch, emulator)
    throttle = {"kind": "throttle", "operation": "Converse", "first": 16}
    emulator.set_world(world(faults=[throttle, LATENCY], seed=7))
    run = _run(tmp_path, _suite(tmp_path, 400))
    level = run["run"]["concurrency"]
    assert level["start"] == 16
    assert level["cuts"] >= 1 and level["lowest"] <= level["start"] // 2  # halved at least once
    assert level["final"] > level["lowest"]  # and grew back once the throttling stopped
    assert len(emulator.requests("Converse")) == 400 + 16  # every refused call was retried, once each
    assert _errors(run) == 0
