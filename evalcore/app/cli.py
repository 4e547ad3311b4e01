"""`evalcore run|validate|report|diff|schema|emulator`: the command line. Heavy imports wait until a command runs,
so `evalcore --version` answers at once.

Exit codes: 0 passed, 1 thresholds or tests failed, 2 bad input, 3 infrastructure error.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from evalcore import __version__
from evalcore.app.defaults import CACHE_DIR, OUT_DIR
from evalcore.app.history_cli import positive
from evalcore.report.formats import FORMATS
from evalcore.report.plain import visible

if TYPE_CHECKING:
    from evalcore.app.rerun import RerunRequest

EXIT_BAD_INPUT = 2
EXIT_INFRA = 3
JUNIT_FAILURES = ("gate", "cases")  # evalcore.report.gating.JunitFailures, named here so --help imports nothing


def _junit_failures(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--junit-failures",
        choices=JUNIT_FAILURES,
        default="gate",
        help="which cases junit.xml marks failed: those that gate the verdict (default: the file fails exactly "
        "when the verdict does) or every failed and errored case",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evalcore",
        description="Test LLM applications on Amazon Bedrock: model evaluations, guardrail probes, agent tests.",
        epilog="Exit codes: 0 passed, 1 thresholds or tests failed, 2 bad input, 3 infrastructure error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"evalcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a suite and write results and reports", description="Run a suite.")
    run.add_argument("suite", type=Path, help="the suite file (YAML)")
    run.add_argument("--out", type=Path, default=OUT_DIR, help=f"output directory (default {OUT_DIR})")
    run.add_argument(
        "--resume", type=Path, metavar="DIR", help="finish the run in DIR: cases already done there are kept"
    )
    run.add_argument(
        "--rerun",
        nargs=2,
        metavar=("failed|errored|both", "DIR"),
        help="run again only those cases of the run in DIR: into DIR itself (--out DIR: earlier attempts kept, "
        "the verdict over all its cases) or into a fresh --out (only those cases)",
    )
    run.add_argument("--emulator", action="store_true", help="run against a local Bedrock emulator started for the run")
    run.add_argument("--world", type=Path, help="the emulator's world file (with --emulator; default: built in)")
    run.add_argument(
        "--concurrency",
        type=int,
        help="model calls at once to start with (overrides the suite; caps the level too unless a maximum is given)",
    )
    run.add_argument(
        "--max-concurrency",
        type=int,
        metavar="N",
        help="the most model calls at once the adaptive level may reach "
        "(overrides the suite's defaults.max_concurrency; default 64)",
    )
    run.add_argument(
        "--retry-budget",
        type=_retry_budget,
        metavar="SECONDS",
        help="retry a throttled or failing model call for this long after its first failure (0-3600 s, "
        "e.g. 300 or 5m; default: the suite's defaults.retry_budget_seconds, 300)",
    )
    run.add_argument(
        "--max-cost-usd",
        type=_usd,
        metavar="USD",
        help="a cost budget: no new model call starts once the spend plus its worst case would pass it; the cases "
        "not started are not run and the run exits 3 (overrides the suite's defaults.max_cost_usd)",
    )
    run.add_argument(
        "--accept-uncounted-cost",
        action="store_true",
        help="run with a cost budget although some calls are not counted by it (knowledge-base retrieval and "
        "generation, agent runtimes, guardrail text units, evaluation jobs); they are named in a warning "
        "(default: such a budget is refused, exit 2; or the suite's defaults.accept_uncounted_cost)",
    )
    run.add_argument("--models", help="comma-separated model names or ids replacing every evaluation's models")
    run.add_argument("--sections", help="comma-separated section names to run (default: all)")
    run.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="EXPR",
        help="a threshold such as qa.Builtin.Correctness>=0.85 or error_rate<=0.02 (repeatable; @model limits it)",
    )
    run.add_argument("--cache-dir", type=Path, help=f"response cache directory (default {CACHE_DIR})")
    run.add_argument("--no-cache", action="store_true", help="neither read nor write the response cache")
    run.add_argument(
        "--cache-ttl",
        type=_duration,
        metavar="AGE",
        help="ignore and prune cache entries older than AGE (seconds, or with a unit: 30m, 12h, 7d)",
    )
    run.add_argument(
        "--cache-max-mb",
        metavar="MB",
        help="after the run, remove the oldest cache entries until the cache fits in MB megabytes",
    )
    run.add_argument("--shard", help="run the slice i of n of the cases, e.g. 2/4")
    run.add_argument("--region", help="AWS region (overrides the suite and AWS_REGION)")
    run.add_argument("--profile", help="AWS profile (overrides the suite)")
    run.add_argument("--endpoint-url", help="a Bedrock-compatible endpoint for every Bedrock service")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="print the requests the run would send (JSON) and stop: nothing is called or created",
    )
    _junit_failures(run)
    run.add_argument(
        "--history",
        metavar="STORE",
        help="after the run, append its record to a history: a file (JSON Lines) or s3://bucket/prefix/",
    )
    run.add_argument(
        "--drift",
        choices=["off", "warn", "fail"],
        default="off",
        help="with --history: compare the run with the --drift-window runs before it; warn, or fail (exit 1)",
    )
    run.add_argument(
        "--drift-window", type=positive, default=8, metavar="K", help="earlier runs for --drift (default 8)"
    )

    validate = sub.add_parser(
        "validate", help="check a suite and print what would run", description="Validate a suite."
    )
    validate.add_argument("suite", type=Path)

    sub.add_parser("schema", help="print the suite file's JSON Schema", description="Print the JSON Schema.")

    report = sub.add_parser(
        "report", help="re-render reports from a results directory", description="Re-render reports."
    )
    report.add_argument("dir", type=Path, help="a results directory (with results.json)")
    report.add_argument("--format", choices=[*FORMATS, "all"], default="all")
    _junit_failures(report)

    diff = sub.add_parser(
        "diff",
        help="compare two results directories (baseline, head)",
        description="Paired differences per section, model and metric, with 95% bootstrap intervals.",
    )
    diff.add_argument("base", type=Path, help="the baseline's results directory or results.json")
    diff.add_argument("head", type=Path, help="the new results directory or results.json")
    diff.add_argument("--min-effect", type=float, default=0.02, help="smallest difference that counts (default 0.02)")
    diff.add_argument("--format", choices=["text", "markdown", "json"], default="text")

    power = sub.add_parser(
        "power",
        help="how many items each section needs to detect an effect, from a previous run",
        description="Per section, model and metric: the minimum detectable effect now and the items needed for "
        "--effect (80%% power, two-sided 5%%), from a results directory's variance.",
    )
    power.add_argument("dir", type=Path, help="a results directory (with results.jsonl)")
    power.add_argument("--effect", type=float, default=0.05, help="the change to detect, 0-1 scale (default 0.05)")

    merge = sub.add_parser(
        "merge",
        help="combine the results of shards (--shard i/n runs) into one run",
        description="Merge shard results into one results file, one set of reports and one verdict.",
    )
    merge.add_argument("dirs", type=Path, nargs="+", help="the shards' output directories")
    merge.add_argument("--out", type=Path, default=OUT_DIR, help=f"output directory (default {OUT_DIR})")
    merge.add_argument("--suite", type=Path, help="the suite file (default: the path the shards recorded)")
    merge.add_argument("--threshold", action="append", default=[], metavar="EXPR", help="as for `evalcore run`")
    _junit_failures(merge)

    comment = sub.add_parser(
        "comment",
        help="post the pull-request comment for a results directory",
        description="Post or update the sticky pull-request comment (GITHUB_* environment, GITHUB_TOKEN).",
    )
    comment.add_argument("--from", dest="source", type=Path, required=True, help="the results directory")
    comment.add_argument("--baseline", help="a results path, s3://bucket/prefix/ or artifact:NAME")
    comment.add_argument("--mode", choices=["auto", "always", "never", "changes", "failures"], default="auto")
    comment.add_argument("--min-effect", type=float, default=0.02)

    emulator = sub.add_parser(
        "emulator",
        help="start the local Bedrock emulator",
        description="Start the local Bedrock emulator.",
        add_help=False,
    )
    emulator.add_argument("args", nargs=argparse.REMAINDER)

    history = sub.add_parser(
        "history",
        help="runs across time: trends, `record DIR --store STORE`, drift `check STORE --window K`",
        description="Record runs in a history store, print their trends, check the latest for drift.",
        add_help=False,
    )
    history.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["emulator"]:
        from evalcore_emulator.command import main as emulator_main

        return emulator_main(args[1:])
    if args[:1] == ["history"]:
        from evalcore.app.history_cli import history_main

        return history_main(args[1:])
    parser = _parser()
    ns = parser.parse_args(args)
    if ns.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    from evalcore.suite.problems import InputError

    try:
        if ns.command == "validate":
            return _validate(ns.suite)
        if ns.command == "schema":
            return _schema()
        if ns.command == "report":
            return _report(ns.dir, ns.format, ns.junit_failures)
        if ns.command == "run":
            return _run(ns)
        if ns.command == "merge":
            return _merge(ns.dirs, ns.out, ns.suite, ns.threshold, ns.junit_failures)
        if ns.command == "diff":
            return _diff(ns.base, ns.head, ns.min_effect, ns.format)
        if ns.command == "power":
            return _power(ns.dir, ns.effect)
        if ns.command == "comment":
            return _comment(ns.source, ns.baseline, ns.mode, ns.min_effect)
    except InputError as exc:
        for problem in exc.problems:
            print(visible(str(problem)), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("evalcore: interrupted", file=sys.stderr)
        return EXIT_INFRA
    except OSError as exc:  # the file system (a full disk, a read-only directory) where a command writes
        where = f"{exc.filename}: " if exc.filename else ""
        print(visible(f"evalcore: {where}{exc.strerror or exc}"), file=sys.stderr)
        return EXIT_INFRA
    parser.error(f"unknown command {ns.command}")
    return EXIT_BAD_INPUT


def _validate(path: Path) -> int:
    from evalcore.domain.plan import build_plan
    from evalcore.suite.load import load_suite

    loaded = load_suite(path)
    plan = build_plan(loaded)
    print(f"{path}: suite '{loaded.suite.name}' is valid")
    total_cases = total_calls = 0
    for section in plan.sections:
        models = ", ".join(m for m in section.models if m) or "-"
        note = f"; {section.note}" if section.note else ""
        print(
            f"  {section.kind:<10} {section.name:<24} cases {section.cases:>7}  calls ~{section.model_calls:>7}  models: {models}{note}"
        )
        total_cases += section.cases
        total_calls += section.model_calls
    print(f"  total: {total_cases} cases, about {total_calls} model calls")
    from evalcore.app.cost_estimate import estimate, table

    print("\n".join(table(estimate(loaded, plan))))
    return 0


def _schema() -> int:
    import json

    from evalcore.suite.schema import suite_schema

    print(json.dumps(suite_schema(), indent=2))
    return 0


def _report(directory: Path, fmt: str, junit_failures: str) -> int:
    from evalcore.domain.results import RUN_FILE, read_run
    from evalcore.report.render import render_reports

    path = directory / RUN_FILE
    if not path.is_file():
        print(f"{path}: not found (give a directory written by `evalcore run`)", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        run = read_run(path)
    except ValueError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        written = render_reports(directory, run, None if fmt == "all" else fmt, junit_failures=junit_failures)  # type: ignore[arg-type]
    except ValueError as exc:  # a results.jsonl line that is not a case result
        print(f"evalcore report: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for path in written:
        print(path)
    return 0


def _run(ns: argparse.Namespace) -> int:
    from evalcore.app.orchestrate import RunOptions, run_suite

    _check_directories(ns)
    if ns.world is not None and not ns.emulator:
        from evalcore.suite.problems import InputError, Problem

        raise InputError([Problem("--world", "only with --emulator (add --emulator, or leave out --world)")])
    options = RunOptions(
        suite=ns.suite,
        out=ns.resume or ns.out,
        resume=ns.resume is not None,
        rerun=_rerun(ns.rerun),
        emulator=ns.emulator,
        world=ns.world,
        concurrency=ns.concurrency,
        max_concurrency=ns.max_concurrency,
        retry_budget_seconds=ns.retry_budget,
        max_cost_usd=ns.max_cost_usd,
        accept_uncounted_cost=ns.accept_uncounted_cost,
        models=_csv(ns.models),
        sections=_csv(ns.sections),
        thresholds=list(ns.threshold),
        cache_dir=None if ns.no_cache else (ns.cache_dir or CACHE_DIR),
        cache_ttl_seconds=ns.cache_ttl,
        cache_max_bytes=None if ns.cache_max_mb is None else _megabytes("--cache-max-mb", ns.cache_max_mb),
        shard=ns.shard,
        region=ns.region,
        profile=ns.profile,
        endpoint_url=ns.endpoint_url,
        progress=not ns.quiet,
        dry_run=ns.dry_run,
        color=sys.stderr.isatty() and "NO_COLOR" not in os.environ,
        junit_failures=ns.junit_failures,
    )
    if ns.history:
        from evalcore.app.history_command import HistoryGate

        options.history = HistoryGate(ns.history, ns.drift, ns.drift_window, ns.region)
    if ns.history and ns.shard:
        from evalcore.suite.problems import InputError, Problem

        raise InputError([Problem("--history", "a shard is part of a run: record the merged run (evalcore merge)")])
    if ns.drift != "off" and not ns.history:
        from evalcore.suite.problems import InputError, Problem

        raise InputError([Problem("--drift", "needs --history STORE (the runs to compare with)")])
    return run_suite(options).exit_code


def _rerun(given: list[str] | None) -> RerunRequest | None:
    from evalcore.app.rerun import RerunRequest
    from evalcore.suite.problems import InputError, Problem

    if given is None:
        return None
    which, directory = given
    if which not in ("failed", "errored", "both"):
        raise InputError([Problem("--rerun", f"'{which}' is not failed, errored or both (e.g. --rerun errored DIR)")])
    return RerunRequest(which, Path(directory))  # type: ignore[arg-type]


def _check_directories(ns: argparse.Namespace) -> None:
    """`--out`, `--resume` and `--cache-dir` name directories: a file there is bad input, found before anything runs."""
    from evalcore.suite.problems import InputError, Problem

    given = {
        "--out": None if ns.resume else ns.out,
        "--resume": ns.resume,
        "--cache-dir": None if ns.no_cache else ns.cache_dir,
    }
    problems = [
        Problem(option, f"{path} is a file, not a directory (give a directory)")
        for option, path in given.items()
        if path is not None and path.exists() and not path.is_dir()
    ]
    if problems:
        raise InputError(problems)


def _megabytes(option: str, text: str) -> int:
    """Bytes from a positive, finite number of megabytes. Raises InputError (one line, exit 2)."""
    from evalcore.suite.problems import InputError, Problem

    try:
        megabytes = float(text)
    except ValueError:
        megabytes = math.nan
    if not math.isfinite(megabytes) or megabytes <= 0:
        raise InputError([Problem(option, f"'{text}' is not a positive number of megabytes (e.g. 500)")])
    return max(1, int(megabytes * 1024 * 1024))


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(text: str) -> float:
    """Seconds from `90`, `90s`, `30m`, `12h` or `7d`."""
    value = text.strip().lower()
    factor = _UNITS.get(value[-1:])
    number = value[:-1] if factor is not None else value
    try:
        seconds = float(number) * (factor or 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a duration (e.g. 3600, 30m, 12h, 7d)") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(f"'{text}': a duration must be positive and finite")
    return seconds


def _usd(text: str) -> float:
    """A positive, finite amount of US dollars (`2.50`, `$2.50`)."""
    try:
        usd = float(text.strip().removeprefix("$"))
    except ValueError:
        usd = math.nan
    if not math.isfinite(usd) or usd <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not an amount of USD above 0 (e.g. 2.50)")
    return usd


def _retry_budget(text: str) -> float:
    """Seconds from 0 to 3600, written as for --cache-ttl (`300`, `5m`); 0 never retries."""
    seconds = 0.0 if text.strip() in ("0", "0s") else _duration(text)
    if not 0 <= seconds <= 3600:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"'{text}' is not a retry budget from 0 to 3600 seconds (e.g. 300, 5m)")
    return seconds


def _diff(base: Path, head: Path, min_effect: float, fmt: str) -> int:
    import dataclasses
    import json

    from evalcore.domain.compare import compare
    from evalcore.github.baseline import BaselineError, load_baseline

    loaded = []
    for label, path in (("base", base), ("head", head)):
        try:
            found = load_baseline(str(path), "", None, path)
        except BaselineError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if found is None:
            print(
                f"{path}: no results.json here ({label}: give a directory written by `evalcore run`)", file=sys.stderr
            )
            return EXIT_BAD_INPUT
        loaded.append(found)
    try:
        cmp = compare(loaded[0].run, loaded[0].cases, loaded[1].run, loaded[1].cases, min_effect=min_effect)
    except (OSError, ValueError) as exc:  # a results.jsonl is read as it is compared
        print(f"evalcore diff: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if fmt == "json":
        print(json.dumps(dataclasses.asdict(cmp), indent=2))
    elif fmt == "markdown":
        from evalcore.report.comment import render_comment

        print(render_comment(loaded[1].run, cmp))
    else:
        from evalcore.report.diff_text import diff_text

        print(diff_text(cmp))
    return 0


def _power(directory: Path, effect: float) -> int:
    from evalcore.domain.power import power_table, power_text
    from evalcore.domain.results import CASES_FILE, ResultsFile

    if not 0 < effect < 1e9:
        print(f"evalcore power: --effect must be positive, not {effect}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not (directory / CASES_FILE).is_file():
        print(f"{directory}: no {CASES_FILE} here (give a directory written by `evalcore run`)", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        rows = power_table(ResultsFile(directory / CASES_FILE), effect)
    except ValueError as exc:
        print(f"evalcore power: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(power_text(rows, effect))
    return 0


def _merge(dirs: list[Path], out: Path, suite: Path | None, thresholds: list[str], junit_failures: str) -> int:
    from evalcore.app.merge import merge_shards
    from evalcore.report.console import console_summary

    outcome = merge_shards(dirs, out, suite, thresholds, junit_failures=junit_failures)  # type: ignore[arg-type]
    if outcome.run is not None:
        print(console_summary(outcome.run))
    return outcome.exit_code


def _comment(source: Path, baseline: str | None, mode: str, min_effect: float) -> int:
    from evalcore.github.pr_comment import GitHubContext, post_comment

    print(post_comment(source, GitHubContext.from_env(), mode, baseline, min_effect=min_effect))  # type: ignore[arg-type]
    return 0


def _csv(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


if __name__ == "__main__":
    sys.exit(main())
