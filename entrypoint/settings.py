"""The Action's inputs, typed: every `INPUT_*` variable is a string; this is where they become settings or a
one-line error that names the input.

The runner passes input `out-dir` as `INPUT_OUT-DIR` (upper-cased, hyphens kept) and fills in `action.yml`'s
defaults; an input left empty means its default here too. The token is a SecretStr: it never shows in `repr`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, ValidationInfo, field_validator

from entrypoint.suite_list import suite_files
from entrypoint.workspace import OutsideWorkspace, confine
from evalcore.app.defaults import CACHE_DIR, OUT_DIR
from evalcore.domain.results import CASES_FILE, RUN_FILE

INPUTS = (
    "suite",
    "models",
    "thresholds",
    "sections",
    "out-dir",
    "concurrency",
    "aws-region",
    "endpoint-url",
    "cache-dir",
    "baseline",
    "comment",
    "github-token",
    "fail-on",
    "junit-failures",
    "emulator",
    "shard",
    "merge",
    "history",
    "drift",
    "changed-only",
    "max-cost-usd",
    "webhook-url",
    "webhook-on",
)
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")
_NAME = re.compile(r"^[^\s,]+$")
_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


class InvalidInput(Exception):
    """An input a user must fix: `input` names it, `message` says what is wrong in one line."""

    def __init__(self, input_name: str, message: str) -> None:
        self.input = input_name
        self.message = message
        super().__init__(f"input '{input_name}': {message}")


def env_name(input_name: str) -> str:
    """The variable the runner sets for an input: `out-dir` -> `INPUT_OUT-DIR`."""
    return "INPUT_" + input_name.replace(" ", "_").upper()


def shown(value: str) -> str:
    """An input's value quoted on one line (newlines visible, long values cut)."""
    text = value if len(value) <= 80 else value[:77] + "..."
    return "'" + text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n") + "'"


def _items(value: str) -> list[str] | None:
    """A list input: comma- or newline-separated names; empty means none given."""
    items = [item.strip() for line in value.splitlines() for item in line.split(",")]
    items = [item for item in items if item]
    for item in items:
        if not _NAME.match(item):
            raise ValueError(f"{shown(item)} is not a name or id")
    return items or None


