"""The emulator's HTTP server: HTTP/1.1 keep-alive and HTTP/2 over cleartext (h2c with prior knowledge, as the AWS
SDK for JavaScript v3 speaks it) on the same port, one daemon thread per connection, 127.0.0.1 only.

A connection whose first line is HTTP/2's preface goes to ``http2.py``; every other one is HTTP/1.1. Both protocols
hand each request to :func:`serve`, which parses it into a :class:`Request`, finds the route, applies the world's
faults and calls the handler; the protocol then writes the :class:`Response` (a streamed body with chunked transfer
encoding on HTTP/1.1, DATA frames on HTTP/2). Errors are AWS rest-json errors.
Admin endpoints under ``/_emulator/`` let out-of-process users reconfigure the emulator and count calls:

- ``GET /_emulator/health``: ``{"status": "ok", ...}``
- ``GET /_emulator/requests[?operation=Converse]``: ``{"requests": [...]}`` (the request log)
- ``DELETE /_emulator/requests``: clear the request log
- ``GET /_emulator/world`` / ``PUT /_emulator/world`` (YAML or JSON body): read or replace the world
"""

from __future__ import annotations

import ipaddress
import json
import socket
import struct
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from evalcore_emulator import (
    agentcore_batch_evaluations,
    agentcore_evaluations,
    agentcore_runtime,
    agents,
    batch_jobs,
    capability_rules,
    evaluation_jobs,
    foundation_models,
    guardrails,
    knowledge_bases,
    request_validation,
    runtime,
)
from evalcore_emulator.context import ServerContext
from evalcore_emulator.faults import STREAM_FAULTS
from evalcore_emulator.http2 import PREFACE_LINE, Http2Connection, Reply
from evalcore_emulator.protocol import AwsError, Request, Response, Route
from evalcore_emulator.request_log import LoggedRequest, RequestLog
from evalcore_emulator.world import WorldError, parse_world

