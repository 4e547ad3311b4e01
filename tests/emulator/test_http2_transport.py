"""HTTP/2 over cleartext with prior knowledge beside HTTP/1.1 on the emulator's port, checked with the h2 library
as the client: flow control with a tiny window, and the same answer as HTTP/1.1."""

from __future__ import annotations

import json
import socket
import urllib.request
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.events
import h2.settings
from botocore.eventstream import EventStreamBuffer

from evalcore_emulator import Emulator

PATH = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream"
BODY = json.dumps({"messages": [{"role": "user", "content": [{"text": "What is the capital of France?"}]}]}).encode()
WINDOW = 16


def h2_request(endpoint: str, path: str, body: bytes) -> tuple[dict[str, str], list[bytes]]:
    """One POST on a fresh h2c connection whose receive window is WINDOW bytes; the DATA frames' payloads."""
    url = urlsplit(endpoint)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: WINDOW})
    headers: dict[str, str] = {}
    frames: list[bytes] = []
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        stream = conn.get_next_available_stream_id()
        request = [(":method", "POST"), (":scheme", "http"), (":authority", url.netloc), (":path", path)]
        conn.send_headers(stream, [*request, ("content-type", "application/json")])
        conn.send_data(stream, body, end_stream=True)
        sock.sendall(conn.data_to_send())
        ended = False
        while not ended:
            data = sock.recv(65536)
            assert data, "the server closed the connection before the response ended"
            for event in conn.receive_data(data):  # h2 raises FlowControlError if the server overruns the window
                if isinstance(event, h2.events.ResponseReceived):
                    headers = dict(event.headers)
                elif isinstance(event, h2.events.DataReceived):
                    frames.append(event.data)
                    conn.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, h2.events.StreamEnded):
                    ended = True
            sock.sendall(conn.data_to_send())
    return headers, frames


def events(stream: bytes) -> list[tuple[str, bytes]]:
    buffer = EventStreamBuffer()
    buffer.add_data(stream)
    return [(message.headers[":event-type"], message.payload) for message in buffer]


def test_an_event_stream_goes_out_as_data_frames_within_a_small_flow_control_window(emulator: Emulator) -> None:
    headers, frames = h2_request(emulator.endpoint, PATH, BODY)

    assert headers[":status"] == "200"
    assert headers["content-type"] == "application/vnd.amazon.eventstream"
    assert len(frames) > 10 and max(len(frame) for frame in frames) <= WINDOW
    with urllib.request.urlopen(urllib.request.Request(emulator.endpoint + PATH, data=BODY)) as response:
        over_http1 = response.read()
    # the same events (but the metadata event's latencyMs)
    over_http2 = events(b"".join(frames))
    assert [name for name, _ in over_http2] == [name for name, _ in events(over_http1)]
    assert over_http2[:-1] == events(over_http1)[:-1]
    assert [r.operation for r in emulator.requests()] == ["ConverseStream", "ConverseStream"]
