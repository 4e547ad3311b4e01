"""Drift: the latest run against the window of runs before it, items paired and tested as in the PR comparison.
On the emulator: a model that degrades across a series of runs is a finding (`--drift fail` exits 1 naming the
metric, `warn` warns); an unchanged series judged with fresh noise each run is not; a new model id behind the same
name is reported as a model change."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from evalcore.app.cli import main
from evalcore_emulator import Emulator, World
from tests.history.history_fixtures import run_dir

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
OTHER = "anthropic.claude-3-sonnet-20240229-v1:0"
JUDGE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
WORDS = ["amber", "birch", "cobalt", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper"]
ANSWERS = {
    f"What is the code word for item {i}?": f"The code word for item {i} is {WORDS[i % 10]}{i}." for i in range(60)
}


def _series(tmp_path: Path, levels: list[float]) -> Path:
    store = tmp_path / "history.jsonl"
    rng = random.Random(3)
    for n, level in enumerate(levels, start=1):
        scores = [min(1.0, max(0.0, level + rng.choice([-0.25, 0.0, 0.25]))) for _ in range(40)]
        main(["history", "record", str(run_dir(tmp_path / f"r{n}", n, scores.__getitem__)), "--store", str(store)])
    return store


def test_a_fall_against_the_window_fails_with_one_line_naming_the_metric(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _series(tmp_path, [0.75, 0.75, 0.75, 0.75, 0.5])
    capsys.readouterr()
    assert main(["history", "check", str(store), "--window", "4"]) == 1
    out, err = capsys.readouterr()
    assert out.count("\n") == 1 and "qa (m): Builtin.Correctness fell" in out
    assert "4 runs before it: 2 drifts to the worse" in err and "qa (m): pass_rate fell" in err
    assert main(["history", "check", str(store), "--window", "4", "--drift", "warn"]) == 0


def test_a_steady_series_has_no_drift_and_says_what_it_could_see(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _series(tmp_path, [0.75] * 5)
    capsys.readouterr()
    assert main(["history", "check", str(store), "--window", "4"]) == 0
    err = capsys.readouterr().err
    assert "0 drifts to the worse" in err
    assert "Builtin.Correctness: no drift" in err and "would be seen at 80% power; 40 items" in err


def test_a_single_run_has_nothing_to_compare_with(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = _series(tmp_path, [0.75])
    assert main(["history", "check", str(store), "--window", "4"]) == 0
    assert "no earlier run" in capsys.readouterr().err


# ---- end to end on the emulator --------------------------------------------------------------------------------


def _suite(tmp_path: Path, model: str) -> Path:
    (tmp_path / "qa.jsonl").write_text(
        "".join(json.dumps({"prompt": q, "referenceResponse": a}) + "\n" for q, a in ANSWERS.items())
    )
    path = tmp_path / "suite.yml"
    path.write_text(
        f"name: codes\ndefaults: {{judge: {JUDGE}}}\nmodels: {{m: {model}}}\n"
        "evaluations:\n  - name: qa\n    dataset: qa.jsonl\n    models: [m]\n    metrics: [Builtin.Correctness]\n"
        "    thresholds: {error_rate: {max: 1}, pass_rate: {min: 0}}\n"
    )
    return path


def _world(quality: float, seed: int) -> World:
    return World.model_validate(
        {
            "answers": ANSWERS,
            "models": {MODEL: {"quality": quality}, OTHER: {"quality": quality}, JUDGE: {"quality": 1.0}},
            "judge": {"noise": 0.15, "seed": seed},
        }
    )


def _runs(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, series: list[tuple[float, str]], drift: str
) -> list[int]:
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    store = tmp_path / "history.jsonl"
    codes = []
    for n, (quality, model) in enumerate(series):
        emulator.set_world(_world(quality, seed=n))
        suite = _suite(tmp_path, model)
        out = tmp_path / f"run{n}"
        args = ["run", str(suite), "--out", str(out), "--no-cache", "--quiet", "--history", str(store)]
        codes.append(main([*args, "--drift", drift, "--drift-window", "3"]))
    return codes


def test_on_the_emulator_a_degrading_model_is_a_drift_finding(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    codes = _runs(emulator, tmp_path, monkeypatch, [(0.9, MODEL)] * 3 + [(0.5, MODEL)], "fail")
    assert codes == [0, 0, 0, 1]
    err = capsys.readouterr().err
    assert "warning: evalcore: drift: qa (m): Builtin.Correctness fell" in err


def test_on_the_emulator_an_unchanged_model_judged_with_fresh_noise_is_no_drift(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    codes = _runs(emulator, tmp_path, monkeypatch, [(0.7, MODEL)] * 4, "fail")
    assert codes == [0, 0, 0, 0]
    err = capsys.readouterr().err
    assert "fell" not in err and "0 drifts to the worse" in err


def test_on_the_emulator_a_new_model_id_behind_the_same_name_is_a_model_change(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    codes = _runs(emulator, tmp_path, monkeypatch, [(0.8, MODEL)] * 2 + [(0.8, OTHER)], "warn")
    assert codes == [0, 0, 0]
    err = capsys.readouterr().err
    assert f"drift: qa: model 'm' is {OTHER} now, {MODEL} before" in err
    assert main(["history", str(tmp_path / "history.jsonl")]) == 0
    assert f"model {MODEL} → {OTHER}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--drift", "fail"], "--drift: needs --history STORE"),
        (["--history", "h.jsonl", "--shard", "1/2"], "--history: a shard is part of a run"),
    ],
)
def test_run_history_options_that_cannot_work_are_bad_input(
    tmp_path: Path, extra: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _suite(tmp_path, MODEL)
    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "--emulator", *extra]) == 2
    assert said in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_drift_window_must_be_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", str(_suite(tmp_path, MODEL)), "--history", "h.jsonl", "--drift-window", "0"])
    assert exc.value.code == 2
    assert "'0' is not a positive whole number" in capsys.readouterr().err
