"""evalcore: test LLM applications on Amazon Bedrock in CI."""

__version__ = "0.1.0"
