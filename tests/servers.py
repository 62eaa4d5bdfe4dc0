"""Real index servers for tests: pypiserver (and devpi-server where installed) on 127.0.0.1.

Each server runs as a subprocess on a free port with its own package directory, so ``pip`` can
install from it afterwards exactly as a user would.
"""

from __future__ import annotations

import os
import shutil
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
def pypiserver(root: Path) -> Iterator[PyPIServer]:
    """Start pypiserver with htpasswd auth for uploads; stop it on exit."""
    from passlib.apache import HtpasswdFile

    packages = root / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    htpasswd = HtpasswdFile(str(root / "htpasswd"), new=True)
    htpasswd.set_password(USERNAME, PASSWORD)
    htpasswd.save()
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
        "update",
        "-P",
        str(root / "htpasswd"),
        "--server",
        "auto",
        "--disable-fallback",
        "--hash-algo",
        "sha256",
        "--log-stream",
        "none",
        str(packages),
    ]
    log = (root / "server.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, process)
        yield PyPIServer(url=url, simple_url=f"{url}simple/", packages=packages)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


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


def have(command: str) -> bool:
    return shutil.which(command) is not None
