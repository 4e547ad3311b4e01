"""A local fake of the GitHub REST API (the endpoints evalcore uses), on loopback, with programmable faults.

Behaves like GitHub where evalcore depends on it: pagination with `Link` headers and `per_page`, 403 "Resource not
accessible by integration" for read-only tokens, secondary rate limits with `retry-after`, 422 for bodies over
65,536 characters, artifact downloads answered with a redirect.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Fault:
    method: str
    path: str  # a regular expression on the path
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "fault"
    times: int = 1


@dataclass
class FakeGitHubState:
    login: str | None = "github-actions[bot]"  # None: GET /user is refused, as for GITHUB_TOKEN
    read_only: bool = False
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls_by_commit: dict[str, list[int]] = field(default_factory=dict)
    pulls_by_head: dict[str, list[int]] = field(default_factory=dict)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    pull_files: dict[int, list[str]] = field(default_factory=dict)  # a pull request's changed files (paths)
    blobs: dict[int, bytes] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    log: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_comment(self, number: int, body: str, login: str) -> dict[str, Any]:
        self.next_id += 1
        comment = {
            "id": self.next_id,
            "body": body,
            "user": {"login": login},
            "html_url": f"https://github.test/o/r/pull/{number}#issuecomment-{self.next_id}",
        }
        self.comments.setdefault(number, []).append(comment)
        return comment


class FakeGitHub:
    def __init__(self) -> None:
        self.state = FakeGitHubState()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(
                self, status: int, payload: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None
            ) -> None:
                body = raw if raw is not None else json.dumps(payload).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/octet-stream" if raw is not None else "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self, method: str) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                data = json.loads(self.rfile.read(length) or b"{}") if length else {}
                with state.lock:
                    state.log.append((method, url.path))
                    for fault in state.faults:
                        if fault.times > 0 and fault.method == method and re.search(fault.path, url.path):
                            fault.times -= 1
                            self._send(fault.status, {"message": fault.message}, fault.headers)
                            return
                    self._route(method, url.path, query, data)

            def _route(self, method: str, path: str, query: dict[str, str], data: dict[str, Any]) -> None:
                if not self.headers.get("Authorization", "").startswith("Bearer "):
                    self._send(401, {"message": "Requires authentication"})
                    return
                if path == "/user" and method == "GET":
                    if state.login is None:
                        self._send(403, {"message": "Resource not accessible by integration"})
                    else:
                        self._send(200, {"login": state.login})
                    return
                m = re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", path)
                if m and method == "GET":
                    self._page(state.comments.get(int(m[1]), []), query, path)
                    return
                if m and method == "POST":
                    if state.read_only:
                        self._send(403, {"message": "Resource not accessible by integration"})
                    elif len(data.get("body", "")) > 65536:
                        self._send(
                            422, {"message": "Validation Failed: body is too long (maximum is 65536 characters)"}
                        )
                    else:
                        self._send(
                            201, state.add_comment(int(m[1]), data["body"], state.login or "github-actions[bot]")
                        )
                    return
                m = re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", path)
                if m and method == "DELETE":
                    for comments in state.comments.values():
                        for c in comments:
                            if c["id"] == int(m[1]):
                                if state.read_only:
                                    self._send(403, {"message": "Resource not accessible by integration"})
                                    return
                                comments.remove(c)
                                self._send(204, raw=b"")
                                return
                    self._send(404, {"message": "Not Found"})
                    return
                if m and method == "PATCH":
                    for comments in state.comments.values():
                        for c in comments:
                            if c["id"] == int(m[1]):
                                if state.read_only:
                                    self._send(403, {"message": "Resource not accessible by integration"})
                                    return
                                c["body"] = data["body"]
                                self._send(200, c)
                                return
                    self._send(404, {"message": "Not Found"})
                    return
                m = re.fullmatch(r"/repos/[^/]+/[^/]+/commits/([0-9a-f]+)/pulls", path)
                if m and method == "GET":
                    self._send(200, [{"number": n, "state": "open"} for n in state.pulls_by_commit.get(m[1], [])])
                    return
                m = re.fullmatch(r"/repos/[^/]+/[^/]+/pulls/(\d+)/files", path)
                if m and method == "GET":
                    files = [{"filename": name, "status": "modified"} for name in state.pull_files.get(int(m[1]), [])]
                    self._page(files, query, path)
                    return
                if re.fullmatch(r"/repos/[^/]+/[^/]+/pulls", path) and method == "GET":
                    self._send(200, [{"number": n} for n in state.pulls_by_head.get(query.get("head", ""), [])])
                    return
                if re.fullmatch(r"/repos/[^/]+/[^/]+/actions/artifacts", path) and method == "GET":
                    found = [a for a in state.artifacts if a["name"] == query.get("name", a["name"])]
                    self._page(found, query, path, wrap="artifacts")
                    return
                m = re.fullmatch(r"/repos/[^/]+/[^/]+/actions/artifacts/(\d+)/zip", path)
                if m and method == "GET":
                    self._send(302, {}, {"Location": f"{server_url()}/blobs/{m[1]}"})
                    return
                m = re.fullmatch(r"/blobs/(\d+)", path)
                if m and method == "GET":
                    self._send(200, raw=state.blobs[int(m[1])])
                    return
                self._send(404, {"message": "Not Found"})

            def _page(self, items: list[Any], query: dict[str, str], path: str, wrap: str | None = None) -> None:
                per_page = min(100, int(query.get("per_page", 30)))
                page = int(query.get("page", 1))
                chunk = items[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(items):
                    headers["Link"] = f'<{server_url()}{path}?per_page={per_page}&page={page + 1}>; rel="next"'
                self._send(200, {"total_count": len(items), wrap: chunk} if wrap else chunk, headers)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True

        def server_url() -> str:
            return self.url

        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls(self, method: str, pattern: str = "") -> int:
        return sum(1 for m, p in self.state.log if m == method and re.search(pattern, p))
