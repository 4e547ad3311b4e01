"""The target for a section's target spec (the typed models of evalcore.suite.targets, which declares each kind).

BUILDERS maps every spec type to the class that implements it; tests/runners/agents/test_target_registry.py fails
when a spec type has no builder or the reverse, and when a target calls a service evalcore.bedrock.clients.SERVICES
does not list."""

from __future__ import annotations

import importlib
from typing import Any

from evalcore.runners.agents.targets import Target, TargetEnv
from evalcore.suite import targets as spec_types

# Spec type -> "module:class" in this package; imported when a section uses it, so a run loads only its targets.
BUILDERS: dict[type, str] = {
    spec_types.BedrockAgentTarget: "bedrock_agent:BedrockAgent",
    spec_types.KnowledgeBaseTarget: "knowledge_base:KnowledgeBase",
    spec_types.BedrockModelTarget: "bedrock_model:BedrockModel",
    spec_types.HttpTarget: "http:HttpEndpoint",
    spec_types.LambdaTarget: "lambda_:LambdaFunction",
    spec_types.SageMakerTarget: "sagemaker:SageMakerEndpoint",
    spec_types.LexTarget: "lex:LexBot",
    spec_types.QBusinessTarget: "q_business:QBusinessApp",
    spec_types.BedrockFlowTarget: "bedrock_flow:BedrockFlow",
    spec_types.AgentCoreRuntimeTarget: "agentcore_runtime:AgentCoreRuntime",
    spec_types.AgentCoreMcpTarget: "agentcore_mcp:AgentCoreMcp",
    spec_types.CustomTarget: "custom:Custom",
}


def build_target(spec: Any, env: TargetEnv) -> Target:
    where = BUILDERS.get(type(spec))
    if where is None:
        raise TypeError(f"no target for {type(spec).__name__}")
    module, cls = where.split(":")
    target: Target = getattr(importlib.import_module(f"{__package__}.{module}"), cls)(spec, env)
    return target