ROUTES: list[Route] = [
    *runtime.ROUTES,
    *guardrails.ROUTES,
    *agents.ROUTES,
    *agentcore_runtime.ROUTES,
    *agentcore_evaluations.ROUTES,
    *agentcore_batch_evaluations.ROUTES,
    *knowledge_bases.ROUTES,
    *evaluation_jobs.ROUTES,
    *batch_jobs.ROUTES,
    *foundation_models.ROUTES,
]
ADMIN_PREFIX = "/_emulator/"
_MAX_HEADER_LINE = 65536
_MAX_HEADERS = 100
_MALFORMED_BODY = b'{"output": {"message": {"role": "assistant", "content": [{"text": "cut'
_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    424: "Failed Dependency",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 4096  # the listen backlog: bursts of new connections wait here, not in SYN retries
    allow_reuse_address = True

    def __init__(self, context: ServerContext, log: RequestLog, host: str = "127.0.0.1", port: int = 0) -> None:
        if not is_loopback(host):
            raise ValueError(f"the emulator binds loopback addresses only, not {host!r}")
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)
        self.context = context
        self.log = log
        self.routes_by_method: dict[str, list[Route]] = {}
        for entry in ROUTES:
            self.routes_by_method.setdefault(entry.method, []).append(entry)

    @property
    def endpoint(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://[{name}]:{port}" if ":" in name else f"http://{name}:{port}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorServer
    fields: dict[str, str]  # the request's headers, names lower-cased
    raw_requestline: bytes  # set by BaseHTTPRequestHandler.handle_one_request before parse_request

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def parse_request(self) -> bool:
        """A fast path for well-formed HTTP/1.x requests (the stdlib's email-based header parsing is slow); anything
        else goes to the stdlib parser, but HTTP/2's preface, which turns the connection over to ``http2.py``.
        Header names are lower-cased into ``self.fields``."""
        parts = self.raw_requestline.decode("latin-1").split()
        if len(parts) != 3 or parts[2] not in ("HTTP/1.1", "HTTP/1.0"):
            if self.raw_requestline == PREFACE_LINE:
                self.close_connection = True
                server = self.server
                h2_connection = Http2Connection(self.connection, self.rfile, lambda *call: serve(server, *call))
                if h2_connection.run(self.raw_requestline):
                    self._reset()
                return False
            parsed = super().parse_request()
            self.fields = {k.lower(): v for k, v in self.headers.items()} if parsed else {}
            return parsed
        self.command, self.path, self.request_version = parts
        self.requestline = " ".join(parts)
        fields: dict[str, str] = {}
        while True:
            line = self.rfile.readline(_MAX_HEADER_LINE + 1)
            if line in (b"\r\n", b"\n", b""):
                break
            if len(line) > _MAX_HEADER_LINE or len(fields) >= _MAX_HEADERS:
                self.close_connection = True
                self.send_error(431, "Request header fields too large")
                return False
            name, _, value = line.decode("latin-1").partition(":")
            fields[name.strip().lower()] = value.strip()
        self.fields = fields
        connection = fields.get("connection", "").lower()
        self.close_connection = connection == "close" or (parts[2] == "HTTP/1.0" and connection != "keep-alive")
        if fields.get("expect", "").lower() == "100-continue" and parts[2] == "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr line; the request log records calls."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        reply = serve(self.server, self.command, self.path, self.fields, self._read_body())
        if reply.response is None:
            self._reset()
            return
        self._write(reply)

    def _read_body(self) -> bytes:
        length = self.fields.get("content-length")
        if length is not None:
            return self.rfile.read(int(length)) if int(length) else b""
        if self.fields.get("transfer-encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return b""

    def _write(self, reply: Reply) -> None:
        """Send the reply's response; its ``done(status)`` runs just before the last bytes go out (so a client that
        has read the response always finds the call in the request log)."""
        response, done = reply.response, reply.done
        assert response is not None
        headers = dict(reply.headers)
        if response.stream is None:
            headers["Content-Length"] = str(len(response.body))
        else:
            headers["Transfer-Encoding"] = "chunked"
        if self.close_connection:
            headers["Connection"] = "close"
        head = f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Unknown')}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        if response.stream is None:
            if done is not None:
                done(response.status)
            self.wfile.write(head.encode("latin-1") + response.body)
            return
        self.wfile.write(head.encode("latin-1"))
        # One chunk is held back so that ``done`` runs before the last event goes out: a client may stop reading
        # at an exception event and look in the request log at once.
        held = b""
        try:
            for chunk in response.stream:
                if chunk:
                    if held:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(held), held))
                    held = chunk
        except Exception:
            if done is not None:
                done(response.status)
            if held:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(held), held))
            self._reset()
            return
        if done is not None:
            done(response.status)
        if held:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(held), held))
        self.wfile.write(b"0\r\n\r\n")

    def _reset(self) -> None:
        """Drop the connection with a TCP RST and no response (SO_LINGER 0)."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self._resetting = True

    def finish(self) -> None:
        super().finish()
        if getattr(self, "_resetting", False):
            self.connection.close()


def serve(server: EmulatorServer, method: str, target: str, fields: dict[str, str], body: bytes) -> Reply:
    """Answer one request (``target`` is the path with its query string; ``fields`` the headers, names lower-cased),
    whichever protocol carried it: the one path from request to response."""
    arrived, started = time.time(), time.perf_counter()
    raw_path, _, query = target.partition("?")
    if raw_path.startswith(ADMIN_PREFIX):
        return _reply(_admin(server, method, raw_path[len(ADMIN_PREFIX) :], query, body))
    found = _route(server, method, raw_path)
    if found is None:
        error = _error(AwsError(404, "UnknownOperationException", "The requested operation is unknown."))
        return _reply(
            error, lambda status: _record(server, arrived, started, "Unknown", "", method, raw_path, None, status, None)
        )
    entry, params = found
    target_id = params.get(entry.target_param) if entry.target_param else None
    decision = server.context.faults.decide(entry.operation, target_id)
    if decision.latency_s:
        time.sleep(decision.latency_s)
    request = Request(
        method=method,
        path=unquote(raw_path),
        query=parse_qs(query, keep_blank_values=True),
        headers=fields,
        body=body,
        path_params=params,
        stream_fault=decision.kind if decision.kind in STREAM_FAULTS else None,
    )

    shape = _converse_shape(body) if entry.operation in ("Converse", "ConverseStream") else (None, None)
    mcp = {k: v for k, v in fields.items() if k.startswith("mcp-")} if entry.operation == "InvokeAgentRuntime" else {}

    def record(status: int) -> None:
        _record(
            server,
            arrived,
            started,
            entry.operation,
            entry.service,
            method,
            request.path,
            target_id,
            status,
            decision.label,
            decision.latency_s * 1000,
            shape,
            mcp or None,
        )

    if decision.kind == "connection_reset":
        record(0)
        return Reply(None)
    return _reply(_respond(server, entry, request, decision.kind, decision.error(entry.service)), record)


def _reply(response: Response, done: Callable[[int], None] | None = None) -> Reply:
    headers = {"x-amzn-RequestId": str(uuid.uuid4()), "Date": formatdate(usegmt=True), **response.headers}
    return Reply(response, headers, done)


def _respond(
    server: EmulatorServer, entry: Route, request: Request, kind: str | None, fault: AwsError | None
) -> Response:
    if kind == "malformed_body":
        return Response(200, {"Content-Type": "application/json"}, _MALFORMED_BODY)
    if fault is not None:
        return _error(fault)
    try:
        request_validation.check(entry, request)
        return entry.handler(server.context, request)
    except AwsError as exc:
        return _error(exc)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        return _error(AwsError(500, "InternalServerException", f"Emulator handler failed: {exc}"))


def _route(server: EmulatorServer, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
    for entry in server.routes_by_method.get(method, ()):
        match = entry.pattern.match(raw_path)
        if match is not None:
            return entry, {k: unquote(v) for k, v in match.groupdict().items()}
    return None


def _record(
    server: EmulatorServer,
    arrived: float,
    started: float,
    operation: str,
    service: str,
    method: str,
    path: str,
    target: str | None,
    status: int,
    fault: str | None,
    injected_ms: float = 0.0,
    shape: tuple[str | None, bool | None] = (None, None),
    mcp: dict[str, str] | None = None,
) -> None:
    duration = (time.perf_counter() - started) * 1000
    server.log.record(
        LoggedRequest(
            arrived,
            operation,
            service,
            method,
            path,
            target,
            status,
            fault,
            round(duration, 3),
            round(injected_ms, 3),
            *shape,
            mcp,
        )
    )


def _admin(server: EmulatorServer, method: str, name: str, query: str, body: bytes) -> Response:
    context, log = server.context, server.log
    if (method, name) == ("GET", "health"):
        return Response.json({"status": "ok", "endpoint": server.endpoint, "s3": context.s3_endpoint})
    if (method, name) == ("GET", "requests"):
        operation = parse_qs(query).get("operation", [None])[0]
        return Response.json({"requests": [e.to_json() for e in log.entries(operation)]})
    if (method, name) == ("DELETE", "requests"):
        return Response.json({"cleared": log.clear()})
    if (method, name) == ("GET", "world"):
        return Response.json(context.world.model_dump(mode="json"))
    if (method, name) == ("PUT", "world"):
        try:
            context.set_world(parse_world(body.decode("utf-8"), "world"))
        except (WorldError, UnicodeDecodeError) as exc:
            return _error(AwsError(400, "ValidationException", str(exc)))
        return Response.json({"status": "ok"})
    return _error(AwsError(404, "UnknownOperationException", f"No admin endpoint {method} {name}"))


def _error(error: AwsError) -> Response:
    return Response(
        status=error.status,
        headers={"Content-Type": "application/json", "x-amzn-ErrorType": error.error_type},
        body=json.dumps({"message": error.message}).encode(),
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _converse_shape(body: bytes) -> tuple[str | None, bool | None]:
    """(the tool choice, whether there is a system prompt) of a Converse body, for the request log."""
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return None, None
    if not isinstance(parsed, dict):
        return None, None
    return capability_rules.tool_choice(parsed), bool(parsed.get("system"))
