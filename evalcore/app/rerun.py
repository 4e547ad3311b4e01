"""`evalcore run --rerun failed|errored|both DIR`: which cases of an earlier run to run again.

Case ids come from content, so the cases are picked by id from the plan the suite makes now, with the selection
(sections, models, shard) DIR's run was made with. DIR must be a whole run of the same suite: results.json readable,
the suite's content hash the one recorded there, and every planned case with a final result in results.jsonl;
anything else is bad input (one line, exit 2) found before anything is called: a rerun is never a guess."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NoReturn

from evalcore.domain.plan import Plan, PlannedIds, build_plan, shard
from evalcore.domain.results import CASES_FILE, RUN_FILE, EarlierAttempt, Rerun, RunResult, final_cases, read_run
from evalcore.suite.load import LoadedSuite
from evalcore.suite.problems import InputError, Problem

Which = Literal["failed", "errored", "both"]
_STATUSES: dict[str, frozenset[str]] = {
    "failed": frozenset({"fail"}),
    "errored": frozenset({"error"}),
    "both": frozenset({"fail", "error"}),
}


@dataclass(frozen=True)
class RerunRequest:
    which: Which
    source: Path


@dataclass
class RerunSource:
    """An earlier run and the cases of it to run again, with each one's earlier outcomes (oldest first)."""

    directory: Path
    run: RunResult
    plan: Plan  # the earlier run's whole plan
    earlier: dict[str, list[EarlierAttempt]]  # the cases to run again
    meta: Rerun


def read_rerun(request: RerunRequest, loaded: LoadedSuite, out: Path) -> RerunSource:
    """The cases of `request.source` to run again (into `out`). Raises InputError (one line) when the directory is
    not a whole, readable run of this suite."""
    directory = request.source
    run = _read_run(directory)
    if run.run.suite_hash != loaded.content_hash:
        _refuse(directory, "the suite or its data changed since this run was written (run the whole suite again)")
    plan = build_plan(loaded, run.run.sections, run.run.models)
    if run.run.shard:
        index, total = (int(x) for x in run.run.shard.split("/"))
        plan = shard(plan, index, total)
    planned = PlannedIds(c.id for c in plan.cases)
    wanted = _STATUSES[request.which]
    earlier: dict[str, list[EarlierAttempt]] = {}
    found = 0
    try:
        for result in final_cases(directory / CASES_FILE, planned=planned):
            found += 1
            if result.status in wanted:
                latest = EarlierAttempt(status=result.status, reason=result.reason, finished_at=result.finished_at)
                earlier[result.case_id] = [*result.earlier_attempts, latest]
    except (OSError, ValueError) as exc:
        _refuse(directory, f"{CASES_FILE} is unreadable ({exc})")
    if found < len(planned):
        _refuse(
            directory,
            f"an incomplete run: {len(planned) - found} of {len(planned)} planned cases have no result "
            f"(finish it with --resume {directory})",
        )
    in_place = out.resolve() == directory.resolve()
    meta = Rerun(
        of=str(directory), of_run_id=run.run.run_id, which=request.which, cases=len(earlier), in_place=in_place
    )
    return RerunSource(directory, run, plan, earlier, meta)


def _read_run(directory: Path) -> RunResult:
    path = directory / RUN_FILE
    if not directory.is_dir():
        _refuse(directory, "is not a results directory (nothing to rerun)")
    if not path.is_file() or not (directory / CASES_FILE).is_file():
        _refuse(directory, f"holds no whole run ({path.name} or {CASES_FILE} is missing; finish it with --resume)")
    try:
        run = read_run(path)
    except (OSError, ValueError) as exc:  # torn JSON, another schema, a field of the wrong type
        _refuse(directory, f"{RUN_FILE} is unreadable ({type(exc).__name__}): rerun a whole run's directory")
    if run.verdict is None or any(s.status != "ran" for s in run.sections):
        _refuse(directory, f"an incomplete run (a section did not run): finish it with --resume {directory}")
    return run


def _refuse(directory: Path, message: str) -> NoReturn:
    raise InputError([Problem(str(directory), message)])
