"""Evaluate (bedrock-agentcore): AgentCore Evaluations' on-demand scoring of one session's spans, by a rule.

The request (botocore's bedrock-agentcore model, ``EvaluateRequest``) names one evaluator and carries
``evaluationInput.sessionSpans`` (OpenTelemetry spans as documents) and, optionally, session-level
``evaluationReferenceInputs`` (``assertions``, ``expectedTrajectory.toolNames``). The session is the spans'
``session.id`` attribute; spans without one, or of several sessions, are a ValidationException.

The emulator's rule (not AWS's, whose evaluators are model judges): the answer is the ``gen_ai.completion`` of the
session's ``invoke_agent`` spans, the trajectory the ``gen_ai.tool.name`` of its ``execute_tool`` spans in order.
An evaluator whose name has ``Tool`` or ``Trajectory`` in it scores 1.0 when the expected tool names occur in the
trajectory in that order (None without an expected trajectory); every other built-in evaluator scores the share of
the assertions' content words (``keywords.content_words``) found in the answers (without assertions: 1.0 when the
agent answered at all). A score of at least 0.5 is labelled ``Yes``, else ``No``. Evaluators that are not
``Builtin.*`` do not exist here (ResourceNotFoundException).
"""

from __future__ import annotations

from typing import Any

from evalcore_emulator.keywords import content_words
from evalcore_emulator.protocol import AwsError, EmulatorContext, Request, Response, route


def evaluate(ctx: EmulatorContext, req: Request) -> Response:
    evaluator = req.path_params["evaluatorId"]
    if not evaluator.startswith("Builtin."):
        raise AwsError(404, "ResourceNotFoundException", f"Evaluator {evaluator} not found")
    body = req.json()
    spans = (body.get("evaluationInput") or {}).get("sessionSpans") or []
    sessions = {str((s.get("attributes") or {}).get("session.id", "")) for s in spans if isinstance(s, dict)}
    if len(sessions) != 1 or "" in sessions:
        raise AwsError(400, "ValidationException", "sessionSpans must be the spans of one session (session.id)")
    session_id = sessions.pop()
    references = body.get("evaluationReferenceInputs") or [{}]
    assertions = [a.get("text", "") for r in references for a in r.get("assertions") or []]
    trajectories = [r["expectedTrajectory"].get("toolNames") or [] for r in references if "expectedTrajectory" in r]
    result: dict[str, Any] = {
        "evaluatorArn": f"arn:aws:bedrock-agentcore:::evaluator/{evaluator}",
        "evaluatorId": evaluator,
        "evaluatorName": evaluator,
        "context": {"spanContext": {"sessionId": session_id}},
        "tokenUsage": {"inputTokens": 100 * len(spans), "outputTokens": 40, "totalTokens": 100 * len(spans) + 40},
    }
    value, explanation = score(evaluator, spans, assertions, trajectories[0] if trajectories else None)
    if value is None:
        result.update(errorCode="MissingReferenceInput", errorMessage=explanation)
    else:
        result.update(value=value, label="Yes" if value >= 0.5 else "No", explanation=explanation)
    return Response.json({"evaluationResults": [result]})


def score(
    evaluator: str, spans: list[Any], assertions: list[str], trajectory: list[str] | None
) -> tuple[float | None, str]:
    """The emulator's rule for one built-in evaluator over one session's spans: (score, explanation); the score is
    None (the explanation then says why) when the evaluator needs an expected trajectory and has none."""
    answers = [
        _attribute(s, "gen_ai.completion") for s in spans if _attribute(s, "gen_ai.operation.name") == "invoke_agent"
    ]
    tools = [
        _attribute(s, "gen_ai.tool.name") for s in spans if _attribute(s, "gen_ai.operation.name") == "execute_tool"
    ]
    name = evaluator.removeprefix("Builtin.")
    if "Tool" in name or "Trajectory" in name:
        if trajectory is None:
            return None, f"{evaluator} needs an expectedTrajectory"
        return _in_order(trajectory, tools), f"tools called: {', '.join(tools) or 'none'}"
    explanation = "share of the assertions' words in the answers" if assertions else "the agent answered"
    return _coverage(assertions, " ".join(answers)), explanation


def _attribute(span: Any, name: str) -> str:
    return str(((span.get("attributes") if isinstance(span, dict) else None) or {}).get(name) or "")


def _in_order(expected: list[str], called: list[str]) -> float:
    remaining = iter(called)
    return 1.0 if all(any(tool == name for tool in remaining) for name in expected) else 0.0


def _coverage(assertions: list[str], answers: str) -> float:
    if not assertions:
        return 1.0 if answers.strip() else 0.0
    wanted = content_words(" ".join(assertions))
    have = set(content_words(answers))
    return round(sum(word in have for word in wanted) / len(wanted), 4) if wanted else 1.0


ROUTES = [route("Evaluate", "bedrock-agentcore", "POST", "/evaluations/evaluate/{evaluatorId}", evaluate)]
