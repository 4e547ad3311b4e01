"""Facts about AWS, each with its source: what each Bedrock model family can do, the patterns Bedrock checks values
against (botocore's service models), which InvokeModel body each model takes. Shared by the product and the emulator;
imports nothing of evalcore."""
