"""The target for a section's target spec (the typed models of evalcore.suite.targets)."""

from __future__ import annotations

from typing import Any

from evalcore.runners.agents.targets import Target, TargetEnv
from evalcore.suite import targets as spec_types


def build_target(spec: Any, env: TargetEnv) -> Target:
    if isinstance(spec, spec_types.BedrockAgentTarget):
        from evalcore.runners.agents.targets.bedrock_agent import BedrockAgent

        return BedrockAgent(spec, env)
    if isinstance(spec, spec_types.KnowledgeBaseTarget):
        from evalcore.runners.agents.targets.knowledge_base import KnowledgeBase

        return KnowledgeBase(spec, env)
    if isinstance(spec, spec_types.BedrockModelTarget):
        from evalcore.runners.agents.targets.bedrock_model import BedrockModel

        return BedrockModel(spec, env)
    if isinstance(spec, spec_types.HttpTarget):
        from evalcore.runners.agents.targets.http import HttpEndpoint

        return HttpEndpoint(spec, env)
    if isinstance(spec, spec_types.LambdaTarget):
        from evalcore.runners.agents.targets.lambda_ import LambdaFunction

        return LambdaFunction(spec, env)
    if isinstance(spec, spec_types.SageMakerTarget):
        from evalcore.runners.agents.targets.sagemaker import SageMakerEndpoint

        return SageMakerEndpoint(spec, env)
    if isinstance(spec, spec_types.LexTarget):
        from evalcore.runners.agents.targets.lex import LexBot

        return LexBot(spec, env)
    if isinstance(spec, spec_types.QBusinessTarget):
        from evalcore.runners.agents.targets.q_business import QBusinessApp

        return QBusinessApp(spec, env)
    if isinstance(spec, spec_types.BedrockFlowTarget):
        from evalcore.runners.agents.targets.bedrock_flow import BedrockFlow

        return BedrockFlow(spec, env)
    if isinstance(spec, spec_types.CustomTarget):
        from evalcore.runners.agents.targets.custom import Custom

        return Custom(spec, env)
    raise TypeError(f"no target for {type(spec).__name__}")
