"""With the `history` input: the run's record is appended to the history store and, with `drift`, the run is checked
against the 8 runs before it, before its verdict is written (evalcore.app.history_command.gate_history). A drift to
the worse is a warning annotation naming the metric; with `drift: fail` it is also a reason of the verdict, which
fails (exit 1 where it passed), so the outputs, summary, JUnit and comment say the same. A store that cannot be
read or written makes a passed verdict an error (exit 3): the history asked for is not silently lost.

On pull requests the history is read, not written (it is the history of branches): the comment gets the base
branch's trend rows (evalcore.report.trend_comment)."""

from __future__ import annotations

from collections.abc import Mapping

from entrypoint.settings import ActionSettings
from entrypoint.workflow import Workflow
from evalcore.app.history_command import HistoryGate, open_store
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


def history_gate(
    settings: ActionSettings, env: Mapping[str, str], workflow: Workflow, warnings: list[str]
) -> HistoryGate | None:
    """With the `history` input on a branch (not a pull request): the run is recorded and checked for drift before
    its verdict is written (evalcore.app.history_command.gate_history), so the outputs, summary and comment agree.
    Drift findings and store warnings are collected in `warnings`: the run's log has workflow commands off, so the
    caller annotates them after it."""
    if not settings.history:
        return None
    if _on_pull_request(env):
        workflow.line("evalcore: history: not recorded on a pull request (the history is of branches)")
        return None
    return HistoryGate(
        settings.history, settings.drift, WINDOW, settings.aws_region, say=workflow.line, warn=warnings.append
    )
