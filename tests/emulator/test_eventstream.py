"""The event-stream encoder writes what botocore's own decoder reads."""

import json

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from evalcore_emulator import eventstream


def _decode(data: bytes) -> list:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def test_event_message_decodes_with_headers_and_json_payload() -> None:
    (message,) = _decode(eventstream.event("chunk", {"bytes": "aGk=", "attribution": {"citations": []}}))

    assert message.headers == {
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert json.loads(message.payload) == {"bytes": "aGk=", "attribution": {"citations": []}}
    assert message.to_response_dict()["status_code"] == 200


def test_exception_message_decodes_as_an_error_response() -> None:
    (message,) = _decode(eventstream.exception("throttlingException", "Rate exceeded"))

    assert message.headers[":message-type"] == "exception"
    assert message.headers[":exception-type"] == "throttlingException"
    assert json.loads(message.payload) == {"message": "Rate exceeded"}
    assert message.to_response_dict()["status_code"] == 400


def test_consecutive_messages_split_across_arbitrary_chunks_decode_in_order() -> None:
    data = b"".join(eventstream.event("trace", {"n": n}) for n in range(5))
    buffer = EventStreamBuffer()
    decoded = []
    for start in range(0, len(data), 7):
        buffer.add_data(data[start : start + 7])
        decoded.extend(json.loads(m.payload)["n"] for m in buffer)

    assert decoded == [0, 1, 2, 3, 4]


def test_non_ascii_header_values_and_payloads_keep_their_byte_lengths() -> None:
    (message,) = _decode(eventstream.encode_message({"note": "café ✓"}, "naïve ✓".encode()))

    assert message.headers == {"note": "café ✓"}
    assert message.payload.decode() == "naïve ✓"


def test_corrupted_message_fails_botocore_checksum() -> None:
    data = bytearray(eventstream.event("chunk", {"bytes": ""}))
    data[-6] ^= 0xFF

    with pytest.raises(ChecksumMismatch):
        _decode(bytes(data))
