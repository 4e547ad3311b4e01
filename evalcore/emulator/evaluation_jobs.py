"""Emulated operations: evaluation_jobs (to be written)."""

from evalcore.emulator.protocol import Route

ROUTES: list[Route] = []
