"""Real index servers for tests: pypiserver and devpi-server on 127.0.0.1, and a proxy that
passes only uploads (an index whose read API cannot be reached).

Each server runs as a subprocess on a free port with its own package directory, so ``pip`` can
install from it afterwards exactly as a user would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

USERNAME = "uploader"
PASSWORD = "canary-pypiserver-password-7c1e"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start in {timeout} s")


@dataclass(frozen=True)
class PyPIServer:
    url: str  # upload URL (pypiserver accepts uploads at its root)
    simple_url: str
    packages: Path
    username: str = USERNAME
    password: str = PASSWORD


@contextmanager
def pypiserver(root: Path, *, anonymous: bool = False) -> Iterator[PyPIServer]:
    """Start pypiserver with htpasswd auth for uploads (none at all: ``anonymous``); stop it on exit."""
    from passlib.apache import HtpasswdFile

    packages = root / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    htpasswd = HtpasswdFile(str(root / "htpasswd"), new=True)
    htpasswd.set_password(USERNAME, PASSWORD)
    htpasswd.save()
    auth = [".", "-P", "."] if anonymous else ["update", "-P", str(root / "htpasswd")]
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "pypiserver",
        "run",
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-a",
        *auth,
        "--server",
        "auto",
        "--disable-fallback",
        "--hash-algo",
        "sha256",
        "--log-stream",
        "none",
        str(packages),
    ]
    url = f"http://127.0.0.1:{port}/"
    with running(command, root / "server.log", url):
        yield PyPIServer(url=url, simple_url=f"{url}simple/", packages=packages)


@contextmanager
def running(command: list[str], log_path: Path, url: str, timeout: float = 30.0) -> Iterator[None]:
    """Run ``command`` until the block ends, once ``url`` answers."""
    log = log_path.open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(url, process, timeout)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@dataclass(frozen=True)
class Devpi:
    url: str  # the server's root
    upload_url: str  # the index: devpi takes uploads there and serves +simple/ below it
    simple_url: str
    username: str = USERNAME
    password: str = PASSWORD


@contextmanager
def devpi_server(root: Path) -> Iterator[Devpi]:
    """A fresh devpi-server (``devpi-init`` in ``root``) with a user and a non-volatile index.

    The user and the index are made through devpi's HTTP API, as ``devpi user -c`` and
    ``devpi index -c`` would.
    """
    serverdir = root / "devpi"
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "devpi-init"), "--serverdir", str(serverdir), "--no-root-pypi"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(bin_dir / "devpi-server"),
        "--serverdir",
        str(serverdir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--offline-mode",
    ]
    with running(command, root / "devpi.log", f"{url}/", timeout=120):
        user = httpx.put(f"{url}/{USERNAME}", json={"password": PASSWORD, "email": "u@example.com"})
        user.raise_for_status()
        index = httpx.put(
            f"{url}/{USERNAME}/dev",
            json={"bases": [], "volatile": False},
            auth=(USERNAME, PASSWORD),
        )
        index.raise_for_status()
        upload_url = f"{url}/{USERNAME}/dev/"
        yield Devpi(url, upload_url, f"{upload_url}+simple/")


class UploadOnlyProxy:
    """A reverse proxy to ``backend`` that forwards POSTs and answers every read with 503: an
    index whose read API is out of reach (a proxy that lets only uploads through)."""

    def __init__(self, backend: str) -> None:
        import http.server
        import threading

        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.reads += 1
                self.send_error(503, "reads are not available here")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = httpx.post(backend + self.path, content=body, headers=headers)
                self.send_response(answer.status_code, answer.reason_phrase)
                for name in ("Content-Type",):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.reads = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def pip_download(simple_url: str, requirement: str, dest: Path, *, binary: bool) -> list[Path]:
    """``pip download`` one requirement from a local index (isolated from this machine's pip config)."""
    dest.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "--isolated",
        "--disable-pip-version-check",
        "download",
        "--no-deps",
        "--index-url",
        simple_url,
        "--dest",
        str(dest),
        "--only-binary=:all:" if binary else "--no-binary=:all:",
        requirement,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    if not binary:
        # Downloading an sdist makes pip prepare its metadata, which needs the build backend.
        command.insert(command.index("download") + 1, "--no-build-isolation")
    subprocess.run(command, check=True, env=env, capture_output=True, timeout=120)
    return sorted(dest.iterdir())
