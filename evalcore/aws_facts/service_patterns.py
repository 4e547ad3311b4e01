"""The patterns Bedrock checks a value against, read from botocore's service models (the files AWS's SDKs are
generated from), so evalcore and its emulator refuse what Bedrock refuses without a copy of the pattern here."""

from __future__ import annotations

import functools
import re

import botocore.loaders


@functools.cache
def pattern(service: str, shape: str) -> re.Pattern[str]:
    """The `pattern` of `shape` in `service`'s model, e.g. ("bedrock", "EvaluationBedrockModelIdentifier").
    Bedrock matches the whole value (as Java's `matches`), so use it with `fullmatch`."""
    model = botocore.loaders.create_loader().load_service_model(service, "service-2")
    return re.compile(model["shapes"][shape]["pattern"])
