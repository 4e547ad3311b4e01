"""Emulated operations: knowledge_bases (to be written)."""

from evalcore.emulator.protocol import Route

ROUTES: list[Route] = []
