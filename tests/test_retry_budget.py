"""Retries by time budget: a throttled or transiently failing model call is retried until its budget (default
300 s after its first failure, longer than a per-minute quota window) is spent, not after a fixed 8 attempts; a
final error (ValidationException, access denied) is never retried. The budget is set in the suite
(`defaults.retry_budget_seconds`) or on the command line (`--retry-budget`), within 0-3600 s.

Against the emulator over HTTP with faults that clear; no assertion on timings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalcore.app.cli import main
from evalcore.bedrock.clients import Aws
from evalcore.domain.results import CASES_FILE, read_cases
from evalcore.engine.scheduler import Call, CallFailed, Scheduler
from evalcore_emulator import Emulator
from tests.direct_suite import HAIKU, use_emulator, world

SUITE = f"""\
version: 1
name: retries
models:
  haiku: {HAIKU}
evaluations:
  - name: qa
    dataset: data.jsonl
    models: [haiku]
    metrics: [token_f1]
"""


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Aws:
    use_emulator(monkeypatch, emulator)
    return Aws(pool_size=4)


def converse(aws: Aws, model: str = HAIKU) -> Call:
    client = aws.client("bedrock-runtime")

    def fn() -> dict[str, Any]:
        response = client.converse(modelId=model, messages=[{"role": "user", "content": [{"text": "hello"}]}])
        return {"output": response["output"]}

    return Call(model=model, fn=fn)


def suite(folder: Path, defaults: str = "") -> Path:
    (folder / "data.jsonl").write_text('{"prompt": "What is 2 + 2?", "referenceResponse": "4"}\n')
    path = folder / "suite.yml"
    path.write_text(SUITE + defaults)
    return path


def test_a_throttled_call_is_retried_past_eight_attempts_until_the_fault_clears(emulator: Emulator, aws: Aws) -> None:
    emulator.set_world(world(faults=[{"kind": "throttle", "operation": "Converse", "first": 20}]))
    scheduler = Scheduler(concurrency=1, base_delay=0.001, max_delay=0.01, seed=1)

    result = scheduler.call(converse(aws))

    assert result.attempts == 21
    assert [r.fault for r in emulator.requests("Converse")] == ["throttle"] * 20 + [None]


def test_retries_stop_when_the_time_budget_is_spent_with_the_reason(emulator: Emulator, aws: Aws) -> None:
    emulator.set_world(world(faults=[{"kind": "service_unavailable", "operation": "Converse"}]))
    scheduler = Scheduler(concurrency=1, base_delay=0.001, max_delay=0.01, retry_budget_seconds=0.2)

    with pytest.raises(CallFailed) as failed:
        scheduler.call(converse(aws))

    assert failed.value.attempts > 1
    assert failed.value.reason.startswith("ServiceUnavailableException")
    assert f"(after {failed.value.attempts} attempts: the retry budget of 0.2 s is spent)" in failed.value.reason
    assert len(emulator.requests("Converse")) == failed.value.attempts


def test_a_validation_error_is_never_retried_whatever_the_budget(emulator: Emulator, aws: Aws) -> None:
    scheduler = Scheduler(concurrency=1, base_delay=0.001, retry_budget_seconds=3600)

    with pytest.raises(CallFailed) as failed:
        scheduler.call(converse(aws, model="no.such-model-v1:0"))

    assert failed.value.attempts == 1 and failed.value.reason.startswith("ValidationException")
    assert len(emulator.requests("Converse")) == 1


@pytest.mark.parametrize(
    ("args", "defaults"),
    [(["--retry-budget", "0"], ""), ([], "defaults:\n  retry_budget_seconds: 0\n")],
    ids=["command-line", "suite"],
)
def test_a_budget_of_zero_from_the_command_line_or_the_suite_makes_one_attempt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator, args: list[str], defaults: str
) -> None:
    use_emulator(monkeypatch, emulator)
    emulator.set_world(world(faults=[{"kind": "throttle", "operation": "Converse", "first": 1}]))
    out = tmp_path / "out"

    code = main(["run", str(suite(tmp_path, defaults)), "--out", str(out), "--no-cache", "--quiet", *args])

    [case] = list(read_cases(out / CASES_FILE))
    assert (code, case.status, case.attempts) == (3, "error", 1)
    assert case.reason == (
        "model call failed: ThrottlingException: Too many requests, please wait before trying again. "
        "(the retry budget of 0 s is spent)"
    )


def test_the_default_budget_retries_a_throttled_case_to_a_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    use_emulator(monkeypatch, emulator)
    emulator.set_world(world(faults=[{"kind": "throttle", "operation": "Converse", "first": 2}]))
    out = tmp_path / "out"

    code = main(["run", str(suite(tmp_path)), "--out", str(out), "--no-cache", "--quiet"])

    [case] = list(read_cases(out / CASES_FILE))
    assert (code, case.status, case.attempts) == (0, "pass", 3)


@pytest.mark.parametrize("value", ["nan", "-5", "inf", "7200", "2h", "soon"])
def test_a_budget_outside_0_to_3600_seconds_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", str(suite(tmp_path)), "--retry-budget", value])

    assert exited.value.code == 2
    assert "--retry-budget" in capsys.readouterr().err


def test_a_suite_budget_outside_0_to_3600_seconds_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = suite(tmp_path, "defaults:\n  retry_budget_seconds: 7200\n")

    assert main(["validate", str(path)]) == 2
    assert "defaults.retry_budget_seconds" in capsys.readouterr().err


def test_an_endpoint_nobody_answers_is_given_up_on_its_own_short_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused connection (a wrong --endpoint-url, nothing listening) is no quota window to wait out: it gets
    UNREACHABLE_BUDGET_SECONDS, not the 300 s budget, so a misconfigured run fails in seconds, not minutes."""
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example")
    out = tmp_path / "out"
    code = main(
        [
            *("run", str(suite(tmp_path)), "--out", str(out), "--no-cache", "--quiet"),
            *("--endpoint-url", f"http://127.0.0.1:{port}", "--region", "us-east-1"),
        ]
    )

    assert code == 3
    [case] = list(read_cases(out / CASES_FILE))
    assert case.status == "error"
    assert case.reason is not None and "the 30 s budget for an endpoint that does not answer is spent" in case.reason
