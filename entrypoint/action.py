"""The Action adapter: inputs from `INPUT_*`, one run of the core, then what the runner reads back: outputs,
the step summary, annotations and log groups, and the exit code that `fail-on` asks for.

Whatever stops the step before a verdict (a bad input, exit 2; any unexpected exception, wherever it is raised,
exit 3) still sets the outputs (`verdict=error`, `passed=false`, no report paths), writes a short step summary and
an error annotation: a later step never reads an empty output as a pass.

No shell anywhere: the inputs become a RunOptions and the core runs in this process.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from entrypoint.annotations import emit, verdict_annotations
from entrypoint.case_log import describe_cases, not_passed
from entrypoint.changed_files import pull_request_changes, touches
from entrypoint.github_files import append_summary, write_outputs
from entrypoint.history import base_trend, history_gate
from entrypoint.outputs import aggregate_cost, aggregate_pass_rate, step_outputs, suite_entry
from entrypoint.pull_request import comment_and_publish, comment_many, publish, s3_client
from entrypoint.secrets_guard import url_password
from entrypoint.settings import ActionSettings, InvalidInput, env_name, read_settings
from entrypoint.webhook import message, post, should_notify
from entrypoint.workflow import Level, Workflow
from entrypoint.workspace import OutsideWorkspace, confine, repo_path
from evalcore.app.merge import merge_shards
from evalcore.app.orchestrate import Prepared, RunOptions, RunOutcome, prepare, run_suite
from evalcore.domain.gate import EXIT_BAD_INPUT, EXIT_INFRA
from evalcore.domain.results import RunResult
from evalcore.github.pr_comment import SuiteOutcome
from evalcore.report.console import console_summary
from evalcore.report.formats import FORMATS
from evalcore.report.markdown_escape import cell, code_span, inline
from evalcore.suite.problems import InputError, Problem
from evalcore.text.secrets import Secrets

# Problems the core reports against a command-line option, named here by the input that set it.
_OPTION_INPUTS = {"--threshold": "thresholds", "--sections": "sections", "--models": "models"}


@dataclass
class _Step:
    """This step as far as it got: the runner's variables, the log, and the settings once they were read."""

    env: Mapping[str, str]
    workflow: Workflow
    settings: ActionSettings | None = None

    def suite_file(self) -> str:
        if self.settings is not None:
            return repo_path(self.settings.suite)
        return self.env.get(env_name("suite"), "").strip()


def main(env: Mapping[str, str] | None = None, stream: TextIO | None = None) -> int:
    """Run the Action. `env` holds the runner's variables (default: this process's); the core itself reads AWS
    settings from the process environment, as boto3 does."""
    env = os.environ if env is None else env
    step = _Step(env, Workflow(sys.stdout if stream is None else stream, Secrets.from_env(env)))
    try:
        return _step(step)
    except Exception as exc:  # a bug anywhere outside the run: still outputs, a summary and an annotation
        step.workflow.show_untrusted(traceback.format_exc())
        message = f"evalcore stopped with an internal error ({type(exc).__name__}): see the log of this step"
        step.workflow.annotate("error", message, file=step.suite_file() or None, title="evalcore: internal error")
        return _stopped(step, EXIT_INFRA, [f"an internal error ({type(exc).__name__})"])


