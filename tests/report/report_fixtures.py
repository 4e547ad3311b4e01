"""Synthetic results for the report tests: every section kind, every status, and hostile text everywhere a model,
a dataset or a tampered results file could put it."""

from __future__ import annotations

import random

from evalcore.domain.gate import Rule, decide
from evalcore.domain.results import (
    AgentOutcome,
    CaseResult,
    GuardrailOutcome,
    MetricScore,
    PolicyHit,
    RunMeta,
    RunResult,
    SectionSummary,
    ToolCall,
    Turn,
    Usage,
    summarize,
)

HOSTILE = (
    "<script>alert(1)</script> @org/team #123 | pipes | ```js `x` ::set-output name=x::1 \x1b[31mred\x1b[0m \x00end"
)
HOSTILE_MODEL = "<b>@org/team</b>|x"


def _eval_case(i: int, model: str, status: str, correctness: float, hostile: bool) -> CaseResult:
    prompt = f"Question {i}: {HOSTILE}" if hostile else f"What is the capital of country number {i}?"
    return CaseResult(
        case_id=f"c{i:03d}{model[:3]}",
        section="qa",
        kind="evaluation",
        model=model,
        model_id=f"vendor.{model}-v1",
        item_key=f"item{i:04d}abcdef",
        status=status,  # type: ignore[arg-type]
        reason="ThrottlingException: rate exceeded \x1b[31m@oncall\x1b[0m" if status == "error" else None,
        source=f"datasets/qa.jsonl:{i + 1}",
        prompt=prompt,
        reference=f"Reference answer {i} | with a pipe",
        output=None if status == "error" else (f"Answer {i}: {HOSTILE}" if hostile else f"City {i}."),
        metrics=[]
        if status == "error"
        else [
            MetricScore(
                name="Builtin.Correctness",
                value=correctness,
                passed=correctness >= 0.5,
                explanation=f"The judge says: {HOSTILE}" if hostile else "Matches the reference.",
            ),
            MetricScore(name="contains", value=float(status == "pass"), passed=status == "pass"),
        ],
        latency_ms=100.0 + i,
        usage=Usage(input_tokens=20, output_tokens=10),
        cost_usd=0.0001,
    )


def _guardrail_case(i: int, expected: str, observed: str) -> CaseResult:
    return CaseResult(
        case_id=f"g{i:03d}",
        section="safety",
        kind="guardrail",
        item_key=f"probe{i:04d}",
        status="pass" if expected == observed else "fail",
        source=f"suite.yml:{40 + i}",
        prompt=f"probe {i}: {HOSTILE}" if i == 0 else f"probe {i}",
        output="Sorry, I can't help with that." if observed == "blocked" else None,
        guardrail=GuardrailOutcome(
            expected=expected,  # type: ignore[arg-type]
            observed=observed,  # type: ignore[arg-type]
            expected_policy="content.VIOLENCE" if expected == "blocked" else None,
            hits=[PolicyHit(policy="content.VIOLENCE", action="BLOCKED", confidence="HIGH", match=HOSTILE)]
            if observed == "blocked"
            else [],
            units=1,
        ),
        latency_ms=30.0,
    )


def _agent_case(test: str, repeat: int, passed: bool) -> CaseResult:
    return CaseResult(
        case_id=f"a-{test}-{repeat}",
        section="support",
        kind="agent",
        item_key=f"agent-{test}",
        repeat=repeat,
        status="pass" if passed else "fail",
        source=f"suite.yml:{60 + repeat}",
        agent=AgentOutcome(
            test=test,
            turns=[
                Turn(
                    user="I want to file a claim for my car.",
                    agent=f"Sure. {HOSTILE}",
                    tool_calls=[ToolCall(action_group="claims", function="open_claim", parameters={"type": "car"})],
                    citations=["s3://handbook/claims.md"],
                    latency_ms=800.0,
                ),
                Turn(user="Thanks, what's next?", agent="An adjuster will call you."),
            ],
            steps_attempted=True,
            reasoning="All expected results observed." if passed else f"Missing the claim number. {HOSTILE}",
            evaluator_model="anthropic.claude-3-haiku",
        ),
        latency_ms=1500.0,
        usage=Usage(input_tokens=300, output_tokens=120),
    )


def build_cases(hostile: bool = True, n: int = 6) -> list[CaseResult]:
    models = ["haiku", HOSTILE_MODEL if hostile else "sonnet"]
    cases: list[CaseResult] = []
    for i in range(n):
        for j, model in enumerate(models):
            status = "error" if (i == 1 and j == 0) else ("fail" if i % 3 == 2 else "pass")
            cases.append(_eval_case(i, model, status, 0.2 if status == "fail" else 0.9 - 0.05 * j, hostile and i == 0))
    combos = [("blocked", "blocked"), ("blocked", "allowed"), ("allowed", "allowed"), ("allowed", "blocked")]
    combos += [("anonymized", "anonymized"), ("blocked", "blocked")]
    cases += [_guardrail_case(i, e, o) for i, (e, o) in enumerate(combos)]
    cases += [_agent_case("file_claim", r, r != 1) for r in range(3)]
    cases += [_agent_case("check_status", 0, True)]
    return cases


def build_run(cases: list[CaseResult], suite_path: str = "evals/suite.yml") -> RunResult:
    summaries = summarize(cases)
    kinds = {c.section: c.kind for c in cases}
    sections = []
    for name, kind in kinds.items():
        models = [s for (sec, _), s in summaries.items() if sec == name]
        planned = sum(m.counts.total for m in models)
        sections.append(SectionSummary(name=name, kind=kind, planned=planned, models=models))
    sections.append(
        SectionSummary(
            name="jobs",
            kind="evaluation",
            status="not_run",
            reason="preflight: the bucket 'evals' cannot be reached: <b>Could not connect</b>",
        )
    )
    run = RunResult(
        run=RunMeta(
            suite="demo",
            suite_path=suite_path,
            run_id="run123",
            tool_version="0.1.0",
            started_at=1_764_000_000.0,
            finished_at=1_764_000_042.5,
            git_sha="0123456789abcdef",
        ),
        sections=sections,
    )
    rules = [
        Rule("qa", "Builtin.Correctness", "min", 0.7, None, 12),
        Rule("qa", "error_rate", "max", 0.0, None, None, "default"),
        Rule("safety", "block_rate", "min", 0.9, None, 20),
        Rule("support", "pass_rate", "min", 1.0, None, None, "default"),
    ]
    run.verdict = decide(run, rules)
    return run


def shuffled(cases: list[CaseResult], seed: int = 7) -> list[CaseResult]:
    copy = list(cases)
    random.Random(seed).shuffle(copy)
    return copy
