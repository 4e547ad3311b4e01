"""The adapter to Amazon Bedrock: boto3 clients, what evalcore reads from a Converse response, how it asks a model for
a structured answer, and what a call costs."""
