"""The agenteval evaluator persona, reached the way agenteval 0.4.1 reaches it: InvokeModel through boto3.

The prompts below have the shape of agenteval's canonical templates (system prompts naming the XML tags, the
runtime prompt's numbered ``<steps>``/``<expected_results>`` and ``USER:``/``AGENT:`` conversation lines).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from evalcore_emulator import Emulator

SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"
LLAMA = "us.meta.llama3-3-70b-instruct-v1:0"
INITIAL = "You role play as an USER. Think in <thinking> tags, then give the message\nwithin <initial_prompt> tags."
RESPONSE = "You role play as an USER. Think in <thinking> tags, then give the response\nwithin <user_response> tags."
STATUS = "Categories:\n- A: The USER has attempted all the steps.\n- B: The USER has not yet attempted all the steps."
EVALUATION = (
    "Analyze the conversation in <conversation> tags and a list of expected results\nin <expected_results> tags."
)


def _conversation(*turns: str) -> str:
    lines = [f"{'USER' if i % 2 == 0 else 'AGENT'}: {text}" for i, text in enumerate(turns)]
    return "<conversation>\n" + "\n".join(lines) + "\n</conversation>"


def _steps(*steps: str) -> str:
    return "<steps>\n" + "".join(f"{i}. {s}\n" for i, s in enumerate(steps, 1)) + "<steps>"


def _ask(client: Any, system: str, prompt: str, model: str = SONNET) -> str:
    if "meta" in model:
        body = {
            "prompt": f"<|begin_of_text|><|start_header_id|>system<|end_header_id|>{system}<|eot_id|>"
            f"<|start_header_id|>user<|end_header_id|>{prompt}<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>",
            "max_gen_len": 300,
            "temperature": 0,
        }
    else:
        body = {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 300,
            "system": system,
            "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
            "temperature": 0,
        }
    response = client.invoke_model(modelId=model, body=json.dumps(body))
    payload = json.loads(response["body"].read())
    return payload["generation"] if "meta" in model else payload["content"][0]["text"]


def _tag(text: str, name: str) -> str | None:
    match = re.search(rf"<{name}>(.*?)</{name}>", text, re.DOTALL)
    return match.group(1).strip() if match else None


@pytest.mark.parametrize("model", [SONNET, LLAMA])
def test_initial_prompt_is_the_first_step_without_ask_the_agent(emulator: Emulator, model: str) -> None:
    prompt = "Here is the step:\n\n<step>\nAsk agent for a list of missing documents for claim-006.\n<step>"

    reply = _ask(emulator.client("bedrock-runtime"), INITIAL, prompt, model)

    assert _tag(reply, "initial_prompt") == "A list of missing documents for claim-006."
    assert _tag(reply, "thinking")


def test_user_answers_the_agents_question_with_the_steps_details(emulator: Emulator) -> None:
    prompt = _steps("Ask which documents are missing.", "Give the claim ID claim-007 when asked.")
    prompt += "\n\n" + _conversation("Which documents are missing.", "Which claim should I check?")

    reply = _ask(emulator.client("bedrock-runtime"), RESPONSE, prompt)

    assert _tag(reply, "user_response") == "claim-007"


def test_user_moves_on_to_the_next_step_after_an_answer(emulator: Emulator) -> None:
    prompt = _steps("Ask for the open claims.", "Ask the agent to send a reminder for claim-006.")
    prompt += "\n\n" + _conversation("The open claims.", "There are three open claims.")

    reply = _ask(emulator.client("bedrock-runtime"), RESPONSE, prompt)

    assert _tag(reply, "user_response") == "Send a reminder for claim-006."


@pytest.mark.parametrize(
    ("turns", "category"),
    [
        (("Missing documents for claim-006.", "The driver's license is missing."), "A"),
        (("Missing documents.", "Which claim should I check?"), "B"),
    ],
)
def test_steps_are_attempted_once_each_has_a_user_turn_and_the_agent_is_not_asking(
    emulator: Emulator, turns: tuple[str, str], category: str
) -> None:
    prompt = _steps("Ask for the missing documents.") + "\n\n" + _conversation(*turns)

    reply = _ask(emulator.client("bedrock-runtime"), STATUS, prompt)

    assert _tag(reply, "category") == category


@pytest.mark.parametrize(
    ("expected", "category"),
    [
        ("The agent returns a list of missing documents.", "A"),
        ("The agent says the claims were approved and paid.", "B"),
    ],
)
def test_expected_result_is_observed_when_two_thirds_of_its_words_are_in_the_agents_replies(
    emulator: Emulator, expected: str, category: str
) -> None:
    conversation = _conversation(
        "Missing documents for claim-006.", "The following documents are missing for claim-006: the license."
    )
    prompt = f"<expected_results>\n1. {expected}\n</expected_results>\n\n{conversation}"

    reply = _ask(emulator.client("bedrock-runtime"), EVALUATION, prompt)

    assert _tag(reply, "category") == category
    assert "found" in (_tag(reply, "thinking") or "")


def test_other_conversations_get_the_models_usual_answer(emulator: Emulator) -> None:
    reply = _ask(
        emulator.client("bedrock-runtime"), "You are helpful.", "Say hello.", "anthropic.claude-3-haiku-20240307-v1:0"
    )

    assert reply == "Hello! How can I help you today?"
