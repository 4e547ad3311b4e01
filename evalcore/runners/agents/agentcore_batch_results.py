"""A finished AgentCore batch evaluation's per-session scores, read from CloudWatch Logs into one result per case.

Where: AWS puts "aggregate summaries in the API response, and per-session detail in CloudWatch Logs" (devguide,
batch-evaluations-results.html), in GetBatchEvaluation's `outputConfig.cloudWatchConfig` log group and stream
(botocore's bedrock-agentcore model, CloudWatchOutputConfig). What: the docs say only that evaluation results
"follow OpenTelemetry semantic conventions for GenAI evaluation result events" (devguide, results-and-output.html).
evalcore ASSUMES one log event per (session, evaluator), its message a JSON document
`{"event.name": "gen_ai.evaluation.result", "attributes": {...}}` with the OpenTelemetry attributes
`gen_ai.evaluation.name` (the evaluator id), `gen_ai.evaluation.score.value`, `gen_ai.evaluation.score.label`,
`gen_ai.evaluation.explanation`, `error.type` (the evaluator could not score), `session.id` and `test_scenario.id`
(the dataset scenario the session ran). Anything else is not guessed at: `UnexpectedResults`, one line, and the
cases are `error` (the run exits 3).

A case (a test; its key is the scenario id) is `pass` when every evaluator scored its session (each score a metric
by `agentcore_scores`, the on-demand path's rule; the section's thresholds on `agentcore:<evaluator>` then gate), `error` when one could not, when its scenario has no result, or
when it ran more than once (several sessions: which one counts is not known).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evalcore.domain.plan import AgentItem, Case
from evalcore.domain.results import CaseResult, MetricScore
from evalcore.runners.agents.agentcore_scores import agentcore_score
from evalcore.runners.context import case_result
from evalcore.runners.job_requests import JobPlan
from evalcore.suite import metric_names

EVENT_NAME = "gen_ai.evaluation.result"


class UnexpectedResults(Exception):
    """A result event of a shape evalcore does not know."""


class _Attributes(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    evaluator: str = Field(alias="gen_ai.evaluation.name", min_length=1)
    session_id: str = Field(alias="session.id", min_length=1)
    scenario_id: str = Field(alias="test_scenario.id", min_length=1)
    value: float | None = Field(None, alias="gen_ai.evaluation.score.value")
    label: str | None = Field(None, alias="gen_ai.evaluation.score.label")
    explanation: str | None = Field(None, alias="gen_ai.evaluation.explanation")
    error_type: str | None = Field(None, alias="error.type")


class _Event(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    name: str = Field(alias="event.name")
    attributes: _Attributes


def read_results(
    logs: Any, found: dict[str, Any], job: JobPlan, cases: Mapping[str, Case], emit: Callable[[CaseResult], None]
) -> None:
    """Emit a result for each of `job`'s cases in `cases`, from the batch evaluation `found` (GetBatchEvaluation)."""
    output = (found.get("outputConfig") or {}).get("cloudWatchConfig") or {}
    group, stream = output.get("logGroupName"), output.get("logStreamName")
    if not group:
        raise UnexpectedResults("GetBatchEvaluation names no outputConfig.cloudWatchConfig.logGroupName")
    by_scenario: dict[str, list[_Attributes]] = {}
    for message in _messages(logs, str(group), str(stream) if stream else None):
        event = _parse(message)
        by_scenario.setdefault(event.scenario_id, []).append(event)
    evaluators = [str(e.get("evaluatorId")) for e in found.get("evaluators") or []]
    for case_id in job.case_ids:
        case = cases.get(case_id)
        if case is not None:
            emit(_result(case, job, evaluators, by_scenario.get(case.item_as(AgentItem).test_name, [])))


def _messages(logs: Any, group: str, stream: str | None) -> Iterator[str]:
    kwargs: dict[str, Any] = {"logGroupName": group}
    if stream:
        kwargs["logStreamNames"] = [stream]
    for page in logs.get_paginator("filter_log_events").paginate(**kwargs):
        for event in page.get("events") or []:
            yield str(event.get("message", ""))


def _parse(message: str) -> _Attributes:
    try:
        event = _Event.model_validate(json.loads(message))
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnexpectedResults(f"a result event of an unknown shape ({first}): {message[:120]!r}") from None
    if event.name != EVENT_NAME:
        raise UnexpectedResults(f"a result event named {event.name!r}, not {EVENT_NAME!r}")
    return event.attributes


def _result(case: Case, job: JobPlan, evaluators: list[str], events: list[_Attributes]) -> CaseResult:
    scenario = case.item_as(AgentItem).test_name
    result = case_result(case, model_id=job.model_id, source=scenario, prompt=scenario)
    if not events:
        result.reason = f"scenario {scenario}: the batch evaluation has no result for it"
        return result
    sessions = sorted({e.session_id for e in events})
    if len(sessions) > 1:
        result.reason = f"scenario {scenario} ran in {len(sessions)} sessions: which one counts is not known"
        return result
    result.output = f"session {sessions[0]}"
    scored = {e.evaluator for e in events}
    failed = [f"{metric_names.agentcore_metric(e)}: no result for the session" for e in evaluators if e not in scored]
    for event in events:
        name = metric_names.agentcore_metric(event.evaluator)
        if event.error_type is not None or event.value is None:
            failed.append(f"{name} could not score the session: {event.error_type or 'no score'}")
            result.metrics.append(MetricScore(name=name, error=event.error_type or "no score"))
            continue
        result.metrics.append(agentcore_score(name, event.value, event.label, event.explanation))
    if failed:
        result.reason = "; ".join(failed)
        return result
    result.status = "pass"
    return result
