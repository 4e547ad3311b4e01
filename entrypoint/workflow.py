"""Workflow commands: the lines on stdout the runner turns into annotations, log groups and masks.

Data is escaped (`%`, CR, LF) and so are properties (also `:` and `,`); other control characters and the
bidirectional overrides are shown as `\\xNN` / `\\uNNNN`, never sent to the log, wherever the text came from (an
input echoed in an error is as untrusted as a model's answer). Untrusted text (model answers, dataset
text, whatever the core prints while it runs) goes out between `::stop-commands::<token>` and `::<token>::` with a
random token, so that text cannot issue commands; secret-looking parts of it are masked first.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr
from typing import Literal, TextIO

from evalcore.report.plain import visible
from evalcore.text.secrets import Secrets, looks_secret

Level = Literal["error", "warning", "notice"]


def escape_data(text: str) -> str:
    return visible(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class Workflow:
    """Writes commands and log text to `stream`; every line passes through the redaction of known secrets."""

    def __init__(self, stream: TextIO, secrets_: Secrets) -> None:
        self.stream = stream
        self.secrets = secrets_
        self._annotated: dict[str, int] = {}

    def line(self, text: str = "") -> None:
        self.stream.write(self.secrets.redact(text) + "\n")

    def command(self, name: str, message: str = "", **properties: str | int | None) -> None:
        props = ",".join(
            f"{key}={escape_property(self.secrets.redact(str(value)))}"
            for key, value in properties.items()
            if value is not None
        )
        head = f"::{name} {props}" if props else f"::{name}"
        self.line(f"{head}::{escape_data(self.secrets.redact(message))}")

    def annotate(
        self, level: Level, message: str, file: str | None = None, line: int | None = None, title: str | None = None
    ) -> None:
        self._annotated[level] = self._annotated.get(level, 0) + 1
        self.command(level, message, file=file, line=line, title=title)

    def annotated(self, level: Level) -> int:
        """How many annotations of `level` this step has made (GitHub shows 10 errors and 10 warnings a step)."""
        return self._annotated.get(level, 0)

    def mask(self, value: str) -> None:
        """Tell the runner to hide `value` in every later line of the job's log (the core's output too). This one
        command carries the value as it is, not redacted: `::add-mask::***` would hide nothing. The runner does not
        echo the command."""
        if value.strip():
            self.stream.write(f"::add-mask::{escape_data(value)}\n")

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self.command("group", title)
        try:
            yield
        finally:
            self.command("endgroup")

    def show_untrusted(self, text: str) -> None:
        """Print untrusted text with commands off, after masking whatever in it looks like a secret; control
        characters (terminal escapes, NUL, carriage returns) are shown as `\\xNN`, never sent to the log."""
        for value in looks_secret(self.secrets.redact(text)):
            self.mask(value)
        with self.untrusted():
            self.line(visible(text))

    @contextmanager
    def untrusted(self) -> Iterator[None]:
        """Commands are off for whatever is printed inside. What goes to stderr meanwhile is sent to this stream
        too: the runner reads stdout and stderr through separate pipes, and only one stream keeps the order of
        the stop token, the text and the resume token."""
        token = secrets.token_hex(16)
        self.command("stop-commands", token)
        self._flush()
        try:
            with redirect_stderr(self.stream):
                yield
        finally:
            self._flush()
            self.line(f"::{token}::")
            self._flush()

    def _flush(self) -> None:
        for stream in (sys.stderr, sys.stdout, self.stream):
            stream.flush()
