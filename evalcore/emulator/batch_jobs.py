"""Emulated operations: batch_jobs (to be written)."""

from evalcore.emulator.protocol import Route

ROUTES: list[Route] = []
