"""The Runner for `agents` sections: each planned case (a test, a repeat) is one conversation, run concurrently
through the shared scheduler; every case ends in exactly one result, whatever happens to the others.

The section's `concurrency` is how many tests run at once (default: the run's concurrency); calls in flight stay
within the run's concurrency either way, through the shared scheduler.

A case's status: `error` when it could not be evaluated (a call failed after retries, an unreadable verdict, a
returnControl without a value, a timeout, a hook or a bug); `fail` when the evaluator found a step or an expected
result missing, max turns were reached, or a tool call or citation assertion failed; `pass` otherwise.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from evalcore.bedrock.clients import Aws
from evalcore.bedrock.pricing import Pricing
from evalcore.domain.plan import AgentItem, Case
from evalcore.domain.results import AgentOutcome, CaseResult, MetricScore
from evalcore.engine.scheduler import CallFailed, Cancelled
from evalcore.runners.agents import agenteval_output, assertions, hooks
from evalcore.runners.agents.agentcore_evaluations import AgentCoreEvaluations
from evalcore.runners.agents.evaluator import ALL_OBSERVED, AgentRun, EvaluatorModel, TestError, converse
from evalcore.runners.agents.targets import SessionBroken, Target, TargetEnv
from evalcore.runners.agents.targets.agentcore_mcp import AgentCoreMcp
from evalcore.runners.agents.targets.build import build_target
from evalcore.runners.agents.tool_test import run_tool_test
from evalcore.runners.agents.trace_log import TraceLog
from evalcore.runners.context import RunContext
from evalcore.runners.direct import pricing_for
from evalcore.suite.load import ResolvedAgents
from evalcore.suite.models import AgentTest

DEFAULT_TEST_TIMEOUT_SECONDS = 900.0
SESSION_RESTARTS = 3  # a test whose target session broke mid-turn starts over, at most this often


@dataclass
class _Section:
    name: str
    resolved: ResolvedAgents
    evaluator: EvaluatorModel | None  # None: a section of only `tool:` tests, which call no evaluator
    target: Target | None
    target_problem: str | None
    pricing: Pricing
    agentcore: AgentCoreEvaluations | None = None  # the section's agentcore_evaluators, when it lists any
    traces: dict[str, TraceLog] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_agents(ctx: RunContext, section_name: str, cases: Iterable[Case], emit: Callable[[CaseResult], None]) -> None:
    section = _prepare(ctx, section_name)
    finished: list[CaseResult] = []

    def keep(result: CaseResult) -> None:
        with section.lock:
            finished.append(result)
        emit(result)

    spec = next(s for s in ctx.loaded.suite.agents if s.name == section_name)
    workers = spec.concurrency or ctx.scheduler.concurrency
    try:
        ctx.scheduler.map(cases, functools.partial(_run_case, section), keep, workers=workers)
    finally:
        agenteval_output.write(ctx.out / "agenteval" / section_name, cases, finished, section.traces)


def _prepare(ctx: RunContext, section_name: str) -> _Section:
    resolved = ctx.loaded.agents[section_name]
    evaluator = None
    if resolved.evaluator is not None and resolved.evaluator_model_id is not None:
        spec = resolved.evaluator
        client = ctx.aws.client("bedrock-runtime", spec.region, spec.endpoint_url)
        evaluator = EvaluatorModel(ctx.scheduler, client, resolved.evaluator_model_id, spec.max_retry)
    env = TargetEnv(ctx.scheduler, _client_factory(ctx.aws), resolved.base_dir)
    target, problem, agentcore = None, None, None
    try:
        target = build_target(resolved.target, env)
        if resolved.agentcore_evaluators:
            agentcore = AgentCoreEvaluations(resolved.agentcore_evaluators, resolved.target, env)
    except Exception as exc:  # a bad custom target or path: every test of the section says why
        problem = f"the target could not be set up: {type(exc).__name__}: {exc}"
    return _Section(
        section_name,
        resolved,
        evaluator,
        target,
        problem,
        pricing_for(ctx),
        agentcore,
    )


def _client_factory(aws: Aws) -> Callable[[str, Any], Any]:
    """Clients built once per (profile, service, region, endpoint): targets naming another profile get their own
    session, everything else shares the run's."""
    sessions: dict[str | None, Aws] = {aws.profile: aws}
    lock = threading.Lock()

    def client(service: str, spec: Any) -> Any:
        profile = getattr(spec, "profile", None) or aws.profile
        with lock:
            owner = sessions.get(profile)
            if owner is None:
                owner = Aws(
                    region=aws.region,
                    profile=profile,
                    endpoint_url=aws.endpoint_url,
                    pool_size=aws.pool_size,
                    timeout_seconds=aws.timeout_seconds,
                )
                sessions[profile] = owner
        return owner.client(service, getattr(spec, "region", None), getattr(spec, "endpoint_url", None))

    return client


