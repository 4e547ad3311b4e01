"""Checks of a raw emulator response against botocore's OUTPUT shapes, with the validators
``evalcore_emulator.shape_validation`` generates (strict: a member the model does not declare is a violation too).

- a success: the status is the operation's ``responseCode``; the JSON body and the header members, assembled as the
  output shape lays them out, pass the output shape; an event-stream payload is decoded frame by frame and each
  event passes its member's shape (an exception event must be one the stream declares);
- an error: ``x-amzn-ErrorType`` names an error the operation declares, the status is that error's
  ``httpStatusCode`` in the service's model, and the body passes the error's shape.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.eventstream import EventStreamBuffer
from botocore.model import OperationModel, Shape

from evalcore_emulator.shape_validation import service_model, validator


def violations(service: str, operation: str, status: int, headers: dict[str, str], body: bytes) -> list[str]:
    op = service_model(service).operation_model(operation)
    headers = {name.lower(): value for name, value in headers.items()}
    if status >= 300:
        return _error(service, op, status, headers, body)
    problems: list[str] = []
    expected = op.http.get("responseCode", 200)
    if status != expected:
        problems.append(f"{operation}: status {status}, the model declares {expected}")
    shape = op.output_shape
    if shape is None:
        return problems
    params: dict[str, Any] = {}
    payload = shape.serialization.get("payload")
    if payload is not None:
        member = shape.members[payload]
        if member.type_name == "blob":
            params[payload] = body
        elif member.serialization.get("eventstream"):
            problems += _events(service, member, body)
        else:
            params[payload] = json.loads(body)
    else:
        params.update(json.loads(body or b"{}"))
    for name, member in shape.members.items():
        if member.serialization.get("location") == "header":
            wire = member.serialization.get("name", name).lower()
            if wire in headers:
                params[name] = _typed(member, headers[wire])
        elif member.serialization.get("location") == "statusCode":
            params[name] = status
    if payload is not None and shape.members[payload].serialization.get("eventstream"):
        return problems + _stream_output_members(service, shape, params)
    errors: list[str] = []
    validator(service, shape.name, strict=True)(params, "", errors)
    return problems + [f"{operation}: {e}" for e in errors]


def _stream_output_members(service: str, shape: Shape, params: dict[str, Any]) -> list[str]:
    """The violations of an event-stream output's other members (headers such as ``contentType``, ``sessionId``)."""
    problems: list[str] = []
    for name, member in shape.members.items():
        if member.serialization.get("eventstream"):
            continue
        if name not in params:
            if name in shape.required_members:
                problems.append(f"{shape.name}: required header member {name} is missing")
            continue
        validator(service, member.name, strict=True)(params[name], name, problems)
    return problems


def _events(service: str, stream: Shape, body: bytes) -> list[str]:
    buffer = EventStreamBuffer()
    buffer.add_data(body)
    problems: list[str] = []
    count = 0
    for message in buffer:
        count += 1
        headers = message.headers
        kind = headers.get(":message-type")
        name = headers.get(":event-type") if kind == "event" else headers.get(":exception-type")
        member = stream.members.get(name or "")
        if member is None:
            problems.append(f"{stream.name}: {kind} {name!r} is not a member of the stream")
            continue
        if kind == "exception" and not member.metadata.get("exception"):
            problems.append(f"{stream.name}: exception {name!r} is not an error shape")
        value = _event_value(member, message.payload)
        errors: list[str] = []
        validator(service, member.name, strict=True)(value, name, errors)
        problems += errors
    if count == 0:
        problems.append(f"{stream.name}: no events")
    return problems


def _event_value(member: Shape, payload: bytes) -> Any:
    for name, field in member.members.items():
        if field.serialization.get("eventpayload"):
            return {name: payload if field.type_name == "blob" else json.loads(payload)}
    return json.loads(payload or b"{}")


def _error(service: str, op: OperationModel, status: int, headers: dict[str, str], body: bytes) -> list[str]:
    error_type = headers.get("x-amzn-errortype", "").split(":")[0]
    declared = {shape.name: shape for shape in op.error_shapes}
    if error_type not in declared:
        return [f"{op.name}: error {error_type!r} is not one the operation declares ({sorted(declared)})"]
    shape = declared[error_type]
    problems = []
    expected = shape.metadata.get("error", {}).get("httpStatusCode")
    if status != expected:
        problems.append(f"{op.name}: {error_type} sent with status {status}, {service}'s model declares {expected}")
    errors: list[str] = []
    validator(service, shape.name, strict=True)(json.loads(body), error_type, errors)
    return problems + errors


def _typed(member: Shape, value: str) -> Any:
    if member.type_name in ("integer", "long"):
        return int(value)
    if member.type_name == "boolean":
        return value == "true"
    return value
