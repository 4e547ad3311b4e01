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

from evalcore.domain.compare import Comparison, compare
from evalcore.domain.results import CASES_FILE, RUN_FILE, ResultsFile, RunResult, read_run
from evalcore.github.baseline import Baseline, BaselineError, load_baseline
from evalcore.github.client import GitHub, GitHubError
from evalcore.report.comment import (
    MAX_COMMENT,
    Links,
    SuiteSection,
    marker,
    render_comment,
    render_suites_comment,
    suites_marker,
)
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


CommentMode = Literal["auto", "always", "never", "changes", "failures"]


@dataclass
class SuiteOutcome:
    """One suite of a many-suite step, for the shared comment: its file, how it ended, and its results folder when
    it produced one (`status` skipped or error without results: `reason` says why)."""

    suite_file: str
    status: str  # passed, failed, error or skipped
    out: Path | None = None
    reason: str | None = None
    baseline_spec: str | None = None


def _needed(mode: CommentMode, status: str, comparison: Comparison | None) -> bool:
    """Whether a suite's section asks for a comment: `failures` when the verdict is not passed, `changes` also when
    a score changed significantly (a regression or an improvement against the baseline)."""
    if status == "skipped":
        return False
    if mode in ("auto", "always") or status != "passed":
        return True
    return mode == "changes" and comparison is not None and bool(comparison.regressions or comparison.improvements)


def _compared(
    out: Path, run: RunResult, baseline_spec: str | None, ctx: GitHubContext, gh: GitHub, s3: Any, min_effect: float
) -> tuple[Comparison | None, str | None]:
    """The run against its baseline, and a note when the baseline could not be had."""
    if not baseline_spec:
        return None, None
    try:
        baseline: Baseline | None = load_baseline(
            baseline_spec, run.run.suite, ctx.base_branch(), out, github=gh, s3=s3
        )
    except BaselineError as exc:
        return None, f"baseline unavailable: {exc}"
    if baseline is None:
        return None, None
    try:
        return compare(baseline.run, baseline.cases, run, ResultsFile(out / CASES_FILE), min_effect), None
    except (OSError, ValueError) as exc:  # the results files are read as they are compared
        return None, f"baseline unavailable: {exc}"


def _skip_reason(mode: CommentMode, ctx: GitHubContext) -> str | None:
    if mode == "never":
        return "comment: off (comment: never)"
    if not ctx.token or not ctx.repository:
        return "comment: skipped: no GitHub token or repository (pass `github-token`)"
    if mode != "always" and ctx.is_fork_pull_request():
        return (
            "comment: skipped: a pull request from a fork gets a read-only token; the step summary has the results "
            "(see the README for the two-workflow pattern that comments on forks)"
        )
    return None


def _send(ctx: GitHubContext, gh: GitHub, body: str | None, mark: str, why_not: str) -> str:
    """Post or update the comment `body` on each pull request of the event; without a body (not needed) delete the
    one an earlier run left, so no stale verdict stays on the pull request."""
    try:
        numbers = pull_request_numbers(ctx, gh)
        if not numbers:
            return "comment: skipped: no pull request for this event"
        if body is None:
            return "comment: " + ", ".join(f"#{n} {gh.delete_comment(n, mark)}" for n in numbers) + f" ({why_not})"
        return "comment: " + ", ".join(f"#{n} {gh.upsert_comment(n, body, mark)[0]}" for n in numbers)
    except GitHubError as exc:
        if exc.read_only:
            return f"comment: skipped: the token may not comment here ({exc.status}); grant `pull-requests: write`"
        return f"comment: failed: {exc}"


def with_flaky_cases(body: str, run: RunResult, limit: int = MAX_COMMENT) -> str:
    """The comment with a small section listing flaky and quarantined cases (report/flaky.py), when there are any,
    cut at a line to keep the whole within `limit` characters (GitHub's comment limit, or a suite's share of it)."""
    section = run_markdown(run)
    if not section:
        return body
    room = limit - len(body.rstrip()) - 3
    if len(section) > room:
        note = "\n- … cut to fit the comment: see the step summary"
        section = section[: max(0, room - len(note))].rsplit("\n", 1)[0] + note
        if len(section) > room:
            return body
    return f"{body.rstrip()}\n\n{section}\n"


