"""Credentials: which environment variables hold them, what looks like one in untrusted text, and redaction.
Shared by the results file (a model may repeat a key it was shown) and the Action's log.

Redaction works on a text value (what a model, an agent, a dataset or an error said), never on a serialized
record: a value that looks like a credential is replaced wherever it occurs in that text, and only there."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

# Variables whose values are credentials; the token input is one too (`INPUT_GITHUB-TOKEN`).
SECRET_VARIABLES = (
    "INPUT_GITHUB-TOKEN",
    "GITHUB_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
)
# Variables that may hold an endpoint URL with a user and password in it (botocore reads AWS_ENDPOINT_URL and
# AWS_ENDPOINT_URL_<SERVICE>; the Action's `endpoint-url` input): the password is a known secret.
_URL_VARIABLES = ("AWS_ENDPOINT_URL", "INPUT_ENDPOINT-URL")
REDACTED = "***"
_LOOKS_SECRET = (
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),  # AWS access key ids
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b"),  # GitHub tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{30,}\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),  # Slack tokens
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"(?<=://)([^\s/?#@:]*:[^\s/?#@]+)(?=@)"),  # the user:password of a URL
    re.compile(
        r"(?i)\b(?:aws_secret_access_key|secret|password|passwd|api[_-]?key|token)\b\s*[:=]\s*[\"']?([^\s\"'\\]{8,})"
    ),
)
_SHORTEST_SECRET = 6  # shorter values would redact ordinary words


@dataclass(frozen=True)
class Secrets:
    known: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str], extra: Iterable[str] = ()) -> Secrets:
        values = [env.get(name, "").strip() for name in SECRET_VARIABLES]
        urls = (value for name, value in env.items() if name.upper().startswith(_URL_VARIABLES))
        values.extend(password for url in urls if (password := url_password(url)))
        values.extend(extra)
        kept = {v for v in values if len(v) >= _SHORTEST_SECRET}
        return cls(tuple(sorted(kept, key=len, reverse=True)))

    def redact(self, text: str) -> str:
        for value in self.known:
            text = text.replace(value, REDACTED)
        return text


def url_password(url: str | None) -> str | None:
    """The password of a URL such as `https://user:pass@host/` (None without one, or when it is not a URL)."""
    if not url:
        return None
    try:
        return urlsplit(url.strip()).password or None
    except ValueError:
        return None


def without_userinfo(url: str) -> str:
    """`url` without its `user:password@` part."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def looks_secret(text: str) -> list[str]:
    """Substrings of `text` that look like credentials, each once, longest first."""
    found: set[str] = set()
    for pattern in _LOOKS_SECRET:
        for match in pattern.finditer(text):
            found.add(match.group(match.lastindex or 0))
    return sorted(found, key=len, reverse=True)


def redact_credentials(text: str, secrets: Secrets) -> str:
    """`text` without the known secrets and without anything that looks like a credential."""
    text = secrets.redact(text)
    for found in looks_secret(text):
        text = text.replace(found, REDACTED)
    return text