def _step(step: _Step) -> int:
    env, workflow = step.env, step.workflow
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
    try:
        settings = step.settings = read_settings(env, workspace)
    except InvalidInput as exc:
        workflow.annotate("error", str(exc), title="evalcore: invalid input")
        return _stopped(step, EXIT_BAD_INPUT, [str(exc)])
    password = url_password(settings.endpoint_url)
    if password:
        workflow.mask(password)
    if settings.webhook_url is not None:  # masked first, then redacted from whatever the adapter writes
        hook = settings.webhook_url.get_secret_value()
        workflow.mask(hook)
        workflow.secrets = Secrets.from_env(env, [hook])
    os.chdir(workspace)  # the runner starts the container there; relative paths in results name repository files
    if len(settings.suites) > 1 or settings.changed_only:
        return _many_suites(step, settings, workspace)
    options = _options(settings)
    history_warnings: list[str] = []
    options.history = history_gate(settings, env, workflow, history_warnings)
    try:
        prepared = None if settings.merge else prepare(options)
    except InputError as exc:
        return _bad_input(step, settings, exc.problems, workspace)
    with workflow.group("evalcore: inputs"):
        workflow.show_untrusted(_describe(settings))
    outcome, problems, crashed = _run(settings, workflow, options, prepared)
    if problems:
        return _bad_input(step, settings, problems, workspace)
    for line in history_warnings:
        workflow.annotate("warning", workflow.secrets.redact(line), title="evalcore: history and drift")
    if outcome is not None and outcome.run is not None:
        try:
            comment_and_publish(settings, env, workflow, outcome.run, base_trend(settings, env, workflow, outcome.run))
        except Exception as exc:  # the comment never changes the verdict
            workflow.annotate("warning", f"comment: failed: {type(exc).__name__}: {exc}", title="evalcore")
    return _finish(settings, env, workflow, outcome, crashed)


def _bad_input(step: _Step, settings: ActionSettings, problems: list[Problem], workspace: Path) -> int:
    said = [_report_problem(step.workflow, problem, workspace, settings) for problem in problems]
    return _stopped(step, EXIT_BAD_INPUT, said)


def _stopped(step: _Step, code: int, lines: list[str]) -> int:
    """The step ends without a verdict: outputs `verdict=error`, `passed=false` and no report paths (what an earlier
    run left in out-dir is not this run's), a short step summary saying why. Bad input always exits 2; anything
    else exits 3, unless `fail-on` (once read) says otherwise."""
    env, secrets_ = step.env, step.workflow.secrets
    if env.get("GITHUB_OUTPUT"):
        outputs = step_outputs(None, Path(), Path.cwd())
        write_outputs(Path(env["GITHUB_OUTPUT"]), {k: secrets_.redact(v) for k, v in outputs.items()})
    if env.get("GITHUB_STEP_SUMMARY"):
        what = "bad input: nothing ran" if code == EXIT_BAD_INPUT else "evalcore stopped before a verdict"
        text = _short_summary(step.suite_file(), code, what, lines)
        append_summary(Path(env["GITHUB_STEP_SUMMARY"]), secrets_.redact(text), None)
    if step.settings is not None:
        _notify(step.settings, env, step.workflow, None)
    if code == EXIT_BAD_INPUT or step.settings is None:
        return code
    return _exit_code(step.settings.fail_on, "error", code)


def _options(settings: ActionSettings) -> RunOptions:
    return RunOptions(
        suite=settings.suite,
        root=settings.workspace,
        out=settings.out_dir,
        emulator=settings.emulator,
        concurrency=settings.concurrency,
        models=settings.models,
        sections=settings.sections,
        thresholds=list(settings.thresholds),
        cache_dir=settings.cache_dir,
        region=settings.aws_region,
        endpoint_url=settings.endpoint_url,
        shard=settings.shard,
        junit_failures=settings.junit_failures,
        max_cost_usd=settings.max_cost_usd,
    )


def _run(
    settings: ActionSettings, workflow: Workflow, options: RunOptions, prepared: Prepared | None
) -> tuple[RunOutcome | None, list[Problem], bool]:
    """The core's run (or the merge of shards), its log under a group with commands off; returns the outcome, the
    problems that make it bad input (a merge finds them only as it reads the shards), and whether the core crashed."""
    verb = "merge shards for" if settings.merge else "run"
    with workflow.group(f"evalcore {verb} {repo_path(settings.suite)}"), workflow.untrusted():
        try:
            if prepared is not None:
                return run_suite(options, prepared), [], False
            outcome = merge_shards(
                list(settings.merge or []),
                settings.out_dir,
                settings.suite,
                options.thresholds,
                junit_failures=settings.junit_failures,
                history=options.history,
            )
            if outcome.run is not None:
                print(console_summary(outcome.run))
            return outcome, [], False
        except InputError as exc:
            return None, exc.problems, False
        except Exception:  # a bug in the core: still leave outputs, a summary and an annotation
            traceback.print_exc(file=sys.stdout)
            return None, [], True


