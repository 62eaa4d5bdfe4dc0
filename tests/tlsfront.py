"""TLS in front of a plain-HTTP test server: the fake index and pypiserver speak HTTP only."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading


class TLSFront:
    """Accept TLS on 127.0.0.1 with ``context`` and relay the plain bytes to ``backend``."""

    def __init__(self, context: ssl.SSLContext, backend: tuple[str, int]) -> None:
        self.context, self.backend = context, backend
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.handshake_errors: list[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                raw, _ = self.listener.accept()
                threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            tls = self.context.wrap_socket(raw, server_side=True)
        except OSError as exc:
            self.handshake_errors.append(str(exc))
            raw.close()
            return
        with tls, socket.create_connection(self.backend) as plain:
            threading.Thread(target=pump, args=(plain, tls), daemon=True).start()
            pump(tls, plain)

    def close(self) -> None:
        self.listener.close()


def pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes from ``source`` to ``sink`` until either side closes."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
