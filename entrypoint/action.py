"""The Action adapter: inputs from `INPUT_*`, one run of the core, then what the runner reads back: outputs,
the step summary, annotations and log groups, and the exit code that `fail-on` asks for.

No shell anywhere: the inputs become a RunOptions and the core runs in this process.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from entrypoint.annotations import emit, verdict_annotations
from entrypoint.case_log import describe_cases, not_passed
from entrypoint.github_files import append_summary, write_outputs
from entrypoint.outputs import step_outputs
from entrypoint.pull_request import comment_and_publish
from entrypoint.secrets_guard import url_password
from entrypoint.settings import ActionSettings, InvalidInput, read_settings
from entrypoint.workflow import Workflow
from entrypoint.workspace import OutsideWorkspace, confine, repo_path
from evalcore.gate import EXIT_BAD_INPUT, EXIT_INFRA
from evalcore.merge import merge_shards
from evalcore.orchestrate import Prepared, RunOptions, RunOutcome, prepare, run_suite
from evalcore.report.console import console_summary
from evalcore.results import RunResult
from evalcore.secrets import Secrets
from evalcore.suite.problems import InputError, Problem

# Problems the core reports against a command-line option, named here by the input that set it.
_OPTION_INPUTS = {"--threshold": "thresholds", "--sections": "sections", "--models": "models"}


def main(env: Mapping[str, str] | None = None, stream: TextIO | None = None) -> int:
    """Run the Action. `env` holds the runner's variables (default: this process's); the core itself reads AWS
    settings from the process environment, as boto3 does."""
    env = os.environ if env is None else env
    workflow = Workflow(sys.stdout if stream is None else stream, Secrets.from_env(env))
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
    try:
        settings = read_settings(env, workspace)
    except InvalidInput as exc:
        workflow.annotate("error", str(exc), title="evalcore: invalid input")
        return EXIT_BAD_INPUT
    password = url_password(settings.endpoint_url)
    if password:
        workflow.mask(password)
    os.chdir(workspace)  # the runner starts the container there; relative paths in results name repository files
    options = _options(settings)
    try:
        prepared = None if settings.merge else prepare(options)
    except InputError as exc:
        for problem in exc.problems:
            _report_problem(workflow, problem, workspace, settings)
        return EXIT_BAD_INPUT
    with workflow.group("evalcore: inputs"):
        workflow.show_untrusted(_describe(settings))
    outcome, problems, crashed = _run(settings, workflow, options, prepared)
    if problems:
        for problem in problems:
            _report_problem(workflow, problem, workspace, settings)
        return EXIT_BAD_INPUT
    if outcome is not None and outcome.run is not None:
        comment_and_publish(settings, env, workflow, outcome.run)
    return _finish(settings, env, workflow, outcome, crashed)


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
            outcome = merge_shards(list(settings.merge or []), settings.out_dir, settings.suite, options.thresholds)
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
    suite_file = repo_path(settings.suite)
    cases, count = not_passed(settings.out_dir)
    if cases:
        with workflow.group(f"evalcore: {count} cases did not pass"):
            workflow.show_untrusted(describe_cases(cases, count))
    if run is not None and run.verdict is not None:
        breach = "error" if settings.fail_on == "threshold" else "warning"
        infra = "warning" if settings.fail_on == "never" else "error"
        emit(workflow, verdict_annotations(run.verdict, suite_file, breach, infra))
        status, code = run.verdict.status, run.verdict.exit_code
    else:
        stopped = "evalcore stopped with an internal error" if crashed else "the run stopped before any case ran"
        workflow.annotate("error", f"{stopped}: see the log of this step", file=suite_file, title="evalcore")
        status, code = "error", outcome.exit_code if outcome is not None else EXIT_INFRA
    outputs = step_outputs(run, settings.out_dir, Path.cwd())
    if env.get("GITHUB_OUTPUT"):
        write_outputs(Path(env["GITHUB_OUTPUT"]), {k: workflow.secrets.redact(v) for k, v in outputs.items()})
    if env.get("GITHUB_STEP_SUMMARY"):
        summary = Path(outputs["summary-path"]) if outputs["summary-path"] else None
        text = summary.read_text(encoding="utf-8") if summary else _fallback_summary(suite_file, status, run)
        append_summary(Path(env["GITHUB_STEP_SUMMARY"]), workflow.secrets.redact(text), outputs["html-path"] or None)
    exit_code = _exit_code(settings.fail_on, status, code)
    workflow.line(f"evalcore: verdict {status}; exit code {exit_code} (fail-on: {settings.fail_on})")
    return exit_code


def _exit_code(fail_on: str, status: str, code: int) -> int:
    if fail_on == "never":
        return 0
    if fail_on == "error":
        return EXIT_INFRA if status == "error" else 0
    return code


def _fallback_summary(suite_file: str, status: str, run: RunResult | None) -> str:
    """When the core wrote no summary.md (it stopped before results): the verdict and a pointer to the log."""
    detail = "" if run is not None else "\n\nThe run stopped before it produced results: see the log of this step.\n"
    return f"### evalcore: `{suite_file}`\n\n**Verdict: {status}**{detail}"


def _describe(settings: ActionSettings) -> str:
    shown = settings.model_dump(exclude={"workspace", "github_token"}, by_alias=True, exclude_none=True)
    lines = [f"{name}: {value}" for name, value in shown.items()]
    lines.append("github-token: " + ("(set)" if settings.github_token else "(not set)"))
    return "\n".join(lines)


def _report_problem(workflow: Workflow, problem: Problem, workspace: Path, settings: ActionSettings) -> None:
    """A problem the core found, as one error naming the input; a file's problem is annotated where it stands."""
    name = _OPTION_INPUTS.get(problem.file)
    if name is not None:
        workflow.annotate("error", f"input '{name}': {problem.message}", title="evalcore: invalid input")
        return
    try:
        file = repo_path(confine(problem.file, workspace))
    except OutsideWorkspace:
        file = None
    shard_dirs = [repo_path(d) for d in settings.merge or []]
    about_shards = file is not None and any(file == d or file.startswith(f"{d}/") for d in shard_dirs)
    name, title = ("merge", "evalcore: cannot merge") if about_shards else ("suite", "evalcore: invalid suite")
    workflow.annotate("error", f"input '{name}': {problem}", file=file, line=problem.line, title=title)
