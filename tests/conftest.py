"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evalcore_emulator import Emulator


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    """One emulator (with moto's S3/IAM/STS) for the whole test session, on free loopback ports."""
    with Emulator() as emu:
        yield emu


@pytest.fixture
def emulator(emulator_server: Emulator) -> Iterator[Emulator]:
    """The session's emulator with the default world and an empty request log; a test may ``set_world``."""
    emulator_server.set_world(None)
    emulator_server.clear_requests()
    yield emulator_server
    emulator_server.set_world(None)
