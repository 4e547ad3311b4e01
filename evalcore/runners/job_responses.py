"""Bring your own inference: the `responses:` file of a bedrock-job section, matched to its cases.

A response line has `prompt` (the dataset record's `prompt` field as written), `response`, and `model` (the
section's model name it belongs to; optional when the section has one model). A direct run's results.jsonl works as
it is: its `output` is the response and its errored cases are skipped. The k-th record of the dataset with
a given prompt takes the k-th response with that prompt (and model), so duplicate prompts keep their own answers.
The loader has already checked that every record has its response.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence

from evalcore.domain.plan import Case, EvaluationItem
from evalcore.suite.datasets import Record
from evalcore.suite.job_checks import response_text
from evalcore.suite.load import LoadedSuite
from evalcore.suite.models import JobEvaluation, ResponsesJobEvaluation


def queues(records: Sequence[Record], models: Sequence[str]) -> dict[tuple[str, str], deque[str]]:
    """(model, prompt) -> the responses in file order; a line without `model` is the only model's."""
    found: dict[tuple[str, str], deque[str]] = defaultdict(deque)
    for record in records:
        text = response_text(record.fields)
        if record.fields.get("status") == "error" or text is None:
            continue
        model = str(record.fields.get("model") or (models[0] if len(models) == 1 else ""))
        found[(model, str(record.fields.get("prompt", "")))].append(text)
    return found


def responses_for(
    loaded: LoadedSuite, evaluation: JobEvaluation, cases: Iterable[Case]
) -> dict[str, dict[str, str]] | None:
    """{model: {case id: response}} for a section with `responses:`, else None (the models answer)."""
    if not isinstance(evaluation, ResponsesJobEvaluation):
        return None
    answers = queues(loaded.responses.get(evaluation.name, []), evaluation.models)
    by_record: dict[tuple[str, str], str] = {}  # (model, dataset source "file:line") -> response
    for model in evaluation.models:
        mine = {k: deque(v) for k, v in answers.items() if k[0] == model}
        for record in loaded.datasets.get(evaluation.name, []):
            queue = mine.get((model, str(record.fields.get("prompt", ""))))
            if queue:
                by_record[(model, str(record.line))] = queue.popleft()
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for case in cases:
        model, line = case.called_model(), case.item_as(EvaluationItem).source.rpartition(":")[2]
        out[model][case.id] = by_record.get((model, line), "")
    return dict(out)
