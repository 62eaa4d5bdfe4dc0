"""HTTP for the stand-in: one ThreadingHTTPServer per service on 127.0.0.1, routing, faults, request log.

Fulcio and Rekor listen on separate ephemeral ports so that one can be taken down (connection
refused) while the other answers. Routes: Fulcio ``POST /api/v2/signingCert`` and
``GET /api/v2/trustBundle``; Rekor ``POST /api/v1/log/entries``, ``GET /api/v1/log/entries/<uuid>``,
``GET /api/v1/log`` and ``GET /api/v1/log/publicKey``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization

from .errors import Refusal, fulcio_error, rekor_error
from .fulcio import pem

if TYPE_CHECKING:
    from .instance import FakeSigstore

FAULT_KINDS = ("status", "drop", "stall")


@dataclass
class Fault:
    """An injected failure for ``times`` requests to ``service`` ("fulcio" or "rekor").

    ``status``: answer ``code`` with the service's JSON error for ``message`` (or ``body`` as is);
    ``drop``: close the connection without an answer; ``stall``: wait ``seconds``, then serve.
    ``skip``: let that many requests through first (e.g. fail the second file's log entry).
    """

    service: str
    kind: str = "status"
    times: int = 1
    code: int = 503
    message: str = "service unavailable"
    body: str | None = None
    seconds: float = 5.0
    skip: int = 0
    fired: int = 0
    passed: int = 0


@dataclass
class RecordedRequest:
    service: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    answered_at: float = field(default_factory=time.time)

    def json(self) -> Any:
        return json.loads(self.body)


class ServiceServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sigstore: FakeSigstore, service: str) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.sigstore = sigstore
        self.service = service
        self.thread = threading.Thread(
            target=self.serve_forever, args=(0.02,), name=f"fake-{service}", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client that went away is no bug
            self.sigstore.server_errors.append(traceback.format_exc())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ServiceServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_GET

    def _serve(self) -> None:
        sigstore, service = self.server.sigstore, self.server.service
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = RecordedRequest(service, self.command, self.path, dict(self.headers), body)
        with sigstore.lock:
            sigstore.requests.append(record)
        fault = sigstore.take_fault(service)
        if fault and fault.kind == "drop":
            self.close_connection = True
            return
        if fault and fault.kind == "stall":
            time.sleep(fault.seconds)
        error = fulcio_error if service == "fulcio" else rekor_error
        headers: dict[str, str] = {}
        if fault and fault.kind == "status":
            status, answer = fault.code, fault.body or json.dumps(error(fault.code, fault.message))
        else:
            try:
                status, payload, headers = self._route(sigstore, service, body)
                answer = payload if isinstance(payload, str) else json.dumps(payload)
            except Refusal as refusal:
                with sigstore.lock:
                    sigstore.refusals.append(f"{service}: {refusal.status} {refusal.message}")
                status, answer = refusal.status, json.dumps(error(refusal.status, refusal.message))
        record.status = status
        data = answer.encode()
        self.send_response(status)
        content_type = "application/json" if answer[:1] in "{[" else "text/plain"
        self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(
        self, sigstore: FakeSigstore, service: str, body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        method, path = self.command, self.path.split("?", 1)[0]
        now = sigstore.now()
        if service == "fulcio":
            if (method, path) == ("POST", "/api/v2/signingCert"):
                auth = self.headers.get("Authorization")
                return 201, sigstore.fulcio.signing_cert(body, auth, now), {}
            if (method, path) == ("GET", "/api/v2/trustBundle"):
                chain = {"certificates": [pem(c) for c in sigstore.fulcio.chain]}
                return 200, {"chains": [chain]}, {}
        else:
            log = sigstore.rekor
            if (method, path) == ("POST", "/api/v1/log/entries"):
                try:
                    proposed = json.loads(body)
                except ValueError as exc:
                    raise Refusal(400, f"the request body is not JSON: {exc}") from exc
                uuid, entry = log.add(proposed, now)
                return 201, entry, {"Location": f"/api/v1/log/entries/{uuid}", "ETag": uuid}
            if method == "GET" and path.startswith("/api/v1/log/entries/"):
                uuid = path.rsplit("/", 1)[1]
                if uuid not in log.entries:
                    raise Refusal(404, "entry not found")
                return 200, {uuid: log.entries[uuid]}, {}
            if (method, path) == ("GET", "/api/v1/log"):
                return 200, log.info(), {}
            if (method, path) == ("GET", "/api/v1/log/publicKey"):
                key = log.private_key.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                return 200, key.decode(), {}
        raise Refusal(404, f"no route for {method} {path}")
