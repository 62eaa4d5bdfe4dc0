"""The one HTTP client factory: user agent, timeouts, TLS, no automatic redirects, bounded answers.

Everything that talks to an index or a CI provider over HTTP gets its client here, so a test can
point all of it at a local server (``transport``) and a user can point all of it at a private CA.
Every request has an overall deadline (``transport``), every answer is read up to a cap
(``fetch``), and whether credentials may go to a URL in clear text is decided in one place
(``credentials_in_clear``).
"""

from __future__ import annotations

import os
import platform
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tpublish import __version__
from tpublish.errors import InputError
from tpublish.index.transport import Transport

# Exported from here too: the clear-text rule below is stated in its terms (and callers use both).
from tpublish.index.transport import is_loopback as is_loopback

USER_AGENT = (
    f"tpublish/{__version__} ({platform.system().lower() or 'unknown'}; "
    f"python/{platform.python_version()})"
)


# Most bytes of an answer tpublish reads (an upload's answer, an OIDC endpoint's JSON, an error
# page): more says nothing more, and a hostile index must not make us hold hundreds of megabytes.
ANSWER_CAP = 1 << 20


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait: to connect; between two reads or writes; for a whole request's answer."""

    connect: float = 10.0
    transfer: float = 120.0
    total: float | None = None  # None: ``transfer``, as a limit on the whole request

    @property
    def overall(self) -> float:
        return self.transfer if self.total is None else self.total


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
    tls_now: bool = True,
) -> httpx.Client:
    """An ``httpx.Client`` that never follows redirects, keeps connections alive and gives every
    request an overall deadline; proxies from the environment, but never for a loopback host.

    The TLS context is built here (so a CA bundle or client certificate that cannot be loaded is
    an ``InputError`` now), or with ``tls_now=False`` when a request first needs TLS: a client
    whose requests may all be plain http to this machine then never loads a CA bundle.
    """
    timeouts = timeouts or Timeouts()
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    if transport is None:
        config = tls or TLSConfig()
        ours = Transport(lambda: ssl_context(config), limits, total=timeouts.overall)
        if tls_now:
            ours.tls_context()
        transport = ours
    return httpx.Client(
        headers={"User-Agent": USER_AGENT},
        timeout=httpx.Timeout(timeouts.transfer, connect=timeouts.connect),
        follow_redirects=False,
        transport=transport,
        # Our transport applies the environment's proxies itself (and CA settings are in the
        # context above): httpx's own would send loopback requests to a proxy.
        trust_env=False,
    )


def read_capped(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    """Up to ``cap`` bytes of a streamed answer, and whether there was more (then left unread)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            return b"".join(chunks)[:cap], True
    return b"".join(chunks), False


def bounded_response(streamed: httpx.Response, cap: int) -> httpx.Response:
    """A streamed answer as a complete ``httpx.Response`` holding at most ``cap`` bytes of body.

    ``extensions["tpublish.truncated"]`` says whether the index sent more (left unread).
    """
    body, truncated = read_capped(streamed, cap)
    # The body is decoded already: drop the encoding, so the new response does not decode again.
    headers = [(k, v) for k, v in streamed.headers.raw if k.lower() != b"content-encoding"]
    return httpx.Response(
        streamed.status_code,
        headers=headers,
        content=body,
        request=streamed.request,
        extensions={**streamed.extensions, "tpublish.truncated": truncated},
    )


def fetch(
    client: httpx.Client, method: str, url: str, *, cap: int = ANSWER_CAP, **kwargs: Any
) -> httpx.Response:
    """``client.request`` with the answer's body read up to ``cap`` bytes (the rest never read)."""
    with client.stream(method, url, **kwargs) as streamed:
        return bounded_response(streamed, cap)


def credentials_in_clear(url: str) -> bool:
    """Whether credentials sent to ``url`` would cross a network in clear text.

    Plain http is accepted only to this machine (``is_loopback``; such requests never go through
    a proxy, see ``transport``), or where the user says so (``--allow-http``, decided by the
    command line on top of this rule).
    """
    parts = urlsplit(url)
    return parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(parts.hostname))


def same_origin(url: str, other: str) -> bool:
    """Same scheme, host and port: where credentials meant for ``other`` may also go."""
    a, b = urlsplit(url), urlsplit(other)
    try:
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
    except ValueError:  # a port that is not a number
        return False
