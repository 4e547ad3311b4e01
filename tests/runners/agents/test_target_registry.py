"""One registration per agent target: every target type a suite may declare (evalcore.suite.targets) has one builder
(runners/agents/targets/build.py BUILDERS) and every builder a declared type; every service a target calls is one
evalcore declares it builds clients for (evalcore.bedrock.clients.SERVICES, which the image keeps)."""

from __future__ import annotations

import importlib

import pytest

from evalcore.bedrock.clients import SERVICES, Aws
from evalcore.runners.agents.targets import build
from evalcore.suite.targets import BUILTIN_TARGETS, AnyTarget, CustomTarget


def _implementation(where: str) -> tuple[object, type]:
    module_name, cls = where.split(":")
    module = importlib.import_module(f"{build.__package__}.{module_name}")
    return module, getattr(module, cls)


def test_every_declared_target_type_has_one_builder_and_every_builder_a_declared_type() -> None:
    declared = set(AnyTarget.__args__) | {CustomTarget}

    assert set(BUILTIN_TARGETS.values()) == set(AnyTarget.__args__)
    assert set(build.BUILDERS) == declared


@pytest.mark.parametrize("spec_type", list(build.BUILDERS), ids=lambda t: t.__name__)
def test_every_builder_names_a_target_class_that_exists(spec_type: type) -> None:
    _, target_class = _implementation(build.BUILDERS[spec_type])

    assert callable(getattr(target_class, "session", None))


def test_every_service_a_target_calls_is_declared() -> None:
    services = {getattr(_implementation(where)[0], "SERVICE", None) for where in build.BUILDERS.values()} - {None}

    assert {"bedrock-agent-runtime", "lambda", "lexv2-runtime", "qbusiness", "sagemaker-runtime"} <= services
    assert services <= SERVICES


def test_a_client_for_a_service_evalcore_does_not_declare_is_refused() -> None:
    with pytest.raises(ValueError, match="evalcore builds no ec2 client"):
        Aws(region="us-east-1").client("ec2")