def _finish(
    settings: ActionSettings, env: Mapping[str, str], workflow: Workflow, outcome: RunOutcome | None, crashed: bool
) -> int:
    run = outcome.run if outcome is not None else None
    status, code, summary = _conclude(settings, workflow, outcome, crashed)
    exit_code = _exit_code(settings.fail_on, status, code)
    entry = suite_entry(repo_path(settings.suite), status, exit_code, None, run, settings.out_dir)
    outputs = step_outputs(run, settings.out_dir, Path.cwd(), [entry])
    if env.get("GITHUB_OUTPUT"):
        write_outputs(Path(env["GITHUB_OUTPUT"]), {k: workflow.secrets.redact(v) for k, v in outputs.items()})
    if env.get("GITHUB_STEP_SUMMARY"):
        append_summary(Path(env["GITHUB_STEP_SUMMARY"]), workflow.secrets.redact(summary), outputs["html-path"] or None)
    _notify(settings, env, workflow, run)
    workflow.line(f"evalcore: verdict {status}; exit code {exit_code} (fail-on: {settings.fail_on})")
    return exit_code


def _conclude(
    settings: ActionSettings, workflow: Workflow, outcome: RunOutcome | None, crashed: bool
) -> tuple[str, int, str]:
    """A suite's run told: the cases that did not pass in the log, the verdict's annotations. Returns the status, the
    verdict's exit code and the suite's step summary (summary.md, or a short one when the run made none)."""
    run = outcome.run if outcome is not None else None
    suite_file = repo_path(settings.suite)
    cases, count = not_passed(settings.out_dir)
    if cases:
        with workflow.group(f"evalcore: {count} cases did not pass"):
            workflow.show_untrusted(describe_cases(cases, count))
    if run is not None and run.verdict is not None:
        breach: Level = "error" if settings.fail_on == "threshold" else "warning"
        infra: Level = "warning" if settings.fail_on == "never" else "error"
        emit(workflow, verdict_annotations(run.verdict, suite_file, breach, infra))
        status, code = run.verdict.status, run.verdict.exit_code
    else:
        stopped = "evalcore stopped with an internal error" if crashed else "the run stopped before any case ran"
        workflow.annotate("error", f"{stopped}: see the log of this step", file=suite_file, title="evalcore")
        status, code = "error", outcome.exit_code if outcome is not None else EXIT_INFRA
    summary = settings.out_dir / FORMATS["markdown"].file
    if run is not None and summary.is_file():
        return status, code, summary.read_text(encoding="utf-8")
    stopped = "the run stopped before it produced results: see the log of this step"
    return status, code, _short_summary(suite_file, code, "evalcore stopped before a verdict", [stopped])


@dataclass
class _SuiteRun:
    """One suite of a many-suite step as it ended."""

    suite_file: str
    status: str  # passed, failed, error or skipped
    exit_code: int
    reason: str | None = None
    run: RunResult | None = None
    settings: ActionSettings | None = None  # the suite's own (its results folder); None when skipped
    summary: str = ""


