"""Loopback TCP servers for tests: a listener that serves each connection on its own thread, and
TLS in front of a plain-HTTP test server (the fake index and pypiserver speak HTTP only)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from urllib.parse import urlsplit


class Listener:
    """Listen on 127.0.0.1 (a free port) and ``serve`` each connection on a thread of its own."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):  # closed: no more connections
            while True:
                connection, _ = self.listener.accept()
                threading.Thread(target=self.serve, args=(connection,), daemon=True).start()

    def serve(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.listener.close()


class TLSFront(Listener):
    """Accept TLS on 127.0.0.1 with ``context`` and relay the plain bytes to ``backend``."""

    def __init__(self, context: ssl.SSLContext, backend: tuple[str, int]) -> None:
        self.context, self.backend = context, backend
        self.handshake_errors: list[str] = []
        super().__init__()

    def serve(self, connection: socket.socket) -> None:
        try:
            tls = self.context.wrap_socket(connection, server_side=True)
        except OSError as exc:
            self.handshake_errors.append(str(exc))
            connection.close()
            return
        relay(tls, self.backend)


def address(url: str) -> tuple[str, int]:
    """The (host, port) a server's ``url`` names: what a front or a relay connects to."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None, url
    return parts.hostname, parts.port


def relay(client: socket.socket, backend: tuple[str, int]) -> None:
    """Relay bytes both ways between ``client`` and a new connection to ``backend``; close both."""
    with client, socket.create_connection(backend) as plain:
        threading.Thread(target=pump, args=(plain, client), daemon=True).start()
        pump(client, plain)


def pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes from ``source`` to ``sink`` until either side closes."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