def _run_case(section: _Section, case: Case) -> CaseResult:
    """One test run to one result; never raises."""
    item = case.item_as(AgentItem)
    name, test = item.test_name, item.test
    trace = TraceLog(name)
    with section.lock:
        section.traces[case.id] = trace
    run = AgentRun(case.repeat)
    started = time.perf_counter()
    timeout = test.timeout_seconds or DEFAULT_TEST_TIMEOUT_SECONDS
    try:
        if section.target is None:
            raise TestError(section.target_problem or "no target")
        hook = hooks.load_hook(test.hook, section.resolved.base_dir) if test.hook else None
        hook_test = hooks.hook_test(name, test)
        if hook is not None:
            hooks.pre_evaluate(hook, hook_test, trace)
        if test.tool is not None:  # a tool test: one MCP session, its result checked (no evaluator)
            if not isinstance(section.target, AgentCoreMcp):
                raise TestError("a `tool:` test needs an agentcore-mcp target")
            scores = run_tool_test(section.target, test, run, trace)
        else:
            run, scores = _converse(section, section.target, test, case.repeat, run, trace, timeout)
        if hook is not None:
            _post_hook(hook, hook_test, run, trace)
    except TestError as exc:
        run.status, run.reason = "error", str(exc)
        scores = []
    except CallFailed as exc:  # the target's call, after the scheduler's retries
        run.status, run.reason = "error", f"target call failed: {exc.reason}"
        run.attempts += exc.attempts
        scores = []
    except Cancelled:
        run.status, run.reason = "error", "cancelled before it finished"
        scores = []
    except Exception as exc:  # a bug, a hook's or a target's exception: this test's error, never the run's
        run.status, run.reason = "error", f"{type(exc).__name__}: {exc}"
        scores = []
    finally:
        trace.close()
    return _result(section, case, run, scores, (time.perf_counter() - started) * 1000)


def _converse(
    section: _Section, target: Target, test: AgentTest, repeat: int, run: AgentRun, trace: TraceLog, timeout: float
) -> tuple[AgentRun, list[MetricScore]]:
    """The conversation, started over in a new session when one broke, then the trace assertions: the run (a new
    one after a restart) and its scores."""
    if section.evaluator is None:  # the loader refuses a conversation test in a section without an evaluator
        raise TestError("a conversation test needs the section's `evaluator`")
    for restart in range(SESSION_RESTARTS + 1):
        session = target.session(test, repeat)
        try:
            converse(test, session, section.evaluator, run, trace, timeout)
            break
        except SessionBroken as exc:  # the same test again in a new session; what was spent stays counted
            if restart == SESSION_RESTARTS:
                raise TestError(f"{exc}; started over in a new session {SESSION_RESTARTS} times") from None
            trace.add_step("session_broken", reason=str(exc))
            run = AgentRun(
                repeat,
                attempts=run.attempts + 1,
                evaluator_usage=run.evaluator_usage,
                target_usage=run.target_usage,
            )
    scores = assertions.check(test, run.turns)
    if section.agentcore is not None:
        scores += section.agentcore.score(test, session)
    failed = [f"{s.name}: {s.explanation}" for s in scores if s.passed is False]
    if run.status == "pass" and failed:
        run.status, run.reason = "fail", "; ".join(failed)
    elif failed:
        run.reason = "; ".join([run.reason or "", *failed]).strip("; ")
    return run, scores


def _post_hook(hook: Any, test: hooks.HookTest, run: AgentRun, trace: TraceLog) -> None:
    passed = run.status == "pass"
    result = hooks.HookTestResult(
        test_name=test.name,
        result=ALL_OBSERVED if passed else run.reason or "",
        reasoning=run.reasoning or "",
        passed=passed,
        conversation=hooks.conversation(run.turns),
    )
    hooks.post_evaluate(hook, test, result, trace)
    run.status = "pass" if result.passed else "fail"
    run.reason = None if result.passed else (result.result or "failed by the post_evaluate hook")
    run.reasoning = result.reasoning or run.reasoning


def _result(section: _Section, case: Case, run: AgentRun, scores: list[MetricScore], latency_ms: float) -> CaseResult:
    test_name = case.item_as(AgentItem).test_name
    model_id = section.evaluator.model_id if section.evaluator is not None else None
    target_model = run.target_model or (section.target.model_id if section.target is not None else None)
    metrics = list(scores)
    if run.results_observed is not None:
        observed = run.results_observed
        metrics.insert(0, MetricScore(name="expected_results", value=float(observed), passed=observed))
    return CaseResult(
        case_id=case.id,
        section=case.section,
        kind="agent",
        model=None,
        model_id=target_model,
        repeat=case.repeat,
        item_key=case.item_key,
        fingerprint=case.fingerprint,
        status=run.status,
        reason=run.reason,
        source=test_name,
        prompt=run.turns[0].user if run.turns else None,
        output=run.turns[-1].agent if run.turns else None,
        metrics=metrics,
        latency_ms=latency_ms,
        usage=run.target_usage,
        judge_usage=run.evaluator_usage,
        cost_usd=section.pricing.cost(target_model, run.target_usage) if target_model else None,
        judge_cost_usd=section.pricing.cost(model_id, run.evaluator_usage) if model_id else None,
        attempts=run.attempts,
        agent=AgentOutcome(
            test=test_name,
            turns=run.turns,
            steps_attempted=run.steps_attempted,
            reasoning=run.reasoning,
            evaluator_model=model_id,
            target_usage=run.target_usage,
        ),
    )
