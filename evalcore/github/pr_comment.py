"""Post (or update) the sticky pull-request comment for a results directory.

Used by the Action after a run and by `evalcore comment --from DIR` in the fork-safe `workflow_run` pattern. A
comment problem is a warning, never a changed verdict: `post_comment` returns what happened and never raises.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from evalcore.domain.compare import compare
from evalcore.domain.results import CASES_FILE, RUN_FILE, ResultsFile, RunResult, read_run
from evalcore.github.baseline import Baseline, BaselineError, load_baseline
from evalcore.github.client import GitHub, GitHubError
from evalcore.report.comment import Links, marker, render_comment
from evalcore.report.flaky import run_markdown


@dataclass
class GitHubContext:
    """What the workflow tells us, from the GITHUB_* environment and the event payload."""

    repository: str | None = None
    api_url: str = "https://api.github.com"
    server_url: str = "https://github.com"
    event_name: str | None = None
    event: dict[str, Any] = field(default_factory=dict)
    sha: str | None = None
    run_id: str | None = None
    base_ref: str | None = None
    token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, token: str | None = None, env: dict[str, str] | None = None) -> GitHubContext:
        env = dict(os.environ) if env is None else env
        event: dict[str, Any] = {}
        path = env.get("GITHUB_EVENT_PATH")
        if path and Path(path).is_file():
            try:
                event = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                event = {}
        return cls(
            repository=env.get("GITHUB_REPOSITORY"),
            api_url=env.get("GITHUB_API_URL", "https://api.github.com"),
            server_url=env.get("GITHUB_SERVER_URL", "https://github.com"),
            event_name=env.get("GITHUB_EVENT_NAME"),
            event=event,
            sha=env.get("GITHUB_SHA"),
            run_id=env.get("GITHUB_RUN_ID"),
            base_ref=env.get("GITHUB_BASE_REF") or None,
            token=token if token is not None else env.get("GITHUB_TOKEN"),
        )

    @property
    def pull_request(self) -> dict[str, Any]:
        return dict(self.event.get("pull_request") or {})

    def is_fork_pull_request(self) -> bool:
        """A `pull_request` from a fork runs with a read-only token and no secrets."""
        pr = self.pull_request
        head = ((pr.get("head") or {}).get("repo") or {}).get("full_name")
        base = ((pr.get("base") or {}).get("repo") or {}).get("full_name")
        return self.event_name == "pull_request" and bool(head) and head != base

    def base_branch(self) -> str | None:
        return (self.pull_request.get("base") or {}).get("ref") or self.base_ref

    def run_url(self) -> str | None:
        if self.repository and self.run_id:
            return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"
        return None


def pull_request_numbers(ctx: GitHubContext, gh: GitHub) -> list[int]:
    """The pull requests a comment belongs to, for each event that can carry one."""
    if ctx.event_name in ("pull_request", "pull_request_target") and ctx.pull_request.get("number"):
        return [int(ctx.pull_request["number"])]
    if ctx.event_name == "workflow_run":
        run = ctx.event.get("workflow_run") or {}
        numbers = [int(p["number"]) for p in run.get("pull_requests") or [] if p.get("number")]
        if numbers:
            return numbers
        # A fork's workflow_run lists no pull requests: find them by the head branch of the head repository.
        owner = ((run.get("head_repository") or {}).get("owner") or {}).get("login")
        branch = run.get("head_branch")
        if owner and branch and ctx.repository:
            resp = gh.request(
                "GET", f"/repos/{ctx.repository}/pulls", params={"state": "open", "head": f"{owner}:{branch}"}
            )
            return [int(p["number"]) for p in resp.json()]
        return []
    if ctx.event_name == "push" and ctx.sha:
        return gh.pulls_for_commit(ctx.sha)
    return []


def with_flaky_cases(body: str, run: RunResult) -> str:
    """The comment with a small section listing flaky and quarantined cases (report/flaky.py), when there are any."""
    section = run_markdown(run)
    return f"{body.rstrip()}\n\n{section}\n" if section else body


def post_comment(
    out: Path,
    ctx: GitHubContext,
    mode: Literal["auto", "always", "never"] = "auto",
    baseline_spec: str | None = None,
    s3: Any = None,
    min_effect: float = 0.02,
    report_hint: str | None = None,
    github: GitHub | None = None,
    trend: str | None = None,
) -> str:
    """Post the comment; returns one line saying what happened (for the log). Never raises."""
    if mode == "never":
        return "comment: off (comment: never)"
    if not ctx.token or not ctx.repository:
        return "comment: skipped: no GitHub token or repository (pass `github-token`)"
    if mode == "auto" and ctx.is_fork_pull_request():
        return (
            "comment: skipped: a pull request from a fork gets a read-only token; the step summary has the results "
            "(see the README for the two-workflow pattern that comments on forks)"
        )
    try:
        run = read_run(out / RUN_FILE)
    except (OSError, ValueError) as exc:
        return f"comment: skipped: cannot read the results: {exc}"
    gh = github or GitHub(repository=ctx.repository, token=ctx.token, api_url=ctx.api_url)
    comparison, note = None, None
    if baseline_spec:
        try:
            baseline: Baseline | None = load_baseline(
                baseline_spec, run.run.suite, ctx.base_branch(), out, github=gh, s3=s3
            )
        except BaselineError as exc:
            baseline, note = None, f"baseline unavailable: {exc}"
        if baseline is not None:
            try:
                comparison = compare(baseline.run, baseline.cases, run, ResultsFile(out / CASES_FILE), min_effect)
            except (OSError, ValueError) as exc:  # the results files are read as they are compared
                note = f"baseline unavailable: {exc}"
    body = render_comment(run, comparison, Links(run_url=ctx.run_url(), report_hint=report_hint), trend=trend)
    body = with_flaky_cases(body, run)
    try:
        numbers = pull_request_numbers(ctx, gh)
        if not numbers:
            return "comment: skipped: no pull request for this event"
        outcomes = [f"#{n} {gh.upsert_comment(n, body, marker(run.run.suite))[0]}" for n in numbers]
    except GitHubError as exc:
        if exc.read_only:
            return f"comment: skipped: the token may not comment here ({exc.status}); grant `pull-requests: write`"
        return f"comment: failed: {exc}"
    suffix = f" ({note})" if note else ""
    return "comment: " + ", ".join(outcomes) + suffix
