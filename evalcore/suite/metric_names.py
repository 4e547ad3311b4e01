"""The metric names a suite may use, by kind, that evalcore defines; Bedrock's built-in names are an AWS fact
(`aws_facts/bedrock_metrics.py`)."""

from __future__ import annotations

# Deterministic retrieval metrics computed here against a record's expected sources or passages (metrics/retrieval.py).
RETRIEVAL = ("hit_rate", "recall_at_k", "precision_at_k", "mrr", "ndcg")

# Deterministic checks (direct mode) are declared in evalcore.suite.check_specs.

# Aggregates every section reports, usable in thresholds beside the metric names.
COMMON_AGGREGATES = ("pass_rate", "error_rate", "cost_usd", "tokens")
LATENCY_AGGREGATES = tuple(f"latency_ms.{s}" for s in ("mean", "p50", "p90", "p95", "p99", "max"))
GUARDRAIL_AGGREGATES = ("block_rate", "false_positive_rate", "anonymization_rate", "policy_match_rate")
# Evaluations with `repeats` > 1: pass@k (at least one of an item's k tries passes) and pass^k (all k pass).
EVALUATION_AGGREGATES = ("pass_at_k", "pass_hat_k")
# Agent sections: pass^k, and the means of the per-test scores the agents runner records (the evaluator's
# expected-results verdict, tool-call and citation assertions, each 1 or 0).
AGENT_AGGREGATES = ("pass_hat_k", "expected_results", "tool_calls", "citations")


def agentcore_metric(evaluator_id: str) -> str:
    """The metric an `agentcore_evaluators` entry records (its evaluatorId as the suite names it)."""
    return f"agentcore:{evaluator_id}"


def has_interval(aggregate: str) -> bool:
    """Whether an aggregate has a 95% interval (results.Aggregate), so a threshold may bound `ci_low`/`ci_high`:
    metric means, the pass rate, pass@k and pass^k do; the error rate, cost, tokens, latency and guardrail rates
    do not."""
    if aggregate == "pass_rate":
        return True
    without = {*COMMON_AGGREGATES, *LATENCY_AGGREGATES, *GUARDRAIL_AGGREGATES}
    return aggregate not in without and not aggregate.startswith("block_rate.")
