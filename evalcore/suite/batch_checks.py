"""The checks a `mode: batch|auto` section gets at load time: what Bedrock batch inference would refuse."""

from __future__ import annotations

from evalcore.aws_facts.invoke_model_families import SYSTEM_FAMILIES, UnsupportedModel, family
from evalcore.suite.models import BatchEvaluation, Suite
from evalcore.suite.problems import Loc


def batch_problems(suite: Suite, ev: BatchEvaluation, cases_per_model: int) -> list[tuple[Loc, str]]:
    """Models without an InvokeModel body evalcore can write, and (mode batch) a section too small for a job."""
    problems: list[tuple[Loc, str]] = []
    for j, model in enumerate(ev.models):
        try:
            kind = family(suite.model_spec(model).id)
        except UnsupportedModel as exc:
            problems.append((("models", j), f"batch inference: {exc} (or mode: direct)"))
            continue
        if ev.system and kind not in SYSTEM_FAMILIES:
            problems.append(
                (
                    ("models", j),
                    f"batch inference: evalcore sends a system prompt to Anthropic, Llama and Mistral chat models "
                    f"only, not {model}",
                )
            )
    minimum = ev.batch.min_records
    if ev.mode == "batch" and cases_per_model < minimum:
        problems.append(
            (
                ("mode",),
                f"mode batch: {cases_per_model} case(s) per model (records x repeats), but Bedrock refuses a batch "
                f"job of fewer than {minimum} records (batch.min_records): use mode: auto or direct",
            )
        )
    return problems