class ActionSettings(BaseModel):
    """The validated inputs. Paths are relative to `workspace` and proven to stay inside it."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, hide_input_in_errors=True)

    workspace: Path
    suites: tuple[Path, ...] = Field(alias="suite")  # one or more suite files (entrypoint.suite_list)
    models: list[str] | None = None
    thresholds: list[str] = Field(default_factory=list)
    sections: list[str] | None = None
    out_dir: Path = Field(OUT_DIR, alias="out-dir")
    concurrency: int | None = None
    aws_region: str | None = Field(None, alias="aws-region")
    endpoint_url: str | None = Field(None, alias="endpoint-url")
    cache_dir: Path = Field(CACHE_DIR, alias="cache-dir")
    baseline: str | None = None
    comment: Literal["auto", "always", "never", "changes", "failures"] = "auto"
    github_token: SecretStr | None = Field(None, alias="github-token")
    fail_on: Literal["threshold", "error", "never"] = Field("threshold", alias="fail-on")
    junit_failures: Literal["gate", "cases"] = Field("gate", alias="junit-failures")
    emulator: bool = False
    shard: str | None = None
    merge: list[Path] | None = None
    history: str | None = None  # a history file in the workspace or s3://bucket/prefix/ (evalcore.app.history_store)
    drift: Literal["off", "warn", "fail"] = "off"
    max_cost_usd: float | None = Field(None, alias="max-cost-usd")
    webhook_url: SecretStr | None = Field(None, alias="webhook-url")  # a secret: never shown, never in an error
    webhook_on: Literal["failure", "schedule-failure", "always"] = Field("failure", alias="webhook-on")
    changed_only: bool = Field(False, alias="changed-only")

    @property
    def suite(self) -> Path:
        """The suite of a one-suite step (the first of several: `for_suite` gives each its own settings)."""
        return self.suites[0]

    def suite_out_dir(self, suite: Path) -> Path:
        """Where a suite's results go: out-dir itself for one suite, else out-dir/<suite path without extension>."""
        return self.out_dir if len(self.suites) == 1 else self.out_dir / suite.with_suffix("")

    def for_suite(self, suite: Path) -> ActionSettings:
        """These settings for one of the suites, writing to its own results folder."""
        update: dict[str, Any] = {"suites": (suite,), "out_dir": self.suite_out_dir(suite)}
        local_baseline = self.baseline and not self.baseline.startswith(("s3://", "artifact:"))
        if local_baseline and len(self.suites) > 1:  # a many-suite step's results, as out-dir lays them out
            update["baseline"] = str(Path(self.baseline or "") / suite.with_suffix(""))
        return self.model_copy(update=update)

    @field_validator("suites", mode="before")
    @classmethod
    def _suite_files(cls, value: Any, info: ValidationInfo) -> tuple[Path, ...]:
        return suite_files(str(value), info.data["workspace"])

    @field_validator("out_dir", "cache_dir", mode="before")
    @classmethod
    def _inside_workspace(cls, value: Any, info: ValidationInfo) -> Path:
        workspace: Path = info.data["workspace"]
        text = str(value).strip()
        path = confine(text, workspace)
        if (workspace / path).exists() and not (workspace / path).is_dir():
            raise ValueError(f"{shown(text)} is a file, not a directory")
        return path

    @field_validator("models", "sections", mode="before")
    @classmethod
    def _names(cls, value: Any) -> list[str] | None:
        return _items(str(value))

    @field_validator("thresholds", mode="before")
    @classmethod
    def _threshold_lines(cls, value: Any) -> list[str]:
        lines = [line.strip() for line in str(value).splitlines()]
        lines = [line for line in lines if line and not line.startswith("#")]
        for line in lines:
            if ">=" not in line and "<=" not in line:
                raise ValueError(f"{shown(line)} is not a threshold (one per line, e.g. qa.Builtin.Correctness>=0.85)")
        return lines

    @field_validator("concurrency", mode="before")
    @classmethod
    def _concurrency(cls, value: Any) -> int:
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError(f"{shown(text)} is not a whole number (1 to 1024)")
        number = int(text)
        if not 1 <= number <= 1024:
            raise ValueError(f"{number} is out of range (1 to 1024)")
        return number

    @field_validator("aws_region", mode="before")
    @classmethod
    def _region(cls, value: Any) -> str:
        text = str(value).strip()
        if not _REGION.match(text):
            raise ValueError(f"{shown(text)} is not an AWS region (e.g. us-east-1)")
        return text

    @field_validator("endpoint_url", mode="before")
    @classmethod
    def _endpoint(cls, value: Any) -> str:
        text = str(value).strip()
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises for a port that is not a number
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("not an http(s) URL (e.g. https://bedrock-runtime.us-east-1.amazonaws.com)")
        return text

    @field_validator("baseline", mode="before")
    @classmethod
    def _baseline(cls, value: Any, info: ValidationInfo) -> str:
        text = str(value).strip()
        if text.startswith("s3://"):
            if not re.fullmatch(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?", text):
                raise ValueError(f"{shown(text)} is not an S3 URI (s3://bucket/prefix/)")
            return text
        if text.startswith("artifact:"):
            if not re.fullmatch(r"artifact:[A-Za-z0-9._-]+", text):
                raise ValueError(f"{shown(text)} is not an artifact name (artifact:NAME)")
            return text
        if "://" in text:
            raise ValueError(f"{shown(text)}: give a path in the workspace, s3://bucket/prefix/ or artifact:NAME")
        return str(confine(text, info.data["workspace"]))

    @field_validator("history", mode="before")
    @classmethod
    def _history(cls, value: Any, info: ValidationInfo) -> str:
        text = str(value).strip()
        if text.startswith("s3://"):
            if not re.fullmatch(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?", text):
                raise ValueError(f"{shown(text)} is not an S3 URI (s3://bucket/prefix/)")
            return text
        if "://" in text:
            raise ValueError(f"{shown(text)}: give a file in the workspace (e.g. history.jsonl) or s3://bucket/prefix/")
        return str(info.data["workspace"] / confine(text, info.data["workspace"]))

    @field_validator("max_cost_usd", mode="before")
    @classmethod
    def _usd(cls, value: Any) -> float:
        text = str(value).strip().removeprefix("$")
        try:
            usd = float(text)
        except ValueError:
            usd = math.nan
        if not math.isfinite(usd) or usd <= 0:
            raise ValueError(f"{shown(str(value))} is not an amount of USD above 0 (e.g. 2.50)")
        return usd

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _webhook(cls, value: Any) -> SecretStr:
        text = (value.get_secret_value() if isinstance(value, SecretStr) else str(value)).strip()
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises for a port that is not a number
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or any(c.isspace() for c in text)
        ):
            raise ValueError("not an http(s) URL (pass the webhook's URL alone, from a secret)")  # never the value
        return SecretStr(text)

    @field_validator("comment", "fail_on", "junit_failures", "drift", "webhook_on", mode="before")
    @classmethod
    def _choice(cls, value: Any, info: ValidationInfo) -> str:
        text = str(value).strip().lower()
        choices = get_args(cls.model_fields[info.field_name or ""].annotation)
        if text not in choices:
            raise ValueError(f"{shown(str(value))} is not one of {', '.join(choices)}")
        return text

    @field_validator("github_token", mode="before")
    @classmethod
    def _token(cls, value: Any) -> SecretStr:
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if any(ch.isspace() for ch in text.strip()):
            raise ValueError("the token contains white space (pass the token alone)")
        return SecretStr(text.strip())

    @field_validator("shard", mode="before")
    @classmethod
    def _shard(cls, value: Any, info: ValidationInfo) -> str:
        if len(info.data.get("suites", ())) > 1:
            raise ValueError("shards are of one suite: give one suite with 'shard'")
        text = str(value).strip()
        match = re.fullmatch(r"(\d+)/(\d+)", text)
        if not match or not 1 <= int(match[1]) <= int(match[2]):
            raise ValueError(f"{shown(text)} is not a shard: i/n with 1 <= i <= n, e.g. 2/4")
        return text

    @field_validator("merge", mode="before")
    @classmethod
    def _shard_dirs(cls, value: Any, info: ValidationInfo) -> list[Path]:
        if info.data.get("shard"):
            raise ValueError("give either 'shard' (run one shard) or 'merge' (combine the shards' results), not both")
        if len(info.data.get("suites", ())) > 1:
            raise ValueError("shards are of one suite: give one suite with 'merge'")
        workspace: Path = info.data["workspace"]
        dirs = []
        for line in str(value).splitlines():
            if not line.strip():
                continue
            path = confine(line.strip(), workspace)
            if not (workspace / path).is_dir():
                raise ValueError(f"{shown(line.strip())}: no such directory in the workspace (a shard's out-dir)")
            if not all((workspace / path / name).is_file() for name in (RUN_FILE, CASES_FILE)):
                raise ValueError(f"{shown(line.strip())}: no results.json and results.jsonl here (a shard's out-dir)")
            dirs.append(path)
        return dirs

    @field_validator("drift")
    @classmethod
    def _drift_needs_history(cls, value: str, info: ValidationInfo) -> str:
        if value != "off" and not info.data.get("history"):
            raise ValueError(f"'{value}' needs the input 'history' (the runs to compare with)")
        return value

    @field_validator("emulator", "changed_only", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> bool:
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{shown(str(value))} is not true or false")


def read_settings(env: Mapping[str, str], workspace: Path) -> ActionSettings:
    """The settings from the runner's environment; raises InvalidInput for the first bad input."""
    raw: dict[str, Any] = {"workspace": workspace}
    for name in INPUTS:
        value = env.get(env_name(name), "")
        if value.strip():
            raw[name] = value
    if "suite" not in raw:
        raise InvalidInput("suite", "required: the path of the suite file in the repository (e.g. evals/suite.yml)")
    try:
        return ActionSettings.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = str(error["loc"][0]) if error["loc"] else "suite"
        cause = error.get("ctx", {}).get("error")
        message = str(cause) if isinstance(cause, (ValueError, OutsideWorkspace)) else error["msg"]
        raise InvalidInput(_input_name(name), message) from None


def _input_name(field: str) -> str:
    alias = ActionSettings.model_fields[field].alias if field in ActionSettings.model_fields else None
    return alias or field
