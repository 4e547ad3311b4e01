"""The image's recipe, checked without Docker: the Dockerfile's conventions and the trim list's coverage."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")


def trim_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("image_trim", REPO / "image" / "trim.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _client_services() -> set[str]:
    """Every service name evalcore passes as a literal to a `client(...)` call or names in a `SERVICE` constant (the
    runners' and agent targets'), anywhere in its code."""
    found = set()
    for path in (REPO / "evalcore").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "client"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
            if (
                isinstance(node, ast.Assign)
                and [getattr(t, "id", None) for t in node.targets] == ["SERVICE"]
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found.add(node.value.value)
    return found


def test_every_client_evalcore_builds_is_declared_and_keeps_its_service_data_in_the_image() -> None:
    from evalcore.bedrock.clients import SERVICES

    services = _client_services()
    kept = trim_module().BOTOCORE_SERVICES

    assert {"bedrock-runtime", "lexv2-runtime", "qbusiness"} <= services
    assert services <= SERVICES, f"add to evalcore/bedrock/clients.py SERVICES: {sorted(services - SERVICES)}"
    assert not SERVICES - kept, f"add to image/trim.py BOTOCORE_SERVICES: {sorted(SERVICES - kept)}"


def test_the_emulators_moto_services_are_kept() -> None:
    from evalcore_emulator.launcher import MOTO_SERVICES

    trim = trim_module()
    assert set(MOTO_SERVICES) <= trim.BOTOCORE_SERVICES
    assert set(MOTO_SERVICES) <= trim.MOTO_PACKAGES


def test_the_dockerfile_follows_the_action_conventions() -> None:
    lines = [line for line in DOCKERFILE.splitlines() if line and not line.startswith("#")]

    assert not re.search(r"(?im)^#\s*syntax\s*=", DOCKERFILE), "a syntax line would pull a frontend from a registry"
    assert lines[0] == "ARG BASE_IMAGE=python:3.12-slim"
    assert [line for line in lines if line.startswith("FROM ")] == [
        "FROM ${BASE_IMAGE} AS builder",
        "FROM ${BASE_IMAGE}",
    ]
    assert lines[-1] == 'ENTRYPOINT ["python", "-m", "entrypoint"]'
    assert not any(line.startswith("USER") for line in lines), "GitHub needs root for the workspace mount"
    assert "WORKDIR /github/workspace" in lines
    final_stage = [line for line in DOCKERFILE.split("FROM ${BASE_IMAGE}\n", 1)[1].splitlines() if line]
    assert [line for line in final_stage if line.startswith(("COPY", "ADD", "RUN"))] == [
        "COPY --from=builder /opt/evalcore /opt/evalcore"
    ], "the image is the base and the builder's finished environment, one layer"


def test_the_dockerfile_needs_no_buildkit() -> None:
    """The classic builder (Docker 20.10, DOCKER_BUILDKIT=0, act) knows no RUN flags; tests/container/
    test_image_builders.py builds it both ways."""
    instructions = [line for line in DOCKERFILE.splitlines() if not line.lstrip().startswith("#")]

    assert not [line for line in instructions if re.match(r"RUN\s+--", line) or "--mount" in line]


def test_the_build_context_holds_only_what_the_image_needs() -> None:
    rules = [line.strip() for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()]
    rules = [rule for rule in rules if rule and not rule.startswith("#")]
    kept = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    copied = {
        src for line in re.findall(r"^COPY (?!--from=)(.+)$", DOCKERFILE, re.MULTILINE) for src in line.split()[:-1]
    }

    assert rules[0] == "*", "everything is left out unless named"
    assert copied and {path.split("/")[0] for path in copied} <= kept
