"""Send one file to the legacy upload API and turn the answer into a typed result or error.

Nothing here prints or retries: ``publish`` decides what to do with a ``RetryableError``. The
caller hands over a file, its form fields and the basic-auth pair; this module knows nothing of
distributions or of where the credential came from.

The body goes out bounded per write; from its last byte the answer has ``--timeout`` seconds in
all, and at most ``ANSWER_CAP`` bytes of it are read. A 2xx is taken at its word only when it
looks like an upload API's (``success_doubt``): a web page or a JSON error is reported as such,
for the release to confirm through the index's read API.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from tpublish.errors import CredentialError, InputError, NetworkError, UploadError
from tpublish.index.answers import (
    says_already_exists,
    says_identical,
    server_message,
    standard_phrase,
    success_doubt,
)
from tpublish.index.http import fetch
from tpublish.index.multipart import Digests, StreamingForm
from tpublish.index.retry import parse_retry_after
from tpublish.index.transport import deadline
from tpublish.pypi import is_pypi_url

BasicAuth = tuple[str, str]  # (username, password) as the index's HTTP basic auth wants them


class RetryableError(NetworkError):
    """A failure worth another try: a lost connection, a timeout, 5xx, or 429 (``retry_after``).

    ``body_sent``: the whole file went out, so the index may have stored it.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, body_sent: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.body_sent = body_sent


class RepositoryURLError(InputError):
    """The repository URL is not an upload endpoint (a redirect, the web site, a read-only index)."""


@dataclass(frozen=True)
class Sent:
    """The index answered the upload of one file."""

    stored: bool  # False: the index says a file of that name already exists
    digests: Digests | None  # what was sent, when the whole body went out
    message: str  # the server's words (for an "already exists" answer)
    doubt: str | None = None  # a 2xx that proves nothing: what it was (a web page, a JSON error)
    identical: bool = False  # the index itself says it holds these very bytes (devpi's 200)


def upload_file(
    client: httpx.Client,
    upload_url: str,
    path: Path,
    fields: Sequence[tuple[str, str]],
    auth: BasicAuth | None,
    *,
    on_chunk: Callable[[int], None] | None = None,
) -> Sent:
    """POST ``path`` once with ``fields`` (the file's own: type, metadata, comment, attestations).

    ``auth`` None sends no Authorization header (an anonymous upload, or a TLS client certificate
    as the only credential). A typed error for anything but success or "already exists".
    """

    protocol = [(":action", "file_upload"), ("protocol_version", "1")]
    netloc = urlsplit(upload_url).netloc
    answer_time = client.timeout.read or 120.0
    # No overall limit while the body goes out (each write is bounded); then one for the answer.
    with deadline(None) as budget:
        form = StreamingForm(
            path,
            [*protocol, *fields],
            on_chunk=on_chunk,
            on_sent=lambda: budget.restart(answer_time),
        )
        headers = {
            "Content-Type": form.content_type,
            "Content-Length": str(form.content_length),
            "Accept": "application/json, text/plain;q=0.9, text/html;q=0.8, */*;q=0.1",
        }
        try:
            response = fetch(
                client,
                "POST",
                upload_url,
                content=iter(form),
                headers=headers,
                # No pair: no Authorization header (the client itself never has one).
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException as exc:
            raise RetryableError(
                f"the index did not answer in time ({type(exc).__name__})",
                body_sent=form.complete,
            ) from exc
        except httpx.TransportError as exc:
            tls_error = tls_failure(exc, netloc)
            if tls_error is not None:  # a trust or certificate problem: retrying cannot help
                raise tls_error from exc
            raise RetryableError(
                f"connection to {netloc} failed: {_transport_reason(exc)}",
                body_sent=form.complete,
            ) from exc
    return interpret(response, upload_url, form.digests)


def interpret(response: httpx.Response, upload_url: str, digests: Digests | None) -> Sent:
    """What the index's answer to an upload means."""
    status = response.status_code
    if says_identical(response):  # devpi: 200, but the file was there already
        return Sent(stored=False, digests=digests, message=server_message(response), identical=True)
    if 200 <= status < 300:
        return Sent(stored=True, digests=digests, message="", doubt=success_doubt(response))
    if 300 <= status < 400:
        raise _redirect_error(response, upload_url)
    message = server_message(response)
    if says_already_exists(response):
        return Sent(stored=False, digests=digests, message=message)
    if status == 429 or status >= 500:
        raise RetryableError(
            f"{status}: {message}",
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            body_sent=digests is not None,
        )
    if status == 413:
        phrase = standard_phrase(413)
        said = () if message.lower() in ("", phrase.lower()) else (f"the index said: {message}",)
        raise UploadError(
            f"413 {phrase}: the index or a proxy in front of it refuses a file this big",
            hint="raise the limit of the proxy (nginx: client_max_body_size) or of the index",
            details=said,
        )
    if status in (401, 403):
        raise CredentialError(
            f"the index refused the credentials ({status}): {message}",
            hint="check the token or password, and that it may upload to this project",
        )
    if status == 405 and is_pypi_url(upload_url):
        raise RepositoryURLError(
            f"{upload_url} does not accept uploads (405)",
            hint="the upload URL is https://upload.pypi.org/legacy/ (or https://test.pypi.org/legacy/)",
        )
    if status == 410:
        raise RepositoryURLError(f"{upload_url} no longer accepts uploads (410): {message}")
    raise UploadError(f"the index refused the file ({status}): {message}")


def _redirect_error(response: httpx.Response, upload_url: str) -> RepositoryURLError:
    location = urljoin(upload_url, response.headers.get("location", ""))
    if location.rstrip("/") == upload_url.rstrip("/") and location.endswith("/"):
        return RepositoryURLError(
            f"the index redirects {upload_url} to {location}; uploads are never redirected",
            hint=f"the repository URL is missing its trailing slash: use {location}",
        )
    return RepositoryURLError(
        f"the index redirects {upload_url} to {location}; uploads are never redirected",
        hint="if you trust the new address, give it with --repository-url",
    )


def tls_failure(exc: BaseException, netloc: str) -> NetworkError | None:
    """A ``NetworkError`` (not retried) when ``exc`` is a TLS trust or handshake refusal, else None."""

    cause: BaseException | None = exc
    for _ in range(10):  # httpx -> httpcore -> ssl
        if cause is None:
            return None
        if isinstance(cause, ssl.SSLCertVerificationError):
            return NetworkError(
                f"TLS certificate verification failed for {netloc}: "
                f"{cause.verify_message or cause.reason}",
                hint="if the index uses a private CA, give its bundle with --cert "
                "(or SSL_CERT_FILE / REQUESTS_CA_BUNDLE)",
            )
        reason = getattr(cause, "reason", None) or ""
        # A TLS alert from the server (a missing or untrusted client certificate is reported as
        # a certificate alert, or under TLS 1.2 as a plain handshake failure) will not go away
        # on a retry.
        if isinstance(cause, ssl.SSLError) and any(
            word in reason for word in ("CERTIFICATE", "UNKNOWN_CA", "HANDSHAKE_FAILURE")
        ):
            return NetworkError(
                f"{netloc} refused the TLS connection: {reason.lower().replace('_', ' ')}",
                hint="the index wants a TLS client certificate it trusts: give it with --client-cert",
            )
        cause = cause.__cause__ or cause.__context__
    return None


def _transport_reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]