def _many_suites(step: _Step, settings: ActionSettings, workspace: Path) -> int:
    """Several suites (or `changed-only`): each runs in turn into its own results folder with its own verdict and
    annotations; then the step's outputs (the worst verdict, the highest exit code; `suites` per suite), one step
    summary and one sticky comment with a section per suite. A skipped suite is neither a pass nor a failure."""
    env, workflow = step.env, step.workflow
    with workflow.group("evalcore: inputs"):
        workflow.show_untrusted(_describe(settings))
    changed = None
    if settings.changed_only:
        token = settings.github_token.get_secret_value() if settings.github_token else None
        changed, why = pull_request_changes(env, token)
        workflow.line(f"evalcore: changed-only: {workflow.secrets.redact(why)}")
    done: list[_SuiteRun] = []
    for suite in settings.suites:
        if changed is not None and not touches(suite, workspace, changed):
            reason = "no file of this suite changed in the pull request (changed-only)"
            done.append(_SuiteRun(repo_path(suite), "skipped", 0, reason))
            continue
        done.append(_one_of_many(step, settings.for_suite(suite), workspace))
    ran = [d for d in done if d.status != "skipped"]
    order = ["passed", "failed", "error"]
    verdict = max((d.status for d in ran), key=order.index) if ran else "skipped"
    exit_code = max((d.exit_code for d in done), default=0)
    entries = [
        suite_entry(d.suite_file, d.status, d.exit_code, d.reason, d.run, d.settings.out_dir if d.settings else None)
        for d in done
    ]
    outputs = step_outputs(None, Path(), Path.cwd(), entries)
    outputs.update({"verdict": verdict, "passed": "true" if verdict == "passed" else "false", "scores": "{}"})
    outputs["pass-rate"] = aggregate_pass_rate([d.run for d in done if d.run is not None])
    outputs["cost-usd"] = aggregate_cost([e["cost-usd"] for e in entries])
    if env.get("GITHUB_OUTPUT"):
        write_outputs(Path(env["GITHUB_OUTPUT"]), {k: workflow.secrets.redact(v) for k, v in outputs.items()})
    if env.get("GITHUB_STEP_SUMMARY"):
        append_summary(Path(env["GITHUB_STEP_SUMMARY"]), workflow.secrets.redact(_many_summary(done, verdict)), None)
    outcomes = [
        SuiteOutcome(
            d.suite_file,
            d.status,
            d.settings.out_dir if d.run is not None and d.settings else None,
            d.reason,
            d.settings.baseline if d.settings else None,
        )
        for d in done
    ]
    try:
        comment_many(settings, env, workflow, env.get(env_name("suite"), "").strip(), outcomes)
    except Exception as exc:  # the comment never changes the verdict
        workflow.annotate("warning", f"comment: failed: {type(exc).__name__}: {exc}", title="evalcore")
    for d in done:  # one message per suite that ran, each naming its suite (webhook-on decides which)
        if d.settings is not None and d.status != "skipped":
            _notify(d.settings, env, workflow, d.run)
    workflow.line(
        f"evalcore: {len(done)} suites, verdict {verdict}; exit code {exit_code} (fail-on: {settings.fail_on})"
    )
    return exit_code


def _one_of_many(step: _Step, settings: ActionSettings, workspace: Path) -> _SuiteRun:
    """One suite of several, run as a one-suite step runs it, its bad input an error of this suite only (exit 2)."""
    env, workflow = step.env, step.workflow
    suite_file = repo_path(settings.suite)
    options = _options(settings)
    history_warnings: list[str] = []
    options.history = history_gate(settings, env, workflow, history_warnings)
    problems: list[Problem] = []
    outcome, crashed = None, False
    try:
        prepared = prepare(options)
    except InputError as exc:
        problems = exc.problems
    else:
        outcome, problems, crashed = _run(settings, workflow, options, prepared)
    if problems:
        said = [_report_problem(workflow, problem, workspace, settings) for problem in problems]
        text = _short_summary(suite_file, EXIT_BAD_INPUT, "bad input: nothing ran", said)
        return _SuiteRun(suite_file, "error", EXIT_BAD_INPUT, said[0], None, settings, text)
    for line in history_warnings:
        workflow.annotate("warning", workflow.secrets.redact(line), title="evalcore: history and drift")
    run = outcome.run if outcome is not None else None
    if run is not None and settings.baseline and settings.baseline.startswith("s3://"):
        publish(settings, env, workflow, run, s3_client(settings))
    status, code, summary = _conclude(settings, workflow, outcome, crashed)
    reason = None if run is not None else "the run stopped before it produced results: see the log of this step"
    return _SuiteRun(suite_file, status, _exit_code(settings.fail_on, status, code), reason, run, settings, summary)


