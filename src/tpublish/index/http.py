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
from pathlib import Path

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
    """Build the TLS context: ``--cert`` > ``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE`` > certifi.

    A file that cannot be loaded is named for what it is: the CA bundle or the client certificate.
    """
    ca_bundle = (
        tls.ca_bundle or os.environ.get("SSL_CERT_FILE") or os.environ.get("REQUESTS_CA_BUNDLE")
    )
    try:
        context = _trust(tls.system_store, ca_bundle)
    except ImportError as exc:
        raise InputError(
            "the OS trust store needs the 'truststore' package",
            hint="pip install truststore, or give a CA bundle with --cert",
        ) from exc
    except (OSError, ssl.SSLError) as exc:
        raise InputError(f"cannot load the CA bundle {ca_bundle}: {_reason(exc)}") from exc
    if tls.client_cert:
        try:
            # A passphrase callback, so that OpenSSL never stops to ask on the terminal.
            context.load_cert_chain(tls.client_cert, password=lambda: b"")
        except (OSError, ssl.SSLError) as exc:
            raise InputError(
                f"cannot load the client certificate {tls.client_cert}: "
                f"{_client_cert_problem(tls.client_cert, exc)}",
                hint="--client-cert takes one PEM file holding the certificate and its "
                "unencrypted private key",
            ) from exc
    return context


def _client_cert_problem(path: str, exc: OSError | ssl.SSLError) -> str:
    """What is wrong with the file, in words: OpenSSL says only "PEM lib" for all of these."""
    try:
        text = Path(path).expanduser().read_text(encoding="ascii", errors="replace")
    except OSError as error:
        return error.strerror or type(error).__name__
    if "-----BEGIN CERTIFICATE-----" not in text:
        return "no PEM certificate in it"
    if "PRIVATE KEY-----" not in text:
        return "no private key in it"
    if "ENCRYPTED" in text:
        return "its private key is encrypted (tpublish cannot ask for the passphrase)"
    return (
        f"the private key does not match the certificate, or the file is damaged ({_reason(exc)})"
    )


def _trust(system_store: bool, ca_bundle: str | None) -> ssl.SSLContext:
    if system_store:
        import truststore  # an optional extra: only when --native-tls asks for it

        context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if ca_bundle:  # the OS store, plus a private CA the user names
            context.load_verify_locations(cafile=ca_bundle)
        return context
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    import certifi  # its CA bundle: only when no other trust was named

    return ssl.create_default_context(cafile=certifi.where())


def _reason(exc: OSError | ssl.SSLError) -> str:
    """``[SSL] PEM lib (_ssl.c:3900)`` says little; the reason and errno text say more."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason:
        return reason.lower().replace("_", " ")
    return exc.strerror or str(exc)


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
