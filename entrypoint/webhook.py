"""The failure notification: with the `webhook-url` input (a secret), one POST of Slack-compatible JSON
(`{"text": ...}`, Slack's incoming webhooks: https://api.slack.com/messaging/webhooks) naming the suite, the
verdict, the case counts, the ref and the workflow run's URL.

When (`webhook-on`): `failure` (the default) when the verdict is not `passed` on any event but a pull request's
(a pull request has its comment; scheduled, push and manual runs have nobody watching); `schedule-failure` only
for scheduled runs; `always` for every verdict on every event.

The URL is a secret: it is masked (`::add-mask::`) before anything else is printed, and no message names it (a
failure says "the webhook"). Text from outside (the suite's name, the branch name, the verdict's reasons) is
escaped for Slack's mrkdwn (`&`, `<`, `>`: https://api.slack.com/reference/surfaces/formatting#escaping), so it
cannot ping a channel or forge a link. A failure to notify is a warning: it never changes the verdict.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping

from evalcore.domain.results import RunResult
from evalcore.github.pr_comment import GitHubContext

TIMEOUT_SECONDS = 10.0
_PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
_SHOWN_REASONS = 3


def should_notify(on: str, event_name: str | None, verdict: str) -> bool:
    if on == "always":
        return True
    if verdict == "passed":
        return False
    if on == "schedule-failure":
        return event_name == "schedule"
    return event_name not in _PULL_REQUEST_EVENTS


def mrkdwn(text: str) -> str:
    """Text shown as itself in Slack's mrkdwn: `&`, `<` and `>` escaped (control characters made spaces)."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(run: RunResult | None, suite: str, env: Mapping[str, str]) -> dict[str, str]:
    """The JSON body: `{"text": ...}`."""
    verdict = run.verdict.status if run is not None and run.verdict is not None else "error"
    code = run.verdict.exit_code if run is not None and run.verdict is not None else 3
    name = run.run.suite if run is not None else suite
    lines = [f"evalcore: *{mrkdwn(name)}* {verdict} (exit {code})"]
    if run is not None:
        counts = {"pass": 0, "fail": 0, "error": 0, "skipped": 0}
        for section in run.sections:
            for m in section.models:
                counts["pass"] += m.counts.passed
                counts["fail"] += m.counts.failed
                counts["error"] += m.counts.error
                counts["skipped"] += m.counts.skipped
        lines.append(", ".join(f"{n} {k}" for k, n in counts.items()) + f" of {sum(counts.values())} cases")
        reasons = run.verdict.reasons if run.verdict is not None else []
        lines.extend(f"• {mrkdwn(r[:300])}" for r in reasons[:_SHOWN_REASONS])
        if len(reasons) > _SHOWN_REASONS:
            lines.append(f"… and {len(reasons) - _SHOWN_REASONS} more reasons")
    ref = env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME")
    where = [f"{mrkdwn(env['GITHUB_REPOSITORY'])}" if env.get("GITHUB_REPOSITORY") else None]
    where.append(f"ref {mrkdwn(ref)}" if ref else None)
    if env.get("GITHUB_EVENT_NAME"):
        where.append(f"event {mrkdwn(env['GITHUB_EVENT_NAME'])}")
    shown = [w for w in where if w]
    if shown:
        lines.append(" · ".join(shown))
    url = GitHubContext.from_env(env=dict(env)).run_url()
    if url:
        lines.append(f"<{mrkdwn(url)}|the workflow run>")
    return {"text": "\n".join(lines)}


def post(url: str, body: dict[str, str]) -> str | None:
    """POST the body; None when the webhook took it, else one line of why, without the URL."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        return f"the webhook answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"the webhook could not be reached ({type(exc).__name__})"
    return None
