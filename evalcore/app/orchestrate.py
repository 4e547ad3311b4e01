"""One run, start to finish: load the suite, plan, run every section through its runner with the shared
scheduler, append results as they finish, aggregate, gate, write results.json and the reports.

Only a broken suite (exit 2), an output directory another run is writing in, or missing credentials (exit 3)
stop a run before any call is made; after that, every planned case ends in exactly one result, even when the run is
cancelled (those cases are `error`, "cancelled", and `--resume` runs them again). A case whose result is missing all
the same (the results file cut or overwritten under the run) fails the gate.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from evalcore import __version__
from evalcore.app.defaults import OUT_DIR
from evalcore.app.history_command import HistoryGate, gate_history
from evalcore.app.progress import Progress
from evalcore.app.rerun import RerunRequest, RerunSource, read_rerun
from evalcore.bedrock.clients import Aws, CredentialsMissing
from evalcore.bedrock.pricing import Pricing
from evalcore.domain.gate import EXIT_INFRA, decide, parse_overrides, rules_for
from evalcore.domain.plan import Case, Plan, PlannedCases, PlannedIds, SectionPlan, build_plan, only, shard
from evalcore.domain.results import (
    CASES_FILE,
    RUN_FILE,
    CaseResult,
    CaseWriter,
    ConcurrencyLevel,
    EarlierAttempt,
    ModelSummary,
    RunMeta,
    RunResult,
    SectionSummary,
    final_cases,
    summarize,
    write_run,
)
from evalcore.engine.budget import CostBudget, budget_reason
from evalcore.engine.cache import ResponseCache, content_digest
from evalcore.engine.meter import Meter
from evalcore.engine.out_lock import DirectoryBusy, own_directory
from evalcore.engine.scheduler import ModelLimits, Scheduler
from evalcore.report.gating import JunitFailures
from evalcore.runners.context import RunContext, Runner, SectionNotRun, case_result
from evalcore.runners.job_registry import JOBS_FILE
from evalcore.runners.registry import runner_for
from evalcore.suite.load import LoadedSuite, load_suite
from evalcore.suite.problems import InputError, Problem


@dataclass
class RunOptions:
    suite: Path
    out: Path = OUT_DIR
    root: Path | None = None  # files the suite refers to must lie inside this folder (the Action's workspace)
    resume: bool = False
    rerun: RerunRequest | None = None  # run again only the failed/errored cases of an earlier run (rerun.py)
    emulator: bool = False
    world: Path | None = None
    concurrency: int | None = None  # where the adaptive level starts (and its ceiling without max_concurrency)
    max_concurrency: int | None = None  # the adaptive level's ceiling
    retry_budget_seconds: float | None = None  # overrides the suite's defaults.retry_budget_seconds
    max_cost_usd: float | None = None  # a cost budget; overrides the suite's defaults.max_cost_usd
    accept_uncounted_cost: bool = False  # run a budget that cannot count some calls (or defaults.accept_uncounted_cost)
    models: list[str] | None = None
    sections: list[str] | None = None
    thresholds: list[str] = field(default_factory=list)
    cache_dir: Path | None = None
    cache_ttl_seconds: float | None = None  # entries older than this are misses, and pruned after the run
    cache_max_bytes: int | None = None  # after the run, the oldest entries go until the cache fits
    shard: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    progress: bool = True
    dry_run: bool = False  # print the requests the run would send (JSON, stdout) and call nothing
    color: bool = False
    junit_failures: JunitFailures = "gate"  # which failed cases junit.xml marks failed (evalcore.report.junit)
    history: HistoryGate | None = None  # record the run and check it for drift before the verdict is written
    cancel: threading.Event = field(default_factory=threading.Event)
    log: Callable[[str], None] = field(default=lambda line: print(line, file=sys.stderr))


@dataclass
class RunOutcome:
    exit_code: int
    out: Path
    run: RunResult | None = None


@dataclass
class Prepared:
    """A checked request: the suite, the threshold overrides and the plan, before anything is called."""

    loaded: LoadedSuite
    overrides: list
    plan: Plan
    max_cost_usd: float | None = None
    rerun: RerunSource | None = None
    cost_not_counted: list[str] = field(default_factory=list)  # what a budget cannot count (cost_coverage.py)


def prepare(options: RunOptions) -> Prepared:
    """Load and check everything a run needs, calling nothing. Raises InputError for bad input (exit 2), so an
    adapter (the GitHub Action) can report it before it prints anything of the run."""
    loaded = load_suite(options.suite, options.root)
    overrides = parse_overrides(options.thresholds, loaded, "--threshold")
    _check_selection(loaded, options)
    if options.resume:
        _check_resumable(options.out)
    if options.rerun is not None:
        prepared = _prepare_rerun(options, options.rerun, loaded, overrides)
    else:
        plan = build_plan(loaded, options.sections, options.models)
        if options.shard:
            plan = shard(plan, *_parse_shard(options.shard))
        prepared = Prepared(loaded, overrides, plan)
    max_cost = options.max_cost_usd if options.max_cost_usd is not None else loaded.suite.defaults.max_cost_usd
    if max_cost is not None and not options.dry_run:
        where = "--max-cost-usd" if options.max_cost_usd is not None else "defaults.max_cost_usd"
        accepted = options.accept_uncounted_cost or loaded.suite.defaults.accept_uncounted_cost
        prepared.cost_not_counted = _check_budget(loaded, prepared.plan, where, accepted)
    prepared.max_cost_usd = max_cost
    return prepared


def _check_budget(loaded: LoadedSuite, plan: Plan, where: str, accepted: bool) -> list[str]:
    """A budget needs a price for every model it counts: one it cannot price would count as $0. Calls it cannot
    count at all (cost_coverage.py) refuse it unless `accepted`; returns them."""
    from evalcore.app.cost_coverage import not_counted
    from evalcore.app.cost_estimate import estimate, unpriced_models

    unpriced = unpriced_models(estimate(loaded, plan))
    if unpriced:
        names = ", ".join(unpriced)
        raise InputError(
            [Problem(where, f"no price for {names}: a budget cannot count its calls (give `price:` under models)")]
        )
    uncounted = not_counted(loaded, plan)
    if uncounted and not accepted:
        raise InputError(
            [
                Problem(
                    where,
                    f"the budget cannot count {'; '.join(uncounted)}, so it would not hold: accept that with "
                    "--accept-uncounted-cost (or defaults.accept_uncounted_cost: true), or run those sections "
                    "without a budget",
                )
            ]
        )
    return uncounted


def _prepare_rerun(options: RunOptions, request: RerunRequest, loaded: LoadedSuite, overrides: list) -> Prepared:
    """A rerun runs the earlier run's plan (its sections, models and shard): a selection of its own is refused.
    Into the earlier run's directory the plan stays whole (the verdict is over every case); into a fresh one it is
    only the cases run again."""
    given = {"--sections": options.sections, "--models": options.models, "--shard": options.shard}
    for flag, value in given.items():
        if value:
            raise InputError([Problem(flag, "not with --rerun (a rerun keeps the selection of the run it reruns)")])
    if options.resume:
        raise InputError([Problem("--rerun", "not with --resume (finish the run first, then rerun its cases)")])
    source = read_rerun(request, loaded, options.out)
    plan = source.plan if source.meta.in_place else only(source.plan, source.earlier.__contains__)
    return Prepared(loaded, overrides, plan, rerun=source)


def run_suite(options: RunOptions, prepared: Prepared | None = None) -> RunOutcome:
    """Run a suite as `evalcore run` does. Raises InputError for bad input (exit 2) unless `prepared` is given."""
    checked = prepared or prepare(options)
    loaded, overrides, plan = checked.loaded, checked.overrides, checked.plan
    rerun = checked.rerun
    if rerun is not None and not rerun.earlier and not rerun.meta.in_place:
        verdict = rerun.run.verdict
        options.log(
            f"evalcore: no {rerun.meta.what()} cases in {rerun.directory}: nothing to rerun (its verdict stands)"
        )
        return RunOutcome(verdict.exit_code if verdict else EXIT_INFRA, options.out, rerun.run)
    if options.dry_run:
        from evalcore.app.dry_run import print_dry_run

        print_dry_run(loaded, only(plan, rerun.earlier.__contains__) if rerun else plan, sys.stdout)
        return RunOutcome(0, options.out)
    try:
        with _emulator(options) as emulators, own_directory(options.out):  # a bad --world is refused before DIR is made
            return _execute(loaded, plan, overrides, options, emulators, checked, rerun)
    except DirectoryBusy as exc:
        options.log(f"evalcore: {exc}")
        return RunOutcome(EXIT_INFRA, options.out)
    except OSError as exc:  # the output directory: a full disk, read-only, not a directory
        where = exc.filename or options.out
        options.log(
            f"evalcore: cannot write {where}: {exc.strerror or exc}; the run stopped (free space or give a "
            f"writable --out; the results written so far stay readable, and --resume {options.out} finishes it)"
        )
        return RunOutcome(EXIT_INFRA, options.out)


def _execute(
    loaded: LoadedSuite,
    plan: Plan,
    overrides: list,
    options: RunOptions,
    emulators: dict[str, str],
    checked: Prepared,
    rerun: RerunSource | None = None,
) -> RunOutcome:
    suite = loaded.suite
    max_cost_usd = checked.max_cost_usd
    out = options.out
    out.mkdir(parents=True, exist_ok=True)
    cases_path = out / CASES_FILE
    from evalcore.report.render import remove_reports

    remove_reports(out)  # a run that stops before its reports leaves none of an earlier run's
    (out / RUN_FILE).unlink(missing_ok=True)
    in_place = rerun is not None and rerun.meta.in_place
    if not options.resume and not in_place:  # a rerun into its own directory appends: every attempt is kept
        for name in (CASES_FILE, JOBS_FILE):
            (out / name).unlink(missing_ok=True)
    start, concurrency = _concurrency(loaded, options)
    aws = Aws(
        region=options.region or suite.aws.region,
        profile=options.profile or suite.aws.profile,
        endpoint_url=options.endpoint_url or suite.aws.endpoint_url,
        pool_size=concurrency,
        timeout_seconds=suite.defaults.timeout_seconds,
    )
    started = time.time()
    sha, ref = _git()
    meta = RunMeta(
        suite=suite.name,
        suite_path=str(options.suite),
        suite_hash=loaded.content_hash,
        run_id=uuid.uuid4().hex[:12],
        tool_version=__version__,
        started_at=started,
        shard=options.shard,
        sections=options.sections,
        models=options.models,
        git_sha=sha,
        git_ref=ref,
        max_cost_usd=max_cost_usd,
        cost_not_counted=checked.cost_not_counted,
        rerun=rerun.meta if rerun is not None else None,
    )
    if max_cost_usd is not None and checked.cost_not_counted:
        options.log(
            f"evalcore: warning: the cost budget of ${max_cost_usd:g} does not count "
            f"{'; '.join(checked.cost_not_counted)} (accepted: the run may spend more)"
        )
    runnable = {s.name: runner_for(s) for s in suite.sections() if any(p.name == s.name for p in plan.sections)}
    if plan.cases and runnable:
        try:
            aws.check_credentials()
        except CredentialsMissing as exc:
            options.log(f"evalcore: {exc}")
            return RunOutcome(EXIT_INFRA, out)
    todo, changed = _still_to_do(plan.cases, cases_path, options) if options.resume else (plan.cases, frozenset())
    earlier: dict[str, list[EarlierAttempt]] = {}
    if rerun is not None:
        earlier = rerun.earlier if in_place else {}
        todo = plan.cases.sliced(rerun.earlier.__contains__) if in_place else todo
        options.log(f"evalcore: rerunning {rerun.meta.describe()} of {rerun.directory}")
    planned = PlannedIds(c.id for c in plan.cases)
    _warn_unknown_quarantine(loaded, plan, options)
    meter = Meter(cases_total=len(todo))
    cache = (
        ResponseCache(options.cache_dir, options.cache_ttl_seconds, options.cache_max_bytes, emulators)
        if options.cache_dir
        else None
    )
    limits = {
        spec.id: ModelLimits(spec.concurrency, spec.requests_per_minute, spec.tokens_per_minute)
        for name in suite.models
        if (spec := suite.model_spec(name)).concurrency or spec.requests_per_minute or spec.tokens_per_minute
    }
    budget = options.retry_budget_seconds
    cost_budget = None if max_cost_usd is None else CostBudget(max_cost_usd, Pricing.of_suite(suite).per_mtok)
    scheduler = Scheduler(
        concurrency=concurrency,
        start_concurrency=start,
        cache=cache,
        meter=meter,
        cancel=options.cancel,
        retry_budget_seconds=suite.defaults.retry_budget_seconds if budget is None else budget,
        model_limits=limits,
        budget=cost_budget,
    )
    ctx = RunContext(
        loaded=loaded, aws=aws, scheduler=scheduler, out=out, run_id=meta.run_id, resume=options.resume, changed=changed
    )
    not_run, budget_cut = _run_cases(ctx, runnable, todo, planned, meter, options, earlier)
    if cache is not None:
        cache.flush()
        if cache.ttl_seconds is not None or cache.max_bytes is not None:
            cache.prune()
        meta.cache_entries_dropped = cache.dropped
        if cache.dropped:
            entries = "entry" if cache.dropped == 1 else "entries"
            options.log(
                f"evalcore: dropped {cache.dropped} bad response cache {entries} (another key's, changed or "
                "unreadable); asked again"
            )
    limiter = scheduler.limiter
    meta.concurrency = ConcurrencyLevel(
        start=start,
        ceiling=concurrency,
        reached=limiter.reached,
        final=int(limiter.limit),
        lowest=limiter.lowest,
        cuts=limiter.cuts,
    )
    if options.progress:  # with the progress lines (not --quiet)
        cut = f", halved {limiter.cuts} times on throttling (lowest {limiter.lowest})" if limiter.cuts else ""
        options.log(
            f"evalcore: concurrency started at {start}, reached {limiter.reached} (ceiling {concurrency}), "
            f"ended at {int(limiter.limit)}{cut}"
        )
    cancelled = ["the run was cancelled: finish it with --resume"] if options.cancel.is_set() else []
    if cost_budget is not None:
        meta.cost_usd = cost_budget.spent_usd
        meta.cut_by_budget = sum(budget_cut.values())
        if meta.cut_by_budget:
            cancelled.append(
                f"the run was cut by its cost budget of ${cost_budget.max_usd:g}: {meta.cut_by_budget} cases not "
                f"run (spent ${cost_budget.spent_usd:.4f}; raise the budget and finish it with --resume)"
            )
    run = finish_run(
        loaded,
        plan.sections,
        planned,
        meta,
        overrides,
        out,
        not_run,
        cancelled,
        options.junit_failures,
        options.history,
        {name: budget_reason(cost_budget.max_usd) for name in budget_cut} if cost_budget is not None else None,
    )
    from evalcore.report.console import console_summary

    print(console_summary(run, color=options.color))
    return RunOutcome(run.verdict.exit_code if run.verdict else EXIT_INFRA, out, run)


def _run_cases(
    ctx: RunContext,
    runnable: dict[str, Runner],
    todo: PlannedCases,
    planned: PlannedIds,
    meter: Meter,
    options: RunOptions,
    earlier: dict[str, list[EarlierAttempt]],
) -> tuple[dict[str, str], dict[str, int]]:
    """Run `todo`, each section in its own thread, writing each result as it comes; returns the sections that
    did not run, with why, and per section the cases the cost budget left not run (they get no result, and
    --resume runs them). The cases stream to the runners; which have a result is one byte a planned case. A case
    run again into its own directory carries its `earlier` outcomes."""
    suite = ctx.loaded.suite
    cases_path = ctx.out / CASES_FILE
    not_run: dict[str, str] = {}
    cut: dict[str, int] = {}

    def stop(failure: OSError) -> None:  # a results line could not be written (a full disk): the run stops
        options.cancel.set()

    with CaseWriter(cases_path, stop) as writer, _signals(options.cancel), _progress(meter, options):
        written = bytearray(len(planned))

        def emit(result: CaseResult) -> None:
            result.finished_at = result.finished_at or time.time()
            result.earlier_attempts = earlier.get(result.case_id, result.earlier_attempts)
            writer.write(result)
            at = planned.index(result.case_id)
            if at is not None:
                written[at] = 1
            meter.case_done(result.status == "error")

        threads = []
        failures: dict[str, str] = {}
        for section in suite.sections():
            cases = todo.of(section.name)
            if section.name not in runnable:
                continue
            runner = runnable[section.name]
            thread = threading.Thread(
                target=_run_section,
                args=(runner, ctx, section.name, cases, emit, failures, not_run),
                name=f"section-{section.name}",
            )
            thread.start()
            threads.append(thread)
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
        # Every planned case ends in exactly one result: what a runner did not finish (cancel, a runner's bug)
        # is an error with its reason, and --resume runs it again; what the cost budget did not start is not run.
        budget = ctx.scheduler.budget
        for case in todo:
            at = planned.index(case.id)
            if (at is None or not written[at]) and case.section not in not_run:
                if budget is not None and budget.reached and not options.cancel.is_set():
                    cut[case.section] = cut.get(case.section, 0) + 1
                    continue
                reason = "cancelled before it finished" if options.cancel.is_set() else "the runner returned no result"
                emit(case_result(case, reason=failures.get(case.section, reason)))
    if writer.failure is not None:
        raise writer.failure
    return not_run, cut


def _warn_unknown_quarantine(loaded: LoadedSuite, plan: Plan, options: RunOptions) -> None:
    """One line naming the quarantined ids that match no case of the suite (a typo, a case since removed)."""
    wanted = set(loaded.suite.quarantine)
    if not wanted:
        return
    unknown = wanted - {c.id for c in build_plan(loaded).cases if c.id in wanted}
    if unknown:
        options.log(f"evalcore: warning: quarantine: {', '.join(sorted(unknown))} match no case of the suite")


def _check_resumable(out: Path) -> None:
    """`--resume DIR` finishes a run that is there: a missing directory, or one without results (nor evaluation
    jobs to re-attach to), is a mistake (a typo, a lost artifact), never a fresh run in disguise."""
    if not out.is_dir():
        what = "is not a directory" if out.exists() else "does not exist"
        raise InputError([Problem(str(out), f"{what}: nothing to resume (to start a run there, use --out)")])
    cases = out / CASES_FILE
    if not (cases.is_file() and cases.stat().st_size) and not (out / JOBS_FILE).is_file():
        raise InputError([Problem(str(out), "holds no results to resume (to start a run there, use --out)")])


def _still_to_do(cases: PlannedCases, cases_path: Path, options: RunOptions) -> tuple[PlannedCases, frozenset[str]]:
    """The cases a resume runs: those without a final result that is not an error, and those whose result was
    made from other inputs than the suite now gives them (a changed model id, prompt, check, judge...) or says
    nothing of its inputs (written by an older evalcore). Also the ids of every case whose last result (errors
    included: a job left running) was made from other inputs: work recorded for them is not re-attached."""
    made_from: dict[str, str | None] = {}
    done: set[str] = set()
    for result in final_cases(cases_path) if cases_path.exists() else ():
        made_from[result.case_id] = result.fingerprint
        if result.status != "error":
            done.add(result.case_id)
    changed = frozenset(c.id for c in cases if c.id in made_from and made_from[c.id] != c.fingerprint)
    del made_from

    def still(case_id: str) -> bool:
        return case_id not in done or case_id in changed

    todo = cases.sliced(still)
    rerun = sum(1 for c in todo if c.id in done)
    line = f"evalcore: resuming: {len(cases) - len(todo)} of {len(cases)} cases already done"
    options.log(f"{line}; {rerun} run again because their inputs changed" if rerun else line)
    return todo, changed


def finish_run(
    loaded: LoadedSuite,
    sections: list[SectionPlan],
    planned: PlannedIds,
    meta: RunMeta,
    overrides: list,
    out: Path,
    not_run: dict[str, str] | None = None,
    errors: list[str] | None = None,
    junit_failures: JunitFailures = "gate",
    history: HistoryGate | None = None,
    partial_reasons: dict[str, str] | None = None,
) -> RunResult:
    """Aggregate, gate, write results.json and the reports from `out`/results.jsonl (each planned case's last
    result): the end of a run, and of a merge of shards. Streams the results: no run is held whole. `errors`
    (a cancel, a shard's missing results) make the verdict `error`, each a reason of its own, first;
    `partial_reasons` say why a section's cases have no result (the cost budget)."""
    suite = loaded.suite
    min_passes = {s.name: s.min_passes for s in [*suite.evaluations, *suite.knowledge_bases] if s.min_passes}
    summaries = summarize(final_cases(out / CASES_FILE, planned=planned), frozenset(suite.quarantine), min_passes)
    run = _run_result(meta, sections, summaries, not_run or {}, partial_reasons or {})
    for summary in run.sections:  # what the baseline comparison needs of the suite, kept with the results
        spec = next((s for s in loaded.suite.evaluations if s.name == summary.name), None)
        if spec is not None:
            summary.primary_metrics, summary.cluster_by = list(spec.primary_metrics), spec.cluster_by
    run.verdict = decide(run, rules_for(loaded, overrides))
    if errors:
        run.verdict.status = "error"
        run.verdict.exit_code = EXIT_INFRA
        run.verdict.reasons[:0] = errors
    if history is not None:
        gate_history(out, run, history)
    write_run(out / RUN_FILE, run)
    from evalcore.report.render import render_reports

    render_reports(out, run, None, keep=planned.__contains__, junit_failures=junit_failures)
    return run


def _run_section(
    runner: Runner,
    ctx: RunContext,
    name: str,
    cases: Iterable[Case],
    emit: Callable[[CaseResult], None],
    failures: dict[str, str],
    not_run: dict[str, str],
) -> None:
    try:
        runner(ctx, name, cases, emit)
    except SectionNotRun as exc:
        not_run[name] = exc.reason
    except Exception as exc:  # a runner's own failure must not lose the other sections
        failures[name] = f"the section stopped: {type(exc).__name__}: {exc}"


def _run_result(
    meta: RunMeta,
    planned: list[SectionPlan],
    summaries: dict[tuple[str, str | None], ModelSummary],
    not_run: dict[str, str],
    partial_reasons: dict[str, str],
) -> RunResult:
    meta.finished_at = time.time()
    sections = []
    for sp in planned:
        models = [summaries[(sp.name, m)] for m in sp.models if (sp.name, m) in summaries]
        done = sum(m.counts.total + len(m.quarantined) for m in models)
        status: Literal["ran", "partial", "not_run"]
        if sp.name in not_run:
            status, reason = "not_run", not_run[sp.name]
        elif done == 0 and sp.name in partial_reasons:
            status, reason = "not_run", partial_reasons[sp.name]
        elif done < sp.cases:
            missing = f"{sp.cases - done} of {sp.cases} planned cases have no result"
            status, reason = (
                "partial",
                f"{missing}: {partial_reasons[sp.name]}" if sp.name in partial_reasons else missing,
            )
        else:
            status, reason = "ran", None
        sections.append(
            SectionSummary(name=sp.name, kind=sp.kind, status=status, reason=reason, planned=sp.cases, models=models)
        )
    return RunResult(run=meta, sections=sections)


def _check_selection(loaded: LoadedSuite, options: RunOptions) -> None:
    names = {s.name for s in loaded.suite.sections()}
    problems = [
        Problem("--sections", f"no section named '{s}' (sections: {', '.join(sorted(names))})")
        for s in options.sections or []
        if s not in names
    ]
    for m in options.models or []:
        if m not in loaded.suite.models and not any(ch in m for ch in ".:"):
            shown = m if len(m) <= 80 else f"{m[:77]}..."
            problems.append(Problem("--models", f"unknown model '{shown}' (a name under `models:` or a model id)"))
    for flag, value in (("--concurrency", options.concurrency), ("--max-concurrency", options.max_concurrency)):
        if value is not None and not 1 <= value <= 1024:
            problems.append(Problem(flag, f"{value} is out of range (1 to 1024)"))
    if options.shard:
        try:
            _parse_shard(options.shard)
        except ValueError as exc:
            problems.append(Problem("--shard", str(exc)))
    if problems:
        raise InputError(problems)


def _concurrency(loaded: LoadedSuite, options: RunOptions) -> tuple[int, int]:
    """(start, ceiling) of the adaptive concurrency. The start is `--concurrency` or `defaults.concurrency` (16);
    the ceiling `--max-concurrency` or `defaults.max_concurrency` when either is given, else a concurrency the
    user set (it caps, as it always did), else 64. A start above the ceiling starts at the ceiling."""
    defaults = loaded.suite.defaults
    given = defaults.model_fields_set
    concurrency = options.concurrency or (defaults.concurrency if "concurrency" in given else None)
    ceiling = options.max_concurrency or (defaults.max_concurrency if "max_concurrency" in given else None)
    ceiling = ceiling or concurrency or defaults.max_concurrency
    return min(concurrency or defaults.concurrency, ceiling), ceiling


def _parse_shard(text: str) -> tuple[int, int]:
    try:
        index, total = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"'{text}' is not a shard (write i/n, e.g. 2/4)") from None
    if total < 1:
        raise ValueError(f"'{text}': a run has at least one shard (n >= 1)")
    if not 1 <= index <= total:
        raise ValueError(f"'{text}': the shard index must be between 1 and {total}")
    return index, total


