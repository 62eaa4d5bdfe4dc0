"""The HTTP server of the fake index: a ThreadingHTTPServer speaking HTTP/1.1 with keep-alive, a
router, fault injection, and the request log."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from packaging.utils import canonicalize_name

from . import oidc, pages, upload
from .state import Fault, RecordedRequest
from .wire import Request, Response, json_response, phrase

if TYPE_CHECKING:
    from collections.abc import Callable

    from .index import FakeIndex

LEGACY_REDIRECT = "An upload was attempted to /legacy but the expected upload URL is /legacy/ (with a trailing slash)"
CDN_PAGE = "<html><head><title>Service Unavailable</title></head><body><h1>Error 503 Backend fetch failed</h1></body></html>"


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # 16 uploads and their lookups at once: no connection left waiting

    def __init__(self, index: FakeIndex, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), Handler)
        self.index = index
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):  # the client went away; nothing to report
            return
        self.index.server_errors.append(traceback.format_exc())

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeServer
    timeout = 120  # idle keep-alive connections end eventually

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self, fault: Fault | None = None) -> bytes:
        if fault is not None and fault.kind == "slow_read":
            return self._read_slowly(fault)
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_slowly(self, fault: Fault) -> bytes:
        """``slow_read``: the body in ``chunk`` bytes every ``delay`` seconds, as a slow link."""
        length = int(self.headers.get("Content-Length") or 0)
        chunk, delay = int(fault.params.get("chunk", 65536)), float(fault.params.get("delay", 0.1))
        data = bytearray()
        while len(data) < length and not self.server.index.stopping.is_set():
            part = self.rfile.read(min(chunk, length - len(data)))
            if not part:
                break
            data += part
            time.sleep(delay)
        return bytes(data)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _serve(self) -> None:
        index = self.server.index
        path, _, query = self.path.partition("?")
        record = RecordedRequest(
            self.command, path, query, {k.lower(): v for k, v in self.headers.items()}
        )
        index.record(record)
        fault = index.faults.take(self.command, path)
        record.fault = fault.kind if fault else None
        if fault is not None and fault.kind == "drop_before":
            self._drop()
            return
        request = Request(
            self.command, path, query, self.headers, self._read_body(fault), index.url
        )
        describe(record, request)
        response = self._respond(index, request, record, fault)
        if fault is not None and fault.kind == "after_store":
            response = fault_response(index, fault, request)
        record.status, record.reason = response.status, response.reason
        if fault is not None and fault.kind == "drop_after_store":
            self._drop()
            return
        if fault is not None and fault.kind == "huge":
            self._send_huge(fault)
            return
        data = response.encode(head=self.command == "HEAD", close=self.close_connection)
        if fault is not None and fault.kind == "dribble":
            self._dribble(index, fault, data)
        elif fault is not None and fault.kind == "trickle":
            chunk, delay = (
                int(fault.params.get("chunk", 16)),
                float(fault.params.get("delay", 0.05)),
            )
            for start in range(0, len(data), chunk):
                self.wfile.write(data[start : start + chunk])
                self.wfile.flush()
                time.sleep(delay)
        else:
            self.wfile.write(data)

    def _dribble(self, index: FakeIndex, fault: Fault, data: bytes) -> None:
        """One byte every ``delay`` seconds (forever with ``endless``), until the client leaves."""
        delay = float(fault.params.get("delay", 2.0))
        endless = bool(fault.params.get("endless"))
        if endless:  # a gigabyte announced, spaces sent: the answer never ends
            head = data.partition(b"\r\n\r\n")[0].split(b"\r\n")
            kept = [line for line in head if not line.lower().startswith(b"content-length:")]
            data = b"\r\n".join([*kept, b"Content-Length: %d" % (1 << 30)]) + b"\r\n\r\n"
        fault.params["sent"] = 0
        try:
            while not index.stopping.is_set() and (endless or fault.params["sent"] < len(data)):
                position = fault.params["sent"]
                self.wfile.write(data[position : position + 1] or b" ")
                self.wfile.flush()
                fault.params["sent"] += 1
                index.stopping.wait(delay)
        except OSError:
            self.close_connection = True

    def _send_huge(self, fault: Fault) -> None:
        """``size`` bytes of ``fill``, written a chunk at a time: never held in memory."""
        size = int(fault.params.get("size", 300 * 1000 * 1000))
        code = int(fault.params.get("code", 200))
        fill = str(fault.params.get("fill", "x")).encode()
        content_type = fault.params.get("content_type", "text/html; charset=UTF-8")
        chunk = (fill * (65536 // len(fill) + 1))[:65536]
        head = (
            f"HTTP/1.1 {code} {phrase(code)}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {size}\r\nConnection: close\r\n\r\n"
        )
        fault.params["sent"] = 0
        self.close_connection = True
        try:
            self.wfile.write(head.encode("latin-1"))
            left = size
            while left > 0:
                piece = chunk[: min(left, len(chunk))]
                self.wfile.write(piece)
                left -= len(piece)
                fault.params["sent"] += len(piece)
        except OSError:
            return

    def _respond(
        self, index: FakeIndex, request: Request, record: RecordedRequest, fault: Fault | None
    ) -> Response:
        try:
            if fault is not None and fault.kind == "huge" and not fault.params.get("store"):
                return Response(200)  # not sent: _send_huge answers instead
            if fault is not None and fault.kind in ("status", "non_json"):
                return fault_response(index, fault, request)
            if fault is not None and fault.kind == "stall":
                index.stopping.wait(float(fault.params.get("seconds", 10)))
            return route(index, request, record)
        except Exception:  # noqa: BLE001 - a bug in the fake: answer 500 and keep the traceback for the test
            index.server_errors.append(traceback.format_exc())
            return Response(500, traceback.format_exc().encode(), "text/plain; charset=UTF-8")


def describe(record: RecordedRequest, request: Request) -> None:
    """Fill the log entry with the parsed form (without the file bytes) or the JSON body."""
    record.body_size = len(request.body)
    for part in request.parts:
        if part.name == "content" and part.filename is not None:
            record.content_filename, record.content_size = part.filename, len(part.data)
            record.content_type = part.content_type
        else:
            record.form.append((part.name, part.text))
    if (request.header("content-type") or "").startswith("application/json") and len(
        request.body
    ) < 65536:
        try:
            record.json = request.json()
        except ValueError:
            record.json = None


def fault_response(index: FakeIndex, fault: Fault, request: Request) -> Response:
    params = fault.params
    headers = list((params.get("headers") or {}).items())
    if "retry_after" in params:
        headers.append(("Retry-After", str(params["retry_after"])))
    if fault.kind == "non_json":
        body = params.get("body", CDN_PAGE)
        code = int(params.get("code", 200))
        data = body.encode() if isinstance(body, str) else bytes(body)
        return Response(
            code, data, params.get("content_type", "text/html; charset=UTF-8"), headers=headers
        )
    code, reason, body = int(params.get("code", 503)), params.get("reason"), params.get("body")
    if "json" in params:
        body = json.dumps(params["json"])
        params = {"content_type": "application/json", **params}
    if body is None:
        return pages.error_response(
            code,
            reason,
            accept=request.header("accept"),
            reason_phrases=index.reason_phrases,
            headers=headers,
        )
    data = body.encode() if isinstance(body, str) else bytes(body)
    content_type = params.get("content_type", "text/plain; charset=UTF-8")
    return Response(code, data, content_type, reason if index.reason_phrases else None, headers)


def not_allowed(request: Request, allow: str) -> Response:
    return pages.error_response(
        405, None, accept=request.header("accept"), headers=[("Allow", allow)]
    )


def route(index: FakeIndex, request: Request, record: RecordedRequest) -> Response:
    path, method = request.path, request.method
    accept = request.header("accept")
    if path.startswith("/_/oidc/"):
        handlers: dict[str, Callable[[FakeIndex, Request, RecordedRequest], Response]] = {
            "/_/oidc/audience": oidc.audience,
            "/_/oidc/mint-token": oidc.mint,
            "/_/oidc/github/mint-token": oidc.mint,
            "/_/oidc/burn-token": oidc.burn,
        }
        if index.implements_tp and path in handlers:
            return handlers[path](index, request, record)
    elif path == "/legacy/":
        if method == "POST":
            return upload.handle(index, request, record)
        return (
            pages.upload_info_page()
            if method in ("GET", "HEAD")
            else not_allowed(request, "GET, POST")
        )
    elif path == "/legacy":
        if method != "POST":
            return not_allowed(request, "POST")
        location = f"{index.url}/legacy/"
        return pages.error_response(
            308,
            LEGACY_REDIRECT,
            accept=accept,
            reason_phrases=index.reason_phrases,
            explanation=f"The resource has been moved to {location}; you should be redirected automatically.",
            headers=[("Location", location)],
        )
    elif path == "/_fake/github/token":
        return oidc.github_token(index, request, record)
    elif path == "/_fake/jwks":
        return json_response(200, {"keys": [index.signing_key.jwk()]})
    elif method in ("GET", "HEAD"):
        return read_api(index, request)
    return pages.error_response(404, None, accept=accept)


def read_api(index: FakeIndex, request: Request) -> Response:
    """Simple API, file downloads, JSON API and provenance."""
    segments = [unquote(s) for s in request.path.strip("/").split("/")]
    accept = request.header("accept")
    if segments[:1] in (["simple"], ["pypi"]) and not index.serve_listings:
        return pages.error_response(403, None, accept=accept)  # 404 would say "no such project"
    if segments[:1] == ["files"] and not index.serve_files:
        return pages.error_response(403, None, accept=accept)
    with index.lock:
        if segments == ["simple"]:
            return pages.simple_index(
                index.url, sorted(index.projects.values(), key=lambda p: p.normalized), accept
            )
        if len(segments) == 2 and segments[0] == "simple" and request.path.endswith("/"):
            project = index.projects.get(canonicalize_name(segments[1]))
            if project is not None:
                files = [f for f in index.files.values() if f.project == project.normalized]
                return pages.simple_project(
                    index.url, project, files, accept, digests=index.serve_digests
                )
        if len(segments) == 2 and segments[0] == "files" and segments[1] in index.files:
            return Response(200, index.files[segments[1]].data, "application/octet-stream")
        if segments[:1] == ["pypi"] and len(segments) in (3, 4) and segments[-1] == "json":
            project = index.projects.get(canonicalize_name(segments[1]))
            if project is not None:
                return pages.json_api(
                    index.url,
                    project,
                    index.files,
                    segments[2] if len(segments) == 4 else None,
                    digests=index.serve_digests,
                )
            return json_response(404, {"message": "Not Found"})
        if segments[:1] == ["integrity"] and len(segments) == 5 and segments[4] == "provenance":
            return provenance(index, segments[1], segments[3])
    return pages.error_response(404, None, accept=accept)


def provenance(index: FakeIndex, project: str, filename: str) -> Response:
    stored = index.files.get(filename)
    if stored is None or stored.project != canonicalize_name(project) or not stored.attestations:
        return json_response(404, {"message": "No provenance available"})
    publisher = stored.publisher
    identity: dict[str, Any] = {"kind": publisher.kind if publisher else None, "claims": None}
    if publisher is not None and publisher.kind == "github":
        config = publisher.config
        identity.update(
            kind="GitHub",
            repository=f"{config['repository_owner']}/{config['repository_name']}",
            workflow=config["workflow_filename"],
            environment=config["environment"] or None,
        )
    bundle = {"publisher": identity, "attestations": stored.attestations}
    return Response(
        200,
        json.dumps({"version": 1, "attestation_bundles": [bundle]}).encode(),
        "application/vnd.pypi.integrity.v1+json",
    )
