"""The AWS event-stream binary message format (``application/vnd.amazon.eventstream``), encoding side.

One message is: a 12-byte prelude (total length, headers length, CRC32 of those 8 bytes), the headers,
the payload and a CRC32 of everything before it. All integers are big-endian. Every header written here is a
string (type 7): one byte name length, the name, the type byte, a 2-byte value length, the value.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_STRING_HEADER = 7


def _encode_headers(headers: dict[str, str]) -> bytes:
    out = bytearray()
    for name, value in headers.items():
        raw_name = name.encode("utf-8")
        raw_value = value.encode("utf-8")
        out += struct.pack(">B", len(raw_name)) + raw_name
        out += struct.pack(">BH", _STRING_HEADER, len(raw_value)) + raw_value
    return bytes(out)


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One complete event-stream message."""
    raw_headers = _encode_headers(headers)
    total_length = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack(">II", total_length, len(raw_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + raw_headers + payload
    return body + struct.pack(">I", zlib.crc32(body))


def event(event_type: str, payload: dict[str, Any]) -> bytes:
    """An ``:message-type=event`` message with a JSON payload (InvokeAgent's chunk, trace, returnControl)."""
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, json.dumps(payload).encode("utf-8"))


def exception(exception_type: str, message: str) -> bytes:
    """An ``:message-type=exception`` message; botocore raises ``EventStreamError`` when it reads one."""
    headers = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, json.dumps({"message": message}).encode("utf-8"))
