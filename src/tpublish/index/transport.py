"""The HTTP transport under every client: an overall deadline per request, and proxies that never
see a request to this machine.

httpx's timeouts bound each read and write, not a request: a server that sends one byte every few
seconds holds a request forever. Here every request has a deadline (its answer included): each
network read and write waits at most until then. The deadline is per thread, set around a request
by ``deadline`` (or by default when a request starts), so the body of a streamed answer is bound by
it too. ``Budget.restart`` moves it: an upload is bounded per write while its body goes out, and
its answer has a deadline of its own from the moment the last byte was sent.

Proxies come from the environment (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``),
except for a loopback host: plain http is accepted only because such a request never leaves this
machine, which a proxy would break (credentials in clear to the proxy).

The TLS context (loading a CA bundle takes ~20 ms) is built when the first request that may use
TLS starts: https, or anything through a proxy. A direct plain-http request never does TLS (no
redirect is followed), so a run that only talks to a local http index never builds it; its pool
holds a context that trusts no certificate at all, so TLS through it could only fail.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

_local = threading.local()


class Budget:
    """When the request running on this thread must be over (``at``, monotonic; None: no limit)."""

    def __init__(self, seconds: float | None) -> None:
        self.at: float | None = None
        self.restart(seconds)

    def restart(self, seconds: float | None) -> None:
        """From now, ``seconds`` more (None: no overall limit, only per read and write)."""
        self.at = None if seconds is None else time.monotonic() + seconds

    def bound(self, timeout: float | None, kind: type[Exception]) -> float | None:
        """``timeout`` cut to what is left; raises ``kind`` when nothing is left."""
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise kind("the request took longer than its overall time limit")
        return left if timeout is None else min(timeout, left)


def _current() -> Budget | None:
    budget: Budget | None = getattr(_local, "budget", None)
    return budget


@contextmanager
def _using(budget: Budget) -> Iterator[Budget]:
    previous = _current()
    _local.budget = budget
    try:
        yield budget
    finally:
        _local.budget = previous


@contextmanager
def deadline(seconds: float | None) -> Iterator[Budget]:
    """Every request made on this thread inside the block ends within ``seconds`` (answer read)."""
    with _using(Budget(seconds)) as budget:
        yield budget


class _Stream(httpcore.NetworkStream):
    """A network stream whose reads and writes end by the thread's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    @staticmethod
    def _bound(timeout: float | None, kind: type[Exception]) -> float | None:
        budget = _current()
        return timeout if budget is None else budget.bound(timeout, kind)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = self._bound(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's own backend, with every stream bound by the thread's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        budget = _current()
        if budget is not None:
            timeout = budget.bound(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _bounded_transport(
    ssl_context: ssl.SSLContext, limits: httpx.Limits, proxy: str | None
) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(verify=ssl_context, limits=limits, proxy=proxy, trust_env=False)
    # httpx builds its httpcore pool without a way to pass a network backend; the pool keeps it
    # in this attribute. tests/index/test_deadlines.py fails if that ever changes.
    pool = transport._pool
    pool._network_backend = _Backend(pool._network_backend)
    return transport


class _BoundedBody(httpx.SyncByteStream):
    """A streamed answer read under the deadline of the request that asked for it."""

    def __init__(self, inner: httpx.SyncByteStream, budget: Budget) -> None:
        self._inner, self._budget = inner, budget

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._inner)
        while True:
            with _using(self._budget):
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        self._inner.close()


class Transport(httpx.BaseTransport):
    """Direct or through the environment's proxy, never through one for loopback; deadlines.

    ``tls`` builds the TLS context, once, when a request first may need it (see the module
    docstring); ``tls_context()`` builds it at once, for a caller that wants its errors early.
    """

    def __init__(
        self,
        tls: Callable[[], ssl.SSLContext],
        limits: httpx.Limits,
        *,
        total: float,
    ) -> None:
        self._tls, self._limits, self._total = tls, limits, total
        self._context: ssl.SSLContext | None = None
        self._plain: httpx.HTTPTransport | None = None  # direct http: never does TLS
        self._direct: httpx.HTTPTransport | None = None  # direct https
        self._proxied: dict[str, httpx.HTTPTransport] = {}
        self._lock = threading.RLock()

    def tls_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._context is None:
                self._context = self._tls()
            return self._context

    def _for(self, url: httpx.URL) -> httpx.HTTPTransport:
        proxy = None if is_loopback(url.host) else environment_proxy(url.scheme, url.host)
        with self._lock:
            if proxy is not None:
                if proxy not in self._proxied:
                    self._proxied[proxy] = _bounded_transport(
                        self.tls_context(), self._limits, proxy
                    )
                return self._proxied[proxy]
            if url.scheme == "http":
                if self._plain is None:
                    # Verifies certificates against an empty store: TLS through it cannot succeed.
                    nothing_trusted = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    self._plain = _bounded_transport(nothing_trusted, self._limits, None)
                return self._plain
            if self._direct is None:
                self._direct = _bounded_transport(self.tls_context(), self._limits, None)
            return self._direct

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        budget = _current() or Budget(self._total)
        with _using(budget):
            response = self._for(request.url).handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_BoundedBody(response.stream, budget),
            extensions=response.extensions,
        )

    def close(self) -> None:
        for transport in (self._plain, self._direct, *self._proxied.values()):
            if transport is not None:
                transport.close()


def environment_proxy(scheme: str, host: str) -> str | None:
    """The proxy the environment names for ``scheme://host`` (``NO_PROXY`` honoured), or None."""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def is_loopback(host: str | None) -> bool:
    """True for ``localhost`` and loopback addresses: this machine, where plain http is safe."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
