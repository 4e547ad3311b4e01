"""Agent tests: agenteval plans and native tests, an evaluator model talking to a target (runner.py)."""
