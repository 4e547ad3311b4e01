"""Reading InvokeAgent traces as Bedrock sends them (shapes from botocore's bedrock-agent-runtime model), including
parts the emulator's scripted agents do not send: model invocations with tokens, API requests bodies, web sources."""

from __future__ import annotations

from evalcore.domain.results import ToolCall, Usage
from evalcore.runners.agents.targets import agent_trace

TRACES = [
    {"preProcessingTrace": {"modelInvocationOutput": {"metadata": {"usage": {"inputTokens": 50, "outputTokens": 5}}}}},
    {
        "orchestrationTrace": {
            "modelInvocationInput": {"foundationModel": "anthropic.claude-3-haiku-20240307-v1:0", "text": "..."}
        }
    },
    {
        "orchestrationTrace": {
            "modelInvocationOutput": {"metadata": {"usage": {"inputTokens": 900, "outputTokens": 80}}}
        }
    },
    {
        "orchestrationTrace": {
            "invocationInput": {
                "invocationType": "ACTION_GROUP",
                "actionGroupInvocationInput": {
                    "actionGroupName": "Claims",
                    "apiPath": "/claims",
                    "verb": "post",
                    "parameters": [{"name": "dryRun", "type": "boolean", "value": "true"}],
                    "requestBody": {
                        "content": {"application/json": [{"name": "claimId", "type": "string", "value": "claim-9"}]}
                    },
                },
            }
        }
    },
    {
        "orchestrationTrace": {
            "observation": {
                "type": "KNOWLEDGE_BASE",
                "knowledgeBaseLookupOutput": {
                    "retrievedReferences": [
                        {"location": {"type": "WEB", "webLocation": {"url": "https://example.com/policy"}}},
                        {"location": {"type": "S3", "s3Location": {"uri": "s3://kb/a.txt"}}},
                    ]
                },
            }
        }
    },
    {"guardrailTrace": {"action": "NONE"}},
    {"guardrailTrace": {"action": "INTERVENED"}},
]


def test_tokens_are_summed_over_every_model_invocation_and_the_model_is_named() -> None:
    assert agent_trace.usage(TRACES) == Usage(input_tokens=950, output_tokens=85)
    assert agent_trace.foundation_model(TRACES) == "anthropic.claude-3-haiku-20240307-v1:0"


def test_api_calls_carry_their_parameters_and_request_body_properties() -> None:
    assert agent_trace.tool_calls(TRACES) == [
        ToolCall(action_group="Claims", function="/claims", parameters={"dryRun": "true", "claimId": "claim-9"})
    ]


def test_knowledge_base_lookups_give_the_address_of_each_source_and_guardrail_interventions_win() -> None:
    assert agent_trace.knowledge_base_citations(TRACES) == ["https://example.com/policy", "s3://kb/a.txt"]
    assert agent_trace.guardrail_action(TRACES) == "INTERVENED"
    assert agent_trace.guardrail_action(TRACES[:6]) == "NONE"
    assert agent_trace.guardrail_action(TRACES[:2]) is None


def test_a_return_control_api_body_is_read_from_its_properties() -> None:
    payload = {
        "invocationInputs": [
            {
                "apiInvocationInput": {
                    "actionGroup": "Claims",
                    "apiPath": "/claims",
                    "httpMethod": "POST",
                    "parameters": [{"name": "dryRun", "type": "boolean", "value": "true"}],
                    "requestBody": {
                        "content": {"application/json": {"properties": [{"name": "claimId", "value": "claim-9"}]}}
                    },
                }
            }
        ]
    }
    assert agent_trace.return_control_calls(payload) == [
        ToolCall(action_group="Claims", function="/claims", parameters={"dryRun": "true", "claimId": "claim-9"})
    ]
