"""GitHub shows 10 error and 10 warning annotations per step: the Action annotates the most important first (a
section whose results cannot be trusted before a breached threshold, the largest miss first), at most 10 of
each, then one notice saying how many more there are and where to read them."""

from __future__ import annotations

from pathlib import Path

import yaml

from evalcore_emulator import Emulator
from tests.action.conftest import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, HAIKU, action_env, hostile_world, run_step
from tests.direct_suite import SONNET

BREACHED = 12  # sections whose `contains` threshold is missed (one of two answers holds its reference)


def write_suite(workspace: Path) -> None:
    folder = workspace / "evals"
    folder.mkdir(parents=True)
    (folder / "data.jsonl").write_text(
        '{"prompt": "Say the magic words.", "referenceResponse": "abracadabra"}\n'
        '{"prompt": "What is 2 + 2?", "referenceResponse": "4"}\n',
        encoding="utf-8",
    )

    def section(name: str, model: str, minimum: float) -> dict[str, object]:
        return {
            "name": name,
            "dataset": "data.jsonl",
            "models": [model],
            "metrics": [{"contains": "{{referenceResponse}}"}],
            "thresholds": {"contains": {"min": minimum}},
        }

    # breaches missed by more and more: q11 (min 0.99) is the largest miss, q0 (min 0.6) the smallest
    sections = [section(f"q{i}", "bot", round(0.6 + i * 0.035, 3)) for i in range(BREACHED)]
    sections.append(section("down", "broken", 0.5))  # every call refused: the section's results are all errors
    suite = {"version": 1, "name": "many", "models": {"bot": HAIKU, "broken": SONNET}, "evaluations": sections}
    (folder / "suite.yml").write_text(yaml.safe_dump(suite, sort_keys=False), encoding="utf-8")


def test_at_most_ten_errors_are_annotated_most_important_first_and_a_notice_counts_the_rest(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    write_suite(workspace)
    world = hostile_world(tmp_path / "world.yml", "No magic today.")
    with world.open("a", encoding="utf-8") as fh:
        fh.write(f"faults:\n  - kind: access_denied\n    operation: Converse\n    target: '{SONNET}'\n")
    with Emulator(world=world, s3=False) as emu:
        env = action_env(
            workspace, {"suite": "evals/suite.yml", "endpoint-url": emu.endpoint, "aws-region": "us-east-1"}
        )
        env.update({"AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY})
        step = run_step(env, workspace)

    assert step.code == 3, step.log
    errors = [(props, message) for name, props, message in step.commands() if name == "error"]
    notices = [m for name, _, m in step.commands() if name == "notice" and not m.startswith("comment:")]
    assert len(errors) == 10
    # the section that could not be evaluated first, then its breaches (no value at all, then error_rate 1 > 0),
    # then the others' breaches, the largest miss first
    assert errors[0][0]["title"] == "Evaluation error" and "down: every case errored" in errors[0][1]
    assert [props["title"] for props, _ in errors[1:3]] == ["Threshold not met%3A down (broken)"] * 2
    assert "no value" in errors[1][1] and "error_rate" in errors[2][1]
    shown = [message.split(":")[0] for _, message in errors[3:]]
    assert shown == ["q11 (bot)", "q10 (bot)", "q9 (bot)", "q8 (bot)", "q7 (bot)", "q6 (bot)", "q5 (bot)"]
    left = 1 + 2 + BREACHED - 10  # the infra reason, down's two breaches, the twelve breaches
    assert notices == [
        f"{left} more problems not shown (GitHub shows 10 errors and 10 warnings a step): "
        "see the step summary or report.html"
    ]
