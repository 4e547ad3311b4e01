"""Runners turn a section's planned cases into CaseResults. Every runner has the same shape (`Runner`), so
nothing after them knows which runner made a result."""
