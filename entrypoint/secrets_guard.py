"""What must never reach the log: the token and AWS credentials (redacted wherever the adapter writes; see
evalcore/text/secrets.py), and anything in untrusted text that looks like a secret (registered with `::add-mask::`
before it is printed). Here: the secret an input can carry, the password of the `endpoint-url` input (the core
reads it the same way, as a known secret of the run)."""

from __future__ import annotations

from evalcore.text.secrets import url_password

__all__ = ["url_password"]
