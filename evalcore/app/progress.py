"""Progress on stderr: a live line on a terminal (done/total, rate, ETA, throttles, cache hits, tokens), plain
lines every `interval` seconds otherwise (CI logs). The live line is cut to the terminal's width: a line that
wrapped could not be redrawn in place. A terminal with TERM=dumb gets the plain lines."""

from __future__ import annotations

import os
import shutil
import sys
import threading
from typing import TextIO

from evalcore.engine.meter import Meter, MeterSnapshot


def format_progress(s: MeterSnapshot) -> str:
    rate = s.cases_done / s.elapsed if s.elapsed > 0 else 0.0
    left = s.cases_total - s.cases_done
    eta = f"{int(left / rate) // 60}:{int(left / rate) % 60:02d}" if rate > 0 and left > 0 else "-"
    pct = 100 * s.cases_done / s.cases_total if s.cases_total else 100.0
    tokens = s.model_tokens + s.judge_tokens
    return (
        f"{s.cases_done}/{s.cases_total} cases ({pct:.0f}%)  {rate:.1f}/s  ETA {eta}  "
        f"throttled {s.throttles}  retries {s.retries}  cache hits {s.cache_hits}  errors {s.errors}  "
        f"tokens {_si(tokens)}"
    )


def _si(n: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


class Progress:
    def __init__(self, meter: Meter, stream: TextIO | None = None, interval: float | None = None) -> None:
        self.meter = meter
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        self.interval = interval if interval is not None else (0.5 if self.live else 10.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="evalcore-progress", daemon=True)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._print(final=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._print()

    def _print(self, final: bool = False) -> None:
        line = format_progress(self.meter.snapshot())
        if self.live:
            width = shutil.get_terminal_size().columns
            if len(line) >= width:
                line = line[: max(0, width - 4)] + "..."
            self.stream.write("\r\x1b[2K" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
