"""Every request the emulator serves is checked against botocore's model of its operation before its handler runs.

The operation's input shape says where each member travels (``location``: ``uri``, ``querystring``, ``header``, or
the JSON body; an input with a ``payload`` member sends that member as the whole body). The request is assembled
into those members and walked by the validator :mod:`evalcore_emulator.shape_validation` generates from the same
shape; any violation is AWS's ValidationException (HTTP 400, the shape's ``httpStatusCode`` in every Bedrock model).
Then the semantic rules Bedrock enforces beyond the model run (:mod:`evalcore_emulator.converse_rules` for
Converse/ConverseStream; the model-body rules of InvokeModel live with the bodies in ``invoke_bodies.py``).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from botocore.model import OperationModel, Shape

from evalcore_emulator import converse_rules, shape_validation
from evalcore_emulator.protocol import AwsError, Request, Route

_CONVERSE = frozenset({"Converse", "ConverseStream"})


def check(route: Route, request: Request) -> None:
    """Raise the ValidationException AWS answers ``request`` with, if any."""
    operation = _operation(route.service, route.operation)
    shape = operation.input_shape
    if shape is not None:
        errors: list[str] = []
        params = _params(shape, request)
        shape_validation.validator(route.service, shape.name)(params, "", errors)
        if errors:
            raise AwsError(400, "ValidationException", shape_validation.message(errors))
    if route.operation in _CONVERSE:
        converse_rules.check(request.json())


@cache
def _operation(service: str, name: str) -> OperationModel:
    return shape_validation.service_model(service).operation_model(name)


def _params(shape: Shape, request: Request) -> dict[str, Any]:
    """The request as the members of its input shape."""
    payload = shape.serialization.get("payload")
    params: dict[str, Any] = {}
    if payload is not None:
        member = shape.members[payload]
        if member.type_name == "blob":
            params[payload] = request.body
        elif request.body:
            params[payload] = request.json()
    else:
        body = request.json() if request.body else {}
        if not isinstance(body, dict):
            raise AwsError(400, "ValidationException", "Malformed request body: a JSON object is expected")
        params.update(body)
    for name, member in shape.members.items():
        location, wire = member.serialization.get("location"), member.serialization.get("name", name)
        if location == "uri" and wire in request.path_params:
            params[name] = request.path_params[wire]
        elif location == "querystring" and wire in request.query:
            params[name] = _typed(member, request.query[wire])
        elif location == "header" and wire.lower() in request.headers:
            params[name] = _typed(member, [request.headers[wire.lower()]])
    return params


def _typed(member: Shape, values: list[str]) -> Any:
    """A query-string or header value as its shape's type (left as text when it does not parse, so that the
    validator reports it)."""
    if member.type_name == "list":
        return values
    value = values[0]
    if member.type_name in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            return value
    if member.type_name == "boolean":
        return {"true": True, "false": False}.get(value, value)
    if member.type_name in ("float", "double"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
