"""Talk to the index: upload one file, and find out whether (and with which digest) a file is there.

Responses become typed results or typed errors here; nothing in this module prints or retries
(``publish`` decides what to do with a retryable error).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

from tpublish.errors import CredentialError, InputError, NetworkError, UploadError
from tpublish.index.multipart import Digests, StreamingForm
from tpublish.index.answers import says_already_exists, server_message

if TYPE_CHECKING:
    import httpx

    from tpublish.auth.credentials import Credential
    from tpublish.dists.distribution import Distribution

_SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
_PYPI_HOSTS = {"upload.pypi.org": "https://pypi.org", "test.pypi.org": "https://test.pypi.org"}


class RetryableError(NetworkError):
    """A failure worth another try: a lost connection, a timeout, 5xx, or 429 (``retry_after``)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RepositoryURLError(InputError):
    """The repository URL is not an upload endpoint (a redirect, the web site, a read-only index)."""


@dataclass(frozen=True)
class Sent:
    """The index answered the upload of one file."""

    stored: bool  # False: the index says a file of that name already exists
    digests: Digests | None  # what was sent, when the whole body went out
    message: str  # the server's words (for an "already exists" answer)


@dataclass(frozen=True)
class RemoteFile:
    """A file the index already has."""

    filename: str
    sha256: str | None
    url: str


def pypi_web_base(upload_url: str) -> str | None:
    """``https://pypi.org`` or ``https://test.pypi.org`` for their upload URLs, else None."""
    parts = urlsplit(upload_url)
    return _PYPI_HOSTS.get(parts.hostname or "") if parts.scheme == "https" else None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, when.timestamp() - time.time()) if when else None


