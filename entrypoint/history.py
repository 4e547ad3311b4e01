"""After the run, with the `history` input: append the run's record to the history store, and with `drift`, check
the run against the 8 runs before it (evalcore.app.history_command). A drift to the worse is a warning annotation
naming the metric; with `drift: fail` it also fails the step (exit 1 where the verdict passed) unless `fail-on` is
`never`. A store that cannot be written is a warning: the verdict stands.

On pull requests the history is read, not written (it is the history of branches): the comment gets the base
branch's trend rows (evalcore.report.trend_comment)."""

from __future__ import annotations

from collections.abc import Mapping

from entrypoint.settings import ActionSettings
from entrypoint.workflow import Workflow
from evalcore.app.history_command import check, open_store, record_run
from evalcore.app.history_store import HistoryError
from evalcore.domain.results import RunResult

WINDOW = 8
TREND_RUNS = 10  # the base branch's runs in the comment's sparkline
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")


def _on_pull_request(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_EVENT_NAME", "") in PULL_REQUEST_EVENTS


def base_trend(settings: ActionSettings, env: Mapping[str, str], workflow: Workflow, run: RunResult) -> str | None:
    """On a pull request with a history: the comment's trend rows from the base branch's last runs."""
    if not settings.history or not _on_pull_request(env):
        return None
    from evalcore.github.pr_comment import GitHubContext
    from evalcore.report.trend_comment import base_records, trend_rows

    try:
        store = open_store(settings.history, lambda line: None, region=settings.aws_region)
        records = store.read(run.run.suite, TREND_RUNS * 5)  # other branches' runs are filtered out next
    except HistoryError as exc:
        workflow.annotate("warning", workflow.secrets.redact(f"history: {exc}"), title="evalcore")
        return None
    branch = GitHubContext.from_env(env=dict(env)).base_branch()
    return trend_rows(base_records(records, branch)[-TREND_RUNS:], run)


def record_history(settings: ActionSettings, env: Mapping[str, str], workflow: Workflow, run: RunResult) -> bool:
    """Record the run (not on pull requests); True when drift fails the step."""
    if not settings.history:
        return False
    if _on_pull_request(env):
        workflow.line("evalcore: history: not recorded on a pull request (the history is of branches)")
        return False
    try:
        warn = lambda line: workflow.annotate("warning", line, title="evalcore")  # noqa: E731
        store = open_store(settings.history, warn, region=settings.aws_region)
        workflow.line(f"evalcore: history: recorded in {record_run(settings.out_dir, store, run)}")
        if settings.drift == "off":
            return False
        outcome = check(store, run.run.suite, WINDOW, settings.drift)
    except HistoryError as exc:
        workflow.annotate("warning", workflow.secrets.redact(f"history: {exc}"), title="evalcore")
        return False
    with workflow.group("evalcore: drift"), workflow.untrusted():
        for line in outcome.lines:
            workflow.line(line)
    for finding in outcome.findings:
        workflow.annotate("warning", workflow.secrets.redact(finding), title="evalcore: drift")
    return bool(outcome.exit_code) and settings.fail_on != "never"