def _many_summary(done: list[_SuiteRun], verdict: str) -> str:
    """The step summary of several suites: a row per suite (skipped ones with the reason), then each suite's own."""
    rows = [f"### evalcore: {len(done)} suites, verdict {verdict}", "", "| Suite | Verdict | Note |", "|---|---|---|"]
    for d in done:
        rows.append(f"| {code_span(d.suite_file, 200, in_table=True)} | {d.status} | {cell(d.reason, 300)} |")
    return "\n".join(rows) + "\n\n" + "\n\n".join(d.summary for d in done if d.summary)


def _notify(settings: ActionSettings, env: Mapping[str, str], workflow: Workflow, run: RunResult | None) -> None:
    """The webhook, when `webhook-on` asks for it; its failure is a warning, never the verdict."""
    if settings.webhook_url is None:
        return
    verdict = run.verdict.status if run is not None and run.verdict is not None else "error"
    if not should_notify(settings.webhook_on, env.get("GITHUB_EVENT_NAME"), verdict):
        return
    body = message(run, repo_path(settings.suite), env)
    problem = post(settings.webhook_url.get_secret_value(), body)
    if problem is None:
        workflow.line("evalcore: notified the webhook")
    else:
        workflow.annotate("warning", f"notification not sent: {problem}", title="evalcore: webhook")


def _exit_code(fail_on: str, status: str, code: int) -> int:
    if fail_on == "never":
        return 0
    if fail_on == "error":
        return EXIT_INFRA if status == "error" else 0
    return code


def _short_summary(suite_file: str, code: int, what: str, lines: list[str]) -> str:
    """The step summary when there is no summary.md: the verdict (error), why, and a pointer to the log."""
    head = f"### ⚠️ evalcore: {code_span(suite_file or 'no suite', 200)} error (exit {code})"
    reasons = "\n".join(f"- {inline(line, 300)}" for line in lines[:20])
    more = f"\n- … and {len(lines) - 20} more" if len(lines) > 20 else ""
    return f"{head}\n\n**Verdict: error**: {what}.\n\n{reasons}{more}\n\nSee the log of this step.\n"


def _describe(settings: ActionSettings) -> str:
    shown = settings.model_dump(exclude={"workspace", "github_token", "webhook_url"}, by_alias=True, exclude_none=True)
    shown["suite"] = ", ".join(repo_path(suite) for suite in settings.suites)
    lines = [f"{name}: {value}" for name, value in shown.items()]
    lines.append("github-token: " + ("(set)" if settings.github_token else "(not set)"))
    lines.append("webhook-url: " + ("(set)" if settings.webhook_url else "(not set)"))
    return "\n".join(lines)


def _report_problem(workflow: Workflow, problem: Problem, workspace: Path, settings: ActionSettings) -> str:
    """A problem the core found, as one error naming the input; a file's problem is annotated where it stands.
    Returns the annotation's message."""
    name = _OPTION_INPUTS.get(problem.file)
    if name is not None:
        message = f"input '{name}': {problem.message}"
        workflow.annotate("error", message, title="evalcore: invalid input")
        return message
    try:
        file = repo_path(confine(problem.file, workspace))
    except OutsideWorkspace:
        file = None
    shard_dirs = [repo_path(d) for d in settings.merge or []]
    about_shards = file is not None and any(file == d or file.startswith(f"{d}/") for d in shard_dirs)
    name, title = ("merge", "evalcore: cannot merge") if about_shards else ("suite", "evalcore: invalid suite")
    message = f"input '{name}': {problem}"
    workflow.annotate("error", message, file=file, line=problem.line, title=title)
    return message