class Index:
    """One index, reached through ``client`` at the legacy upload URL ``upload_url``."""

    def __init__(self, client: httpx.Client, upload_url: str) -> None:
        self.client = client
        self.upload_url = upload_url

    def upload(
        self,
        dist: Distribution,
        credential: Credential,
        *,
        extra_fields: Sequence[tuple[str, str]] = (),
        on_chunk: Callable[[int], None] | None = None,
    ) -> Sent:
        """POST ``dist`` once. Raises a typed error for anything but success or "already exists"."""
        import httpx

        fields = [
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("filetype", dist.filetype),
            ("pyversion", dist.pyversion),
            *dist.fields,
            *extra_fields,
        ]
        form = StreamingForm(dist.path, fields, on_chunk=on_chunk)
        headers = {
            "Content-Type": form.content_type,
            "Content-Length": str(form.content_length),
            "Accept": "application/json, text/plain;q=0.9, text/html;q=0.8, */*;q=0.1",
        }
        try:
            response = self.client.post(
                self.upload_url,
                content=iter(form),
                headers=headers,
                auth=(credential.username, credential.password),
            )
        except httpx.TimeoutException as exc:
            raise RetryableError(
                f"the index did not answer in time ({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            tls_error = _tls_failure(exc, self._netloc)
            if tls_error is not None:  # a trust or certificate problem: retrying cannot help
                raise tls_error from exc
            raise RetryableError(
                f"connection to {self._netloc} failed: {_transport_reason(exc)}"
            ) from exc
        return self._interpret(response, form.digests)

    @property
    def _netloc(self) -> str:
        return urlsplit(self.upload_url).netloc

    def _interpret(self, response: httpx.Response, digests: Digests | None) -> Sent:
        status = response.status_code
        if 200 <= status < 300:
            return Sent(stored=True, digests=digests, message="")
        if 300 <= status < 400:
            raise self._redirect_error(response)
        message = server_message(response)
        if says_already_exists(response):
            return Sent(stored=False, digests=digests, message=message)
        if status == 429 or status >= 500:
            raise RetryableError(f"{status}: {message}", retry_after=_retry_after(response))
        if status in (401, 403):
            raise CredentialError(
                f"the index refused the credentials ({status}): {message}",
                hint="check the token or password, and that it may upload to this project",
            )
        if status == 405 and (urlsplit(self.upload_url).hostname or "").endswith("pypi.org"):
            raise RepositoryURLError(
                f"{self.upload_url} does not accept uploads (405)",
                hint="the upload URL is https://upload.pypi.org/legacy/ (or https://test.pypi.org/legacy/)",
            )
        if status == 410:
            raise RepositoryURLError(
                f"{self.upload_url} no longer accepts uploads (410): {message}"
            )
        raise UploadError(f"the index refused the file ({status}): {message}")

    def _redirect_error(self, response: httpx.Response) -> RepositoryURLError:
        location = urljoin(self.upload_url, response.headers.get("location", ""))
        if location.rstrip("/") == self.upload_url.rstrip("/") and location.endswith("/"):
            return RepositoryURLError(
                f"the index redirects {self.upload_url} to {location}; uploads are never redirected",
                hint=f"the repository URL is missing its trailing slash: use {location}",
            )
        return RepositoryURLError(
            f"the index redirects {self.upload_url} to {location}; uploads are never redirected",
            hint="if you trust the new address, give it with --repository-url",
        )

    def find(self, dist: Distribution, credential: Credential | None) -> RemoteFile | None:
        """The index's copy of ``dist`` (by filename), or None where the index shows none."""
        base = pypi_web_base(self.upload_url)
        if base is not None:
            return self._find_in_json_api(base, dist)
        auth = (credential.username, credential.password) if credential else None
        for url in _simple_candidates(self.upload_url, dist.name):
            listing = self._simple_listing(url, auth)
            if listing is not None:
                return listing.get(dist.filename)
        return None

    def _find_in_json_api(self, base: str, dist: Distribution) -> RemoteFile | None:
        url = f"{base}/pypi/{dist.name}/{dist.version}/json"
        response = self._get(url, None, accept="application/json")
        if response is None or response.status_code != 200:
            return None
        try:
            entries = response.json().get("urls", [])
        except ValueError:
            return None
        for entry in entries:
            if isinstance(entry, dict) and entry.get("filename") == dist.filename:
                sha = (entry.get("digests") or {}).get("sha256")
                return RemoteFile(dist.filename, sha, entry.get("url", url))
        return None

    def _simple_listing(
        self, url: str, auth: tuple[str, str] | None
    ) -> dict[str, RemoteFile] | None:
        response = self._get(url, auth, accept=f"{_SIMPLE_JSON}, text/html;q=0.5")
        if response is None or response.status_code != 200:
            return None
        if response.headers.get("content-type", "").startswith(_SIMPLE_JSON):
            return _parse_simple_json(response, url)
        return _parse_simple_html(response.text, url)

    def _get(self, url: str, auth: tuple[str, str] | None, *, accept: str) -> httpx.Response | None:
        import httpx

        same_host = urlsplit(url).netloc == self._netloc
        try:
            return self.client.get(
                url, headers={"Accept": accept}, auth=auth if same_host else None
            )
        except httpx.HTTPError:
            return None

    def download_digests(self, remote: RemoteFile, credential: Credential | None) -> Digests | None:
        """Hash the index's copy of a file that the listing gave no sha256 for."""
        import httpx

        from tpublish.index.multipart import new_hashers

        same_host = urlsplit(remote.url).netloc == self._netloc
        auth = (credential.username, credential.password) if credential and same_host else None
        sha256, blake2 = new_hashers()
        try:
            with self.client.stream("GET", remote.url, auth=auth) as response:
                if response.status_code != 200:
                    return None
                for chunk in response.iter_bytes():
                    sha256.update(chunk)
                    blake2.update(chunk)
        except httpx.HTTPError:
            return None
        return Digests(sha256.hexdigest(), blake2.hexdigest())


def _tls_failure(exc: BaseException, netloc: str) -> NetworkError | None:
    """A ``NetworkError`` (not retried) when ``exc`` is a TLS trust or handshake refusal, else None."""
    import ssl

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


def _simple_candidates(upload_url: str, project: str) -> list[str]:
    """Where an index that accepts uploads at ``upload_url`` probably serves its simple API."""
    from packaging.utils import canonicalize_name

    parts = urlsplit(upload_url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    prefixes = []
    if path.endswith("/legacy/"):
        prefixes.append(path[: -len("legacy/")] + "simple/")  # Warehouse-like
    prefixes += [path + "simple/", path + "+simple/", "/simple/"]  # pypiserver, devpi, root
    name = canonicalize_name(project)
    seen: list[str] = []
    for prefix in prefixes:
        url = urlunsplit((parts.scheme, parts.netloc, f"{prefix}{name}/", "", ""))
        if url not in seen:
            seen.append(url)
    return seen


def _parse_simple_json(response: httpx.Response, page: str) -> dict[str, RemoteFile] | None:
    try:
        files = response.json().get("files", [])
    except (ValueError, AttributeError):
        return None
    found: dict[str, RemoteFile] = {}
    for entry in files:
        if isinstance(entry, dict) and isinstance(entry.get("filename"), str):
            sha = (entry.get("hashes") or {}).get("sha256")
            found[entry["filename"]] = RemoteFile(
                entry["filename"], sha, urljoin(page, entry.get("url", ""))
            )
    return found


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def _parse_simple_html(text: str, page: str) -> dict[str, RemoteFile]:
    parser = _AnchorParser()
    parser.feed(text)
    found: dict[str, RemoteFile] = {}
    for href, label in parser.links:
        url, _, fragment = href.partition("#")
        filename = label or url.rsplit("/", 1)[-1]
        algo, _, value = fragment.partition("=")
        found[filename] = RemoteFile(
            filename, value.lower() if algo == "sha256" and value else None, urljoin(page, url)
        )
    return found
