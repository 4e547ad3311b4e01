"""Metrics computed here: deterministic checks (checks.py) and the LLM judge (judge.py)."""