def _git() -> tuple[str | None, str | None]:
    """The commit and ref being tested: GitHub's variables, else `git rev-parse HEAD` (no ref)."""
    sha = os.environ.get("GITHUB_SHA")
    ref = os.environ.get("GITHUB_HEAD_REF") or os.environ.get("GITHUB_REF_NAME")
    if sha is None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            sha = (
                subprocess.run(
                    ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=2, check=True
                ).stdout.strip()
                or None
            )
    return sha, ref


@contextlib.contextmanager
def _signals(cancel: threading.Event) -> Iterator[None]:
    """SIGTERM (GitHub's cancel) and SIGINT set the cancel event: running work winds down and is recorded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        cancel.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextlib.contextmanager
def _progress(meter: Meter, options: RunOptions) -> Iterator[None]:
    if not options.progress:
        yield
        return
    with Progress(meter):
        yield


@contextlib.contextmanager
def _emulator(options: RunOptions) -> Iterator[dict[str, str]]:
    """With --emulator: a local Bedrock for the run, its endpoints and fake credentials in the environment. Yields
    the emulator's endpoint URL with its world's content hash (the cache's identity for answers it gives)."""
    if not options.emulator:
        yield {}
        return
    from evalcore_emulator import Emulator
    from evalcore_emulator.world import WorldError

    try:
        emulator = Emulator(world=options.world)
    except WorldError as exc:  # a missing or invalid --world: bad input, before anything is started or written
        problem = f"{exc.problem} (see docs/emulator.md)"
        raise InputError([Problem(exc.source, problem, exc.line, field=exc.field or None)]) from None
    with emulator as emu:
        saved = {k: os.environ.get(k) for k in emu.env()}
        os.environ.update(emu.env())
        options.log(f"evalcore: emulator at {emu.endpoint}")
        try:
            yield {emu.endpoint: content_digest(emu.world.model_dump(mode="json"))}
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
