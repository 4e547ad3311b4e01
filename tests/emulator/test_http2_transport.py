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
import hyperframe.frame
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


def converse_streams_with_goaway(endpoint: str, count: int) -> dict[int, tuple[str, bytes]]:
    """``count`` ConverseStream requests at once on one h2c connection whose receive window is WINDOW bytes; as soon
    as the first response's headers arrive the client sends GOAWAY(NO_ERROR, last stream 0), as the JS SDK's
    NodeHttp2Handler does for an event stream (``session.close()`` on "response"), and goes on reading. Each stream's
    outcome: "ended" (END_STREAM), "reset" (RST_STREAM) or "cut" (the connection closed before either), and its body."""
    url = urlsplit(endpoint)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: WINDOW})
    bodies: dict[int, bytearray] = {}
    outcome: dict[int, str] = {}
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        for _ in range(count):
            stream = conn.get_next_available_stream_id()
            request = [(":method", "POST"), (":scheme", "http"), (":authority", url.netloc), (":path", PATH)]
            conn.send_headers(stream, [*request, ("content-type", "application/json")])
            conn.send_data(stream, BODY, end_stream=True)
            bodies[stream] = bytearray()
        sock.sendall(conn.data_to_send())
        going_away = False
        while len(outcome) < count:
            try:
                data = sock.recv(65536)
            except ConnectionError:
                break
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived) and not going_away:
                    # Sent raw: h2's own close_connection() would stop this client from reading the rest.
                    sock.sendall(conn.data_to_send() + hyperframe.frame.GoAwayFrame(0, last_stream_id=0).serialize())
                    going_away = True
                elif isinstance(event, h2.events.DataReceived):
                    bodies[event.stream_id].extend(event.data)
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    outcome[event.stream_id] = "ended"
                elif isinstance(event, h2.events.StreamReset):
                    outcome[event.stream_id] = "reset"
            try:
                sock.sendall(conn.data_to_send())
            except ConnectionError:
                break
    return {stream: (outcome.get(stream, "cut"), bytes(body)) for stream, body in bodies.items()}


def test_event_streams_run_to_their_end_after_the_client_sends_goaway(emulator: Emulator) -> None:
    # RFC 9113 section 6.8: a GOAWAY stops new streams; "activity on streams numbered lower than or equal to the last
    # stream identifier might still complete successfully" and the client's own streams are not counted by its
    # last-stream-id at all. A stream must never end cleanly on a truncated body.
    streams = converse_streams_with_goaway(emulator.endpoint, count=6)

    outcomes = {stream: outcome for stream, (outcome, _) in streams.items()}
    assert set(outcomes.values()) == {"ended"}, outcomes
    for _, body in streams.values():
        names = [name for name, _ in events(body)]
        assert names[0] == "messageStart" and names[-2:] == ["messageStop", "metadata"], names
    assert [r.operation for r in emulator.requests()] == ["ConverseStream"] * 6
