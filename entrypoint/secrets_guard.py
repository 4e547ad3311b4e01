"""What must never reach the log: the token and AWS credentials (redacted wherever the adapter writes; see
evalcore/secrets.py), and anything in untrusted text that looks like a secret (registered with `::add-mask::`
before it is printed). Here: the secret an input can carry."""

from __future__ import annotations

from urllib.parse import urlsplit


def url_password(url: str | None) -> str | None:
    """The password of a URL such as `https://user:pass@host/`, a secret derived from an input."""
    if not url:
        return None
    try:
        return urlsplit(url).password
    except ValueError:
        return None