def post_comment(
    out: Path,
    ctx: GitHubContext,
    mode: CommentMode = "auto",
    baseline_spec: str | None = None,
    s3: Any = None,
    min_effect: float = 0.02,
    report_hint: str | None = None,
    github: GitHub | None = None,
    trend: str | None = None,
) -> str:
    """Post the comment; returns one line saying what happened (for the log). Never raises."""
    skipped = _skip_reason(mode, ctx)
    if skipped is not None:
        return skipped
    assert ctx.repository is not None and ctx.token is not None  # _skip_reason checked them
    try:
        run = read_run(out / RUN_FILE)
    except (OSError, ValueError) as exc:
        return f"comment: skipped: cannot read the results: {exc}"
    gh = github or GitHub(repository=ctx.repository, token=ctx.token, api_url=ctx.api_url)
    comparison, note = _compared(out, run, baseline_spec, ctx, gh, s3, min_effect)
    status = run.verdict.status if run.verdict else "error"
    body = None
    if _needed(mode, status, comparison):
        body = render_comment(run, comparison, Links(run_url=ctx.run_url(), report_hint=report_hint), trend=trend)
        body = with_flaky_cases(body, run)
    said = _send(ctx, gh, body, marker(run.run.suite), f"not needed: comment: {mode} and the verdict is {status}")
    return said + (f" ({note})" if note else "")


def post_suites_comment(
    key: str,
    suites: list[SuiteOutcome],
    ctx: GitHubContext,
    mode: CommentMode = "auto",
    s3: Any = None,
    min_effect: float = 0.02,
    report_hint: str | None = None,
    github: GitHub | None = None,
) -> str:
    """One sticky comment for a many-suite step (found again by `key`, the `suite` input): a row per suite and a
    section per suite that ran. Not needed (no suite's section asks for it under `mode`): an earlier comment is
    deleted; every suite skipped: nothing is posted and an earlier comment is left alone. Never raises."""
    skipped = _skip_reason(mode, ctx)
    if skipped is not None:
        return skipped
    if all(s.status == "skipped" for s in suites):
        return "comment: not posted: every suite was skipped (an earlier comment is left as it is)"
    assert ctx.repository is not None and ctx.token is not None  # _skip_reason checked them
    gh = github or GitHub(repository=ctx.repository, token=ctx.token, api_url=ctx.api_url)
    ran = sum(1 for s in suites if s.out is not None)
    share = (MAX_COMMENT - 2_000 - 300 * len(suites)) // max(1, ran)
    sections: list[SuiteSection] = []
    notes: list[str] = []
    needed = False
    links = Links(run_url=ctx.run_url(), report_hint=report_hint)
    for suite in suites:
        body, comparison, status, reason = None, None, suite.status, suite.reason
        if suite.out is not None:
            try:
                run = read_run(suite.out / RUN_FILE)
            except (OSError, ValueError) as exc:
                status, reason = "error", f"cannot read the results: {exc}"
            else:
                comparison, note = _compared(suite.out, run, suite.baseline_spec, ctx, gh, s3, min_effect)
                notes.extend([f"{suite.suite_file}: {note}"] if note else [])
                limit = max(share, 1_000)
                body = with_flaky_cases(render_comment(run, comparison, links, limit=limit), run, limit)
        needed = needed or _needed(mode, status, comparison)
        sections.append(SuiteSection(suite.suite_file, status, body, reason))
    text = render_suites_comment(key, sections) if needed else None
    said = _send(ctx, gh, text, suites_marker(key), f"not needed: comment: {mode} and every suite passed")
    return said + (f" ({'; '.join(notes)})" if notes else "")
