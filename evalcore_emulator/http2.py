"""HTTP/2 over cleartext with prior knowledge (h2c, RFC 9113 section 3.3) for one emulator connection.

The AWS SDK for JavaScript v3 talks HTTP/2 by default (``NodeHttp2Handler``), to http:// endpoints too: it opens the
connection with the preface ``PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n``. ``server.py`` spots that request line on a
new connection and hands the connection here. The framing, HPACK and flow-control bookkeeping are the ``h2`` library's
(hyper-h2); this module only moves bytes and runs each request through the same ``serve`` callable that answers
HTTP/1.1, one thread per stream (a handler may sleep for an injected latency). Response bodies and event streams go
out as DATA frames no larger than the peer's frame size and flow-control windows allow; a writer waits for
WINDOW_UPDATE when a window is spent.

A GOAWAY from the client with NO_ERROR is a graceful close (RFC 9113 section 6.8): it opens no new stream, but the
streams it already opened run to their end. The JS SDK sends one as soon as the response headers arrive
(``NodeHttp2Handler`` calls ``session.close()`` on "response" for an event stream, or for any request with
``disableConcurrentStreams``, bedrock-runtime's default), so the rest of the body must still go out. h2 closes the
whole connection on any GOAWAY instead (python-hyper/h2 issue 1181), which cut event streams short (Node then ended
them cleanly, after messageStart); ``_ServerConnection`` keeps it open on a graceful one.

Faults: ``connection_reset`` drops the whole TCP connection with an RST, as on HTTP/1.1; a stream cut mid-way resets
that stream alone (RST_STREAM INTERNAL_ERROR), the HTTP/2 way of ending one response abnormally.
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import hyperframe.frame

from evalcore_emulator.protocol import Response

PREFACE_LINE = b"PRI * HTTP/2.0\r\n"
_READ_SIZE = 65536


@dataclass
class Reply:
    """What the server answers to one request, whatever the protocol."""

    response: Response | None  # None: drop the connection without an answer (the connection_reset fault)
    headers: dict[str, str] = field(default_factory=dict)  # the response's headers, request id and date included
    done: Callable[[int], None] | None = None  # runs just before the last bytes go out


Serve = Callable[[str, str, dict[str, str], bytes], Reply]


def _text(value: str | bytes) -> str:
    """A header name or value: h2 decodes them (``header_encoding="utf-8"``); bytes only if that setting changes."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


class _StreamGone(Exception):
    """The peer reset the stream or the connection went away: stop writing this response."""


class _ServerConnection(h2.connection.H2Connection):
    """h2's server side, but for a graceful GOAWAY from the client (NO_ERROR): h2 would move the connection to CLOSED
    and drop what it has not sent yet, so no stream could finish; this reports the GOAWAY and leaves the connection
    open. The client's last-stream-id counts streams the server opened (none here), so every stream it opened stays
    live (RFC 9113 section 6.8: "Activity on streams numbered lower than or equal to the last stream identifier might
    still complete successfully"). A GOAWAY with an error code closes the connection as h2 does."""

    def _receive_goaway_frame(
        self, frame: hyperframe.frame.GoAwayFrame
    ) -> tuple[list[hyperframe.frame.Frame], list[h2.events.Event]]:
        if frame.error_code != h2.errors.ErrorCodes.NO_ERROR:
            return super()._receive_goaway_frame(frame)
        event = h2.events.ConnectionTerminated()
        event.error_code = h2.errors.ErrorCodes.NO_ERROR
        event.last_stream_id = frame.last_stream_id
        event.additional_data = frame.additional_data or None
        return [], [event]


