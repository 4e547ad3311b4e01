"""What a run would cost, before it runs (`evalcore validate`, `evalcore run --dry-run`): per section and model,
calls x expected tokens x price, the judge's calls on their own rows.

How the tokens are estimated (evalcore.bedrock.pricing): a model call's input is its rendered prompt and system
text from the dataset as streamed, in characters / 4; its output the section's maxTokens, an upper bound. A judge
call's input is the case's prompt, reference and answer (at that upper bound) plus JUDGE_PROMPT_TOKENS for the
rubric and instructions; its output the judge's maxTokens (1024). Batch sections are priced at the batch factor.
A model without a price is "unknown" with a note, never $0; guardrail, agent and knowledge-base sections are not
estimated (not billed by the token alone) and say so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from evalcore.bedrock.pricing import DEFAULT_MAX_OUTPUT_TOKENS, PRICES_AS_OF, Pricing, input_tokens_estimate
from evalcore.domain.plan import EvaluationItem, Plan
from evalcore.metrics.judge import JUDGE_INFERENCE
from evalcore.runners.batch_results import BATCH_PRICE_FACTOR
from evalcore.runners.direct import rendered
from evalcore.suite.load import LoadedSuite
from evalcore.suite.models import BatchEvaluation, BuiltinMetric, CustomJudgeMetric, Evaluation

JUDGE_PROMPT_TOKENS = 600  # the judge's rubric, instructions and tool definition: a stated allowance
METHOD = (
    "input = prompt and system characters / 4; output = maxTokens (an upper bound); judge input = prompt + "
    f"reference + answer upper bound + {JUDGE_PROMPT_TOKENS} for the rubric"
)


@dataclass
class CostRow:
    section: str
    role: str  # "model" | "judge" | "-" (not estimated)
    model_id: str
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float | None = None  # None: unknown (no price, or a section not estimated)
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "role": self.role,
            "model": self.model_id,
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "usd": "unknown" if self.usd is None else round(self.usd, 6),
            **({"note": self.note} if self.note else {}),
        }


def estimate(loaded: LoadedSuite, plan: Plan) -> list[CostRow]:
    """One row per section, role and model, in the suite's order."""
    pricing = Pricing.of_suite(loaded.suite)
    rows: list[CostRow] = []
    for section in loaded.suite.sections():
        cases = plan.cases.of(section.name)
        if not len(cases):
            continue
        if not isinstance(section, Evaluation):
            note = "not estimated: not billed by the token alone"
            rows.append(CostRow(section.name, "-", "-", calls=len(cases), note=note))
            continue
        rows.extend(_evaluation(loaded, section, cases, pricing))
    return rows


def _evaluation(loaded: LoadedSuite, section: Evaluation, cases: Any, pricing: Pricing) -> Iterator[CostRow]:
    suite = loaded.suite
    judged = [m for m in section.metrics if isinstance(m, BuiltinMetric | CustomJudgeMetric)]
    samples = getattr(section, "judge_samples", 1)
    judge_out = int(JUDGE_INFERENCE["maxTokens"])
    found: dict[tuple[str, str], CostRow] = {}
    for case in cases:
        spec = suite.model_spec(case.called_model())
        inference = suite.defaults.inference.merged(spec.inference).merged(section.inference)
        out_tokens = inference.max_tokens or DEFAULT_MAX_OUTPUT_TOKENS
        record = case.item_as(EvaluationItem).fields
        prompt, system = rendered(section, record)
        in_tokens = input_tokens_estimate(len(prompt) + len(system or ""))
        _add(found, section.name, "model", spec.id, 1, in_tokens, out_tokens)
        reference = record.get("referenceResponse")
        judge_in = in_tokens + out_tokens + JUDGE_PROMPT_TOKENS
        judge_in += input_tokens_estimate(len(reference)) if isinstance(reference, str) else 0
        for metric in judged:
            name = getattr(metric, "judge", None) or section.judge or suite.defaults.judge
            if name is not None:
                _add(found, section.name, "judge", suite.model_spec(name).id, samples, judge_in, judge_out)
    factor = BATCH_PRICE_FACTOR if isinstance(section, BatchEvaluation) else 1.0
    for (role, _), row in sorted(found.items(), key=lambda item: item[0][0] != "model"):  # models, then judges
        price = pricing.per_mtok(row.model_id)
        if price is None:
            row.note = "no price: give the model a `price:` in the suite"
        else:
            row.usd = (row.input_tokens * price[0] + row.output_tokens * price[1]) / 1_000_000
            if role == "model" and factor != 1.0:
                row.usd *= factor
                row.note = f"batch inference at {factor:g}x the on-demand price"
        yield row


def _add(
    found: dict[tuple[str, str], CostRow], section: str, role: str, model_id: str, calls: int, inp: int, out: int
) -> None:
    row = found.setdefault((role, model_id), CostRow(section, role, model_id))
    row.calls += calls
    row.input_tokens += inp * calls
    row.output_tokens += out * calls


def table(rows: list[CostRow]) -> list[str]:
    """The estimate as lines of text (validate's output; dry-run's on stderr)."""
    lines = [f"estimated cost (USD; prices as of {PRICES_AS_OF}, check https://aws.amazon.com/bedrock/pricing/):"]
    lines.append(f"  {'section':<20} {'role':<6} {'model':<44} {'calls':>7} {'in tok':>10} {'out tok':>10} {'USD':>10}")
    for r in rows:
        usd = "unknown" if r.usd is None else f"{r.usd:.4f}"
        note = f"  ({r.note})" if r.note else ""
        lines.append(
            f"  {r.section:<20} {r.role:<6} {r.model_id:<44} {r.calls:>7} {r.input_tokens:>10} "
            f"{r.output_tokens:>10} {usd:>10}{note}"
        )
    known = sum(r.usd for r in rows if r.usd is not None)
    unknown = sum(1 for r in rows if r.usd is None)
    tail = f" (+ {unknown} row{'s' if unknown != 1 else ''} unknown)" if unknown else ""
    lines.append(f"  total: about ${known:.4f}{tail}")
    lines.append(f"  tokens: {METHOD}")
    return lines


def unpriced_models(rows: list[CostRow]) -> list[str]:
    """The model ids a budget cannot price (a run with --max-cost-usd refuses them)."""
    return sorted({r.model_id for r in rows if r.role != "-" and r.usd is None})
