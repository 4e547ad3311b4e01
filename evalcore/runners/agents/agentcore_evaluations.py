"""AgentCore Evaluations as a scorer: each `agentcore_evaluators` entry scores a test's runtime session with
`Evaluate` (botocore's bedrock-agentcore model), beside evalcore's own verdict.

The request: `evaluatorId`, `evaluationInput.sessionSpans` (the spans the session's answers carried) and one
session-level `evaluationReferenceInputs` entry (`context.spanContext.sessionId`) holding the test's expected results
as `assertions` and the functions of its `must` tool-call expectations, in order, as `expectedTrajectory.toolNames`.
Each `evaluationResults` entry becomes a metric `agentcore:<evaluatorId>` (the id the suite lists: a built-in's
`evaluatorName` is its descriptive name; `:<evaluationDimensionName>` added for multi-dimensional scales) with the
evaluator's `value`, by `agentcore_scores` (the batch results' rule too: None when outside 0-1, the score and label
then in the explanation). A session whose answers carried no spans, a failed call or a result with an
`errorCode` leaves the test unevaluated: TestError (`error`).
"""

from __future__ import annotations

import functools
from typing import Any

from evalcore.domain.results import MetricScore
from evalcore.runners.agents.agentcore_scores import agentcore_score
from evalcore.runners.agents.evaluator import TestError
from evalcore.runners.agents.targets import TargetEnv, call, scheduled_attempts
from evalcore.runners.agents.targets.agentcore_runtime import RuntimeSession
from evalcore.suite import metric_names
from evalcore.suite.models import AgentTest
from evalcore.suite.targets import AgentCoreRuntimeTarget

SERVICE = "bedrock-agentcore"


class AgentCoreEvaluations:
    def __init__(self, evaluators: list[str], spec: AgentCoreRuntimeTarget, env: TargetEnv) -> None:
        self.evaluators = evaluators
        self.env = env
        self.client = env.client(SERVICE, spec)
        self.attempts = scheduled_attempts(SERVICE, spec.max_retry)

    def score(self, test: AgentTest, session: object) -> list[MetricScore]:
        if not isinstance(session, RuntimeSession):
            raise TestError("agentcore_evaluators score an agentcore-runtime session")
        if not session.spans:
            raise TestError(
                "agentcore_evaluators: the runtime's answers carried no spans for AgentCore Evaluations to score"
            )
        reference: dict[str, Any] = {
            "context": {"spanContext": {"sessionId": session.session_id}},
            "assertions": [{"text": text} for text in test.expected_results],
        }
        trajectory = [e.function for e in test.expected_tool_calls if e.must and e.function]
        if trajectory:
            reference["expectedTrajectory"] = {"toolNames": trajectory}
        scores = []
        for evaluator in self.evaluators:
            request = {
                "evaluatorId": evaluator,
                "evaluationInput": {"sessionSpans": session.spans},
                "evaluationReferenceInputs": [reference],
            }
            response, _ = call(self.env, functools.partial(self.client.evaluate, **request), self.attempts)
            scores += [_metric(evaluator, result) for result in response.get("evaluationResults") or []]
        return scores


def _metric(evaluator: str, result: dict[str, Any]) -> MetricScore:
    name = metric_names.agentcore_metric(evaluator)
    if result.get("evaluationDimensionName"):
        name += f":{result['evaluationDimensionName']}"
    if result.get("errorCode") or result.get("errorMessage"):
        raise TestError(f"{name} could not score the session: {result.get('errorCode')}: {result.get('errorMessage')}")
    value = result.get("value")
    label, explanation = result.get("label"), result.get("explanation")
    return agentcore_score(
        name,
        float(value) if isinstance(value, (int, float)) else None,
        str(label) if label else None,
        str(explanation) if explanation else None,
    )
