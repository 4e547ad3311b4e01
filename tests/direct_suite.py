"""Direct-mode suites for tests: written into a temporary folder and run against the test emulator, in process
(`run`) or as the `evalcore` command (`cli`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcore.app.orchestrate import RunOptions, RunOutcome, run_suite
from evalcore.domain.results import CASES_FILE, CaseResult, final_cases
from evalcore_emulator import Emulator, World, load_world

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
JUDGE = SONNET
# Prompts the default world knows, with its correct answers as the references.
QUESTIONS: list[tuple[str, str]] = list(load_world().answers.items())


def records(count: int = 10) -> list[dict[str, Any]]:
    return [{"prompt": p, "referenceResponse": r, "category": "facts"} for p, r in QUESTIONS[:count]]


def write_suite(
    folder: Path,
    metrics: list[Any] | None = None,
    models: dict[str, Any] | None = None,
    rows: list[dict[str, Any]] | None = None,
    **evaluation: Any,
) -> Path:
    """A suite with one direct evaluation `qa` over `rows` (default: ten known questions)."""
    folder.mkdir(parents=True, exist_ok=True)
    dataset = folder / "qa.jsonl"
    dataset.write_text("".join(json.dumps(r) + "\n" for r in (rows if rows is not None else records())))
    models = models or {"haiku": HAIKU, "sonnet": SONNET}
    suite = {
        "version": 1,
        "name": "direct-test",
        "defaults": {"concurrency": 4, "judge": JUDGE, "inference": {"max_tokens": 128, "temperature": 0.0}},
        "models": models,
        "evaluations": [
            {
                "name": "qa",
                "dataset": "qa.jsonl",
                "models": list(models),
                "metrics": metrics if metrics is not None else ["token_f1", {"contains": "{{referenceResponse}}"}],
                "thresholds": {"error_rate": {"max": 1.0}},
                **evaluation,
            }
        ],
    }
    path = folder / "suite.yml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def use_emulator(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    """Point this process's AWS settings (credentials, region, endpoints) at the emulator."""
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)


def run(suite: Path, out: Path, cache_dir: Path | None = None, resume: bool = False, **options: Any) -> RunOutcome:
    return run_suite(
        RunOptions(
            suite=suite,
            out=out,
            resume=resume,
            cache_dir=cache_dir,
            progress=False,
            log=lambda line: None,
            **options,
        )
    )


def cli(emulator: Emulator, *args: str, **popen: Any) -> subprocess.Popen[str]:
    """`evalcore ARGS` in a child process that talks to the emulator."""
    env = {**os.environ, **emulator.env(), "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "evalcore.app.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def results(out: Path) -> dict[str, CaseResult]:
    return {c.case_id: c for c in final_cases(out / CASES_FILE)}


def world(**changes: Any) -> World:
    """The default world with some top-level keys replaced (faults, judge, models...)."""
    data = load_world().model_dump(exclude_none=True)
    data.update(changes)
    return World.model_validate(data)
