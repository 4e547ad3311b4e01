"""The agent evaluator's protocol, defined once: one tool per question, the answer's fields, and the tags the
material goes in. evalcore asks with these (evaluator_prompts.py); the emulator's evaluator persona
(evalcore_emulator/evalcore_evaluator.py) reads the same definitions to recognise each question and answer it.
Text written by the agent or the test is defused inside the tags (evalcore/text/tagged_text.py)."""

from __future__ import annotations

REASONING = "reasoning"  # every answer's short explanation

# The first user message.
USER_MESSAGE_TOOL = "write_user_message"
MESSAGE = "message"
# After each turn: were all steps attempted, and if not, the user's next message.
STEPS_TOOL = "record_steps_verdict"
ALL_STEPS_ATTEMPTED = "all_steps_attempted"
NEXT_USER_MESSAGE = "next_user_message"
# At the end: was every expected result observed.
RESULTS_TOOL = "record_results_verdict"
ALL_EXPECTED_RESULTS_OBSERVED = "all_expected_results_observed"

# The material: the steps, the expected results, and the conversation so far (user and agent messages in order).
STEPS = "steps"
STEP = "step"
EXPECTED_RESULTS = "expected_results"
EXPECTED_RESULT = "expected_result"
CONVERSATION = "conversation"
USER = "user"
AGENT = "agent"
TAGS = (STEPS, STEP, EXPECTED_RESULTS, EXPECTED_RESULT, CONVERSATION, USER, AGENT)
