"""The one HTTP client factory: user agent, timeouts, TLS and no automatic redirects.

Everything that talks to an index or a CI provider over HTTP gets its client here, so a test can
point all of it at a local server (``transport``) and a user can point all of it at a private CA.
"""

from __future__ import annotations

import ipaddress
import os
import platform
import ssl
from dataclasses import dataclass

import httpx

from tpublish import __version__
from tpublish.errors import InputError

USER_AGENT = (
    f"tpublish/{__version__} ({platform.system().lower() or 'unknown'}; "
    f"python/{platform.python_version()})"
)


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait: to connect, and between two reads or writes of a transfer."""

    connect: float = 10.0
    transfer: float = 120.0


@dataclass(frozen=True)
class TLSConfig:
    """Where trust comes from: a CA bundle (``--cert``), the OS store, and a client certificate."""

    ca_bundle: str | None = None
    client_cert: str | None = None
    system_store: bool = False


def ssl_context(tls: TLSConfig) -> ssl.SSLContext:
    """Build the TLS context: ``--cert`` > ``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE`` > certifi."""
    ca_bundle = (
        tls.ca_bundle or os.environ.get("SSL_CERT_FILE") or os.environ.get("REQUESTS_CA_BUNDLE")
    )
    try:
        if tls.system_store:
            import truststore  # an optional extra: only when --native-tls asks for it

            context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            if ca_bundle:  # the OS store, plus a private CA the user names
                context.load_verify_locations(cafile=ca_bundle)
        elif ca_bundle:
            context = ssl.create_default_context(cafile=ca_bundle)
        else:
            import certifi  # its CA bundle: only when no other trust was named

            context = ssl.create_default_context(cafile=certifi.where())
        if tls.client_cert:
            context.load_cert_chain(tls.client_cert)
    except ImportError as exc:
        raise InputError(
            "the OS trust store needs the 'truststore' package",
            hint="pip install truststore, or give a CA bundle with --cert",
        ) from exc
    except (OSError, ssl.SSLError) as exc:
        bad = tls.client_cert if tls.client_cert and ca_bundle is None else ca_bundle
        raise InputError(f"cannot load certificate file {bad}: {exc}") from exc
    return context


def make_client(
    *,
    tls: TLSConfig | None = None,
    timeouts: Timeouts | None = None,
    transport: httpx.BaseTransport | None = None,
    max_connections: int = 8,
) -> httpx.Client:
    """An ``httpx.Client`` that never follows redirects and keeps connections alive."""
    timeouts = timeouts or Timeouts()
    return httpx.Client(
        headers={"User-Agent": USER_AGENT},
        timeout=httpx.Timeout(timeouts.transfer, connect=timeouts.connect),
        verify=ssl_context(tls or TLSConfig()),
        follow_redirects=False,
        transport=transport,
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        trust_env=True,
    )


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
