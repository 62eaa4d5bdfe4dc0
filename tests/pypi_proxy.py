"""``https://upload.pypi.org`` on this machine: a CONNECT proxy that answers for PyPI's hosts with a
test CA and relays to the fake index.

Some of tpublish's decisions follow the index's host (attestations are signed by default only for
PyPI and TestPyPI). With ``env()`` added to a run, ``--repository-url https://upload.pypi.org/legacy/``
reaches the fake index: httpx goes through the proxy (``HTTPS_PROXY``), which accepts ``CONNECT``
to ``*.pypi.org:443`` only, terminates TLS with a ``trustme`` certificate for the host (the run
trusts its CA through ``TPUBLISH_CERT``) and relays the plain bytes to the fake index. Loopback
traffic (the CI token endpoint, the Sigstore stand-in) stays direct (``NO_PROXY``).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from pathlib import Path

import trustme

from fakeindex import FakeIndex
from tlsfront import Listener, address, relay

HOSTS = ("upload.pypi.org", "test.pypi.org", "pypi.org")
PYPI_UPLOAD_URL = "https://upload.pypi.org/legacy/"


class PyPIProxy(Listener):
    def __init__(self, index: FakeIndex, directory: Path) -> None:
        self.backend = address(index.url)
        ca = trustme.CA()
        self.ca_pem = directory / "pypi-test-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_pem))
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*HOSTS).configure_cert(self.context)
        self.tunnels: list[str] = []  # host:port of every CONNECT accepted
        super().__init__()

    def env(self) -> dict[str, str]:
        return {
            "HTTPS_PROXY": f"http://127.0.0.1:{self.port}",
            "NO_PROXY": "127.0.0.1,localhost",
            "TPUBLISH_CERT": str(self.ca_pem),
        }

    def serve(self, raw: socket.socket) -> None:
        with contextlib.suppress(OSError), raw:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 8192:
                chunk = raw.recv(1024)
                if not chunk:
                    return
                head += chunk
            method, target, *_ = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            host, _, port = target.rpartition(":")
            if method != "CONNECT" or host not in HOSTS or port != "443":
                raw.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            self.tunnels.append(target)
            raw.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            relay(self.context.wrap_socket(raw, server_side=True), self.backend)
