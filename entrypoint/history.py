"""After the run, with the `history` input: append the run's record to the history store, and with `drift`, check
the run against the 8 runs before it (evalcore.app.history_command). A drift to the worse is a warning annotation
naming the metric; with `drift: fail` it also fails the step (exit 1 where the verdict passed) unless `fail-on` is
`never`. A store that cannot be written is a warning: the verdict stands."""

from __future__ import annotations

from entrypoint.settings import ActionSettings
from entrypoint.workflow import Workflow
from evalcore.app.history_command import check, open_store, record_run
from evalcore.app.history_store import HistoryError
from evalcore.domain.results import RunResult

WINDOW = 8


def record_history(settings: ActionSettings, workflow: Workflow, run: RunResult) -> bool:
    """Record the run; True when drift fails the step."""
    if not settings.history:
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
