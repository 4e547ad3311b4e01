"""Emulated operations: agents (to be written)."""

from evalcore.emulator.protocol import Route

ROUTES: list[Route] = []
