"""Progress lines: redrawn in place on a terminal (never wider than it), plain lines in CI logs."""

from __future__ import annotations

import io

import pytest

from evalcore.app.progress import Progress
from evalcore.engine.meter import Meter


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_progress(stream: io.StringIO, meter: Meter) -> str:
    with Progress(meter, stream, interval=0.01):
        for _ in range(5):
            meter.request()
            meter.case_done(errored=False)
    return stream.getvalue()


def test_a_terminal_gets_one_line_redrawn_in_place_within_its_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    monkeypatch.setenv("TERM", "xterm")

    text = run_progress(Terminal(), Meter(cases_total=5))

    assert text.endswith("\n") and text.count("\n") == 1
    frames = [f for f in text.rstrip("\n").split("\r\x1b[2K") if f]
    assert frames and all(len(f) < 50 for f in frames)
    assert frames[-1].startswith("5/5 cases (100%)")


@pytest.mark.parametrize("stream", [io.StringIO(), Terminal()], ids=["ci-log", "dumb-terminal"])
def test_a_log_gets_plain_lines(monkeypatch: pytest.MonkeyPatch, stream: io.StringIO) -> None:
    monkeypatch.setenv("TERM", "dumb")

    text = run_progress(stream, Meter(cases_total=5))

    assert "\r" not in text and "\x1b" not in text
    assert text.splitlines()[-1].startswith("5/5 cases (100%)")
    assert "throttled 0" in text and "cache hits 0" in text and "ETA" in text
