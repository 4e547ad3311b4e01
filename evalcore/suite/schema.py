"""The suite file's JSON Schema, generated from the models (editors validate suite files with it)."""

from __future__ import annotations

from typing import Any

from evalcore.suite.models import Suite

SCHEMA_FILE = "evalcore.schema.json"


def suite_schema() -> dict[str, Any]:
    schema = Suite.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
