"""A local, wire-compatible Amazon Bedrock (plus S3/IAM/STS through moto) for tests, demos and offline runs."""

from evalcore_emulator.launcher import Emulator
from evalcore_emulator.world import World, load_world

__all__ = ["Emulator", "World", "load_world"]