class Http2Connection:
    def __init__(self, sock: socket.socket, rfile: io.BufferedIOBase, serve: Serve) -> None:
        self.sock = sock
        self.rfile = rfile
        self.serve = serve
        self.conn = _ServerConnection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        self.cond = threading.Condition()
        self.requests: dict[int, tuple[list[tuple[str, str]], bytearray]] = {}
        self.gone_streams: set[int] = set()
        self.closed = False
        self.aborted = False

    def run(self, received: bytes) -> bool:
        """Serve the connection until the peer closes it; ``received`` is what was read of it so far (the preface's
        first line). True when a ``connection_reset`` fault asks the caller to drop it with an RST."""
        with self.cond:
            self.conn.initiate_connection()
            self._flush()
        data = received
        try:
            while data:
                with self.cond:
                    events = self.conn.receive_data(data)
                    for event in events:
                        self._on_event(event)
                    self._flush()
                    if self.closed:
                        break
                data = self.rfile.read1(_READ_SIZE)
        except h2.exceptions.ProtocolError:
            with self.cond:
                self.conn.close_connection(h2.errors.ErrorCodes.PROTOCOL_ERROR)
                self._flush()
        except OSError:
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        return self.aborted

    def _on_event(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived):
            self.requests[event.stream_id] = ([(_text(k), _text(v)) for k, v in event.headers or ()], bytearray())
        elif isinstance(event, h2.events.DataReceived):
            if event.stream_id in self.requests:
                self.requests[event.stream_id][1].extend(event.data or b"")
            self.conn.acknowledge_received_data(event.flow_controlled_length or 0, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            request = self.requests.pop(event.stream_id, None)
            if request is not None:
                threading.Thread(target=self._answer, args=(event.stream_id, *request), daemon=True).start()
        elif isinstance(event, h2.events.StreamReset):
            self.requests.pop(event.stream_id, None)
            self.gone_streams.add(event.stream_id)
            self.cond.notify_all()
        elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
            self.cond.notify_all()
        elif isinstance(event, h2.events.ConnectionTerminated) and event.error_code != h2.errors.ErrorCodes.NO_ERROR:
            self.closed = True
            self.cond.notify_all()

    def _answer(self, stream_id: int, pseudo_and_fields: list[tuple[str, str]], body: bytearray) -> None:
        pseudo = {name: value for name, value in pseudo_and_fields if name.startswith(":")}
        fields = {name.lower(): value for name, value in pseudo_and_fields if not name.startswith(":")}
        if ":authority" in pseudo:
            fields.setdefault("host", pseudo[":authority"])
        reply = self.serve(pseudo.get(":method", ""), pseudo.get(":path", "/"), fields, bytes(body))
        try:
            if reply.response is None:
                self._abort()
                return
            self._send_response(stream_id, reply)
        except (_StreamGone, OSError):
            pass

    def _send_response(self, stream_id: int, reply: Reply) -> None:
        response = reply.response
        assert response is not None
        headers = [(":status", str(response.status))]
        headers += [(name.lower(), value) for name, value in reply.headers.items()]
        if response.stream is None:
            headers.append(("content-length", str(len(response.body))))
        if response.stream is None:
            if reply.done is not None:
                reply.done(response.status)
            with self.cond:
                self._check(stream_id)
                self.conn.send_headers(stream_id, headers, end_stream=not response.body)
                if not response.body:
                    self._flush()
            if response.body:
                self._send_data(stream_id, response.body, end=True)
            return
        # The headers go out with the first DATA frame (as for a whole body above), not in a write of their own.
        with self.cond:
            self._check(stream_id)
            self.conn.send_headers(stream_id, headers)
        # One chunk is held back so that ``done`` runs before the last event goes out (as on HTTP/1.1). Only the
        # event stream's own failure (a fault cutting it mid-way) resets the stream; a failure to send propagates.
        held = b""
        chunks = iter(response.stream)
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except Exception:
                if reply.done is not None:
                    reply.done(response.status)
                if held:
                    self._send_data(stream_id, held, end=False)
                with self.cond:
                    self._check(stream_id)
                    self.conn.reset_stream(stream_id, h2.errors.ErrorCodes.INTERNAL_ERROR)
                    self._flush()
                return
            if chunk:
                if held:
                    self._send_data(stream_id, held, end=False)
                held = chunk
        if reply.done is not None:
            reply.done(response.status)
        self._send_data(stream_id, held, end=True)

    def _send_data(self, stream_id: int, data: bytes, end: bool) -> None:
        """Send ``data`` as DATA frames within the peer's frame size and flow-control windows."""
        view = memoryview(data)
        while True:
            with self.cond:
                while True:
                    self._check(stream_id)
                    try:
                        window = self.conn.local_flow_control_window(stream_id)
                    except h2.exceptions.StreamClosedError:
                        raise _StreamGone from None
                    room = min(window, self.conn.max_outbound_frame_size)
                    if room > 0 or not view:
                        break
                    self.cond.wait()
                piece, view = view[:room], view[room:]
                self.conn.send_data(stream_id, piece.tobytes(), end_stream=end and not view)
                self._flush()
            if not view:
                return

    def _check(self, stream_id: int) -> None:
        if self.closed or stream_id in self.gone_streams:
            raise _StreamGone

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def _abort(self) -> None:
        """The connection_reset fault: stop reading (the caller then closes the socket with an RST)."""
        with self.cond:
            self.aborted = True
            self.closed = True
            self.cond.notify_all()
        self.sock.shutdown(socket.SHUT_RD)
