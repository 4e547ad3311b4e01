"""`evalcore merge`: shard results (from `--shard i/n` runs, e.g. a GitHub Actions matrix) combined into one run
with one results file, one set of reports and the verdict a single run would give.

Refused (exit 2): directories without results, runs of different suites or of a changed suite (content hash),
runs that are not shards or disagree on the number of shards or the selection, the same shard twice, and missing
shards (named, so the failed matrix job is easy to find). Each shard's planned cases are checked against that
shard's results (only its own slice is taken from its directory): a shard that lost results makes the verdict
`error` (exit 3) with a reason naming it and how many it lacks. The output directory is locked like a run's (exit 3
when another run or merge is writing there).
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from evalcore import __version__
from evalcore.app.history_command import HistoryGate
from evalcore.app.orchestrate import RunOutcome, finish_run
from evalcore.domain.gate import EXIT_INFRA, parse_overrides
from evalcore.domain.plan import PlannedIds, SectionPlan, build_plan, in_shard
from evalcore.domain.results import CASES_FILE, RUN_FILE, CaseWriter, RunMeta, RunResult, final_cases, read_run
from evalcore.engine.out_lock import DirectoryBusy, own_directory
from evalcore.report.gating import JunitFailures
from evalcore.suite.load import LoadedSuite, load_suite
from evalcore.suite.problems import InputError, Problem


def merge_shards(
    dirs: list[Path],
    out: Path,
    suite_path: Path | None = None,
    thresholds: list[str] | None = None,
    junit_failures: JunitFailures = "gate",
    history: HistoryGate | None = None,
) -> RunOutcome:
    runs = [_read(d) for d in dirs]
    first = runs[0]
    problems: list[Problem] = []
    totals: set[int] = set()
    seen: dict[int, Path] = {}
    for directory, run in zip(dirs, runs, strict=True):
        meta = run.run
        if meta.suite != first.run.suite or meta.suite_hash != first.run.suite_hash:
            problems.append(Problem(str(directory), f"a run of suite '{meta.suite}' ({(meta.suite_hash or '')[:12]}) "
                                    f"cannot merge with '{first.run.suite}' ({(first.run.suite_hash or '')[:12]})"))  # fmt: skip
        if (meta.sections, meta.models) != (first.run.sections, first.run.models):
            problems.append(Problem(str(directory), "ran with other --sections/--models than the first directory"))
        if not meta.shard:
            problems.append(Problem(str(directory), "not a shard (run it with --shard i/n)"))
            continue
        index, total = (int(x) for x in meta.shard.split("/"))
        totals.add(total)
        if index in seen:
            problems.append(Problem(str(directory), f"shard {meta.shard} again (also in {seen[index]})"))
        seen[index] = directory
    if len(totals) > 1:
        problems.append(Problem(str(dirs[0]), f"the shards disagree on their number: {sorted(totals)}"))
    elif totals:
        total = totals.pop()
        missing = [f"{i}/{total}" for i in range(1, total + 1) if i not in seen]
        if missing:
            problems.append(Problem(str(dirs[0]), f"missing shard(s) {', '.join(missing)}: merge all {total} shards"))
    if problems:
        raise InputError(problems)

    loaded = load_suite(suite_path or Path(first.run.suite_path or ""))
    if loaded.content_hash != first.run.suite_hash:
        raise InputError(
            [Problem(str(loaded.path), "the suite or its data changed since the shards ran (re-run them)")]
        )
    overrides = parse_overrides(thresholds or [], loaded, "--threshold")
    plan = build_plan(loaded, first.run.sections, first.run.models)
    planned = PlannedIds(c.id for c in plan.cases)  # only the ids and the sections are needed from here on
    try:
        with own_directory(out):
            return _write_merged(dirs, runs, out, loaded, plan.sections, planned, overrides, junit_failures, history)
    except DirectoryBusy as exc:
        print(f"evalcore: {exc}", file=sys.stderr)
        return RunOutcome(EXIT_INFRA, out)


def _write_merged(
    dirs: list[Path],
    runs: list[RunResult],
    out: Path,
    loaded: LoadedSuite,
    sections: list[SectionPlan],
    planned: PlannedIds,
    overrides: list,
    junit_failures: JunitFailures,
    history: HistoryGate | None,
) -> RunOutcome:
    first = runs[0]
    from evalcore.report.render import remove_reports

    remove_reports(out)  # a merge that stops before its reports leaves none of an earlier run's
    for name in (CASES_FILE, RUN_FILE):
        (out / name).unlink(missing_ok=True)
    # Shards partition the cases: each shard's final results of its own slice are copied through, one at a time,
    # never all held, and counted against the cases the slice plans.
    lacking: list[str] = []
    with CaseWriter(out / CASES_FILE) as writer:
        for directory, run in zip(dirs, runs, strict=True):
            shard = run.run.shard or ""
            index, total = (int(x) for x in shard.split("/"))

            def mine(case_id: str, index: int = index, total: int = total) -> bool:
                return in_shard(case_id, index, total)

            expected = sum(1 for case_id in planned if mine(case_id))
            found = 0
            try:
                for case in final_cases(directory / CASES_FILE, mine, planned):
                    writer.write(case)
                    found += 1
            except ValueError as exc:  # a line that is not a case result
                raise InputError([Problem(str(directory), str(exc))]) from None
            if found < expected:
                lacking.append(
                    f"shard {shard} ({directory}): {expected - found} of {expected} planned cases have no result"
                )
    meta = RunMeta(
        suite=first.run.suite,
        suite_path=str(loaded.path),
        suite_hash=loaded.content_hash,
        run_id=uuid.uuid4().hex[:12],
        tool_version=__version__,
        started_at=min(r.run.started_at for r in runs),
        git_sha=first.run.git_sha,
        git_ref=first.run.git_ref,
        sections=first.run.sections,
        models=first.run.models,
        cache_entries_dropped=sum(r.run.cache_entries_dropped for r in runs),  # each shard's own cache reads
    )
    run = finish_run(
        loaded, sections, planned, meta, overrides, out, errors=lacking, junit_failures=junit_failures, history=history
    )
    return RunOutcome(run.verdict.exit_code if run.verdict else EXIT_INFRA, out, run)


def _read(directory: Path) -> RunResult:
    path = directory / RUN_FILE
    if not path.is_file() or not (directory / CASES_FILE).is_file():
        raise InputError(
            [Problem(str(directory), "no results.json and results.jsonl here (a shard's output directory)")]
        )
    try:
        return read_run(path)
    except ValueError as exc:
        raise InputError([Problem(str(path), str(exc))]) from None
