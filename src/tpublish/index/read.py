"""What the index already holds: PyPI's JSON API, the simple API (JSON or HTML), a download.

Used to decide whether a file of the same name on the index is ours, by its sha256: before the
first byte of a release is sent, and whenever an upload's answer cannot be taken at its word
(``publish.preflight``). ``read_listing`` reads one listing per release on PyPI, per project
elsewhere: the files it lists (an empty listing where the index has no such project: every place
answered 404), or ``CannotTell`` when the index offers nothing to read (a listing refused, too big
or unreadable; a download refused). Never an error of the release: the caller decides what each
means.

Bounded like every request (``transport``), and in memory: an HTML listing is parsed as it
arrives (at most ``HTML_CAP`` bytes, ``MAX_LINKS`` files), a JSON listing is read up to
``JSON_CAP``, a download only as far as our own file's size. Credentials go only to the index's
own origin (scheme, host and port): a link elsewhere, or to plain http from an https index, is
followed without them. A dropped connection (a kept-alive one the server had closed) is asked
again.
"""

from __future__ import annotations

import codecs
import functools
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from packaging.utils import canonicalize_name

from tpublish.index.http import bounded_response, fetch, same_origin
from tpublish.index.multipart import Digests, new_hashers
from tpublish.index.transport import deadline
from tpublish.pypi import pypi_web_base

if TYPE_CHECKING:
    from tpublish.index.upload import BasicAuth

T = TypeVar("T")
_SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
JSON_CAP = 32 << 20  # bytes of a JSON listing read at most (PyPI's biggest are a few MB)
HTML_CAP = 64 << 20  # bytes of an HTML listing parsed at most
MAX_LINKS = 200_000  # files a listing may name (PyPI's largest projects have tens of thousands)
_DOWNLOAD_RATE = 128 * 1024  # bytes per second a download is given, above the answer's time


class CannotTell(Exception):
    """The index offers no way to tell whether it holds the file (``reason`` says why)."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status  # the HTTP status that refused, if any


@dataclass(frozen=True)
class RemoteFile:
    """A file the index already has."""

    filename: str
    sha256: str | None  # lower-case hex, as listed; None: listed without one
    url: str


@dataclass(frozen=True)
class Listing:
    """The files the index lists for a release (PyPI's JSON API) or a project (the simple API)."""

    files: dict[str, RemoteFile]
    url: str  # the page that was read
    exists: bool = True  # False: the index answered 404, it has no such release or project


def lists_releases(upload_url: str) -> bool:
    """True where one listing covers a release (PyPI's JSON API), False where it covers a project."""
    return pypi_web_base(upload_url) is not None


def read_listing(
    client: httpx.Client, upload_url: str, project: str, version: str, auth: BasicAuth | None
) -> Listing:
    """What the index lists for ``project`` (``version`` too, on PyPI); raises ``CannotTell``
    (saying why) where no listing can be read."""
    base = pypi_web_base(upload_url)
    if base is not None:
        url = f"{base}/pypi/{project}/{version}/json"
        return _again_if_dropped(functools.partial(_json_api_listing, client, url))
    candidates = _simple_candidates(upload_url, project)
    refusals = []
    for url in candidates:
        look = functools.partial(_simple_listing, client, upload_url, url, auth)
        try:
            return _again_if_dropped(look)
        except CannotTell as exc:
            refusals.append(exc)
    # "No such project" only when every place answered so; anything else: cannot tell.
    if {exc.status for exc in refusals} == {404}:
        return Listing({}, candidates[0], exists=False)
    raise CannotTell(
        "no listing of the project could be read ("
        + "; ".join(exc.reason for exc in refusals)
        + ")"
    )


def _again_if_dropped(look: Callable[[], T], tries: int = 3) -> T:
    """``look()``, again if the connection broke (a kept-alive one the server had closed)."""
    for _ in range(tries - 1):
        try:
            return look()
        except CannotTell as exc:
            if not isinstance(exc.__cause__, _DROPPED):
                raise
    return look()


def download_digests(
    client: httpx.Client, upload_url: str, remote: RemoteFile, auth: BasicAuth | None, size: int
) -> Digests:
    """Hash the index's copy of a file that the listing gave no sha256 for.

    At most ``size`` + 1 bytes are read: anything longer is not our file of ``size`` bytes, and its
    digests (of the part read) will say so. Raises ``CannotTell`` when the download fails.
    """
    return _again_if_dropped(functools.partial(_download, client, upload_url, remote, auth, size))


def _download(
    client: httpx.Client, upload_url: str, remote: RemoteFile, auth: BasicAuth | None, size: int
) -> Digests:
    sha256, blake2 = new_hashers()
    read = 0
    allowance = (client.timeout.read or 120.0) + size / _DOWNLOAD_RATE
    try:
        with (
            deadline(allowance),
            client.stream("GET", remote.url, auth=_for(auth, remote.url, upload_url)) as r,
        ):
            if r.status_code != 200:
                raise CannotTell(f"downloading {remote.url} was refused ({r.status_code})")
            for chunk in r.iter_bytes():
                chunk = chunk[: size + 1 - read]
                sha256.update(chunk)
                blake2.update(chunk)
                read += len(chunk)
                if read > size:
                    break
    except httpx.HTTPError as exc:
        raise CannotTell(f"downloading {remote.url} failed ({type(exc).__name__})") from exc
    return Digests(sha256.hexdigest(), blake2.hexdigest())


def _for(auth: BasicAuth | None, url: str, upload_url: str) -> BasicAuth | None:
    """Credentials go only to the index's own origin: never to another host, nor in clear."""
    return auth if same_origin(url, upload_url) else None


def _json_api_listing(client: httpx.Client, url: str) -> Listing:
    try:
        # No credential goes to the JSON API: it may follow PyPI's redirect from a name to the
        # project's own spelling.
        response = fetch(
            client,
            "GET",
            url,
            cap=JSON_CAP,
            headers={"Accept": "application/json"},
            auth=None,
            follow_redirects=True,
        )
    except httpx.HTTPError as exc:
        raise CannotTell(f"{url}: {type(exc).__name__}") from exc
    if response.status_code == 404:
        return Listing({}, url, exists=False)  # no such release: no such file
    if response.status_code != 200 or response.extensions.get("tpublish.truncated"):
        raise CannotTell(f"{url} answered {response.status_code}", response.status_code)
    try:
        entries = response.json().get("urls", [])
    except (ValueError, AttributeError, RecursionError) as exc:
        raise CannotTell(f"{url} is not the JSON API") from exc
    return Listing(_json_files(entries, "digests", url), url)


def _simple_listing(
    client: httpx.Client, upload_url: str, url: str, auth: BasicAuth | None
) -> Listing:
    accept = f"text/html, {_SIMPLE_JSON};q=0.9"
    try:
        with client.stream(
            "GET", url, headers={"Accept": accept}, auth=_for(auth, url, upload_url)
        ) as response:
            if response.status_code != 200:
                status = response.status_code
                raise CannotTell(f"{url} answered {status}", status)
            if response.headers.get("content-type", "").startswith(_SIMPLE_JSON):
                return Listing(_simple_json(bounded_response(response, JSON_CAP), url), url)
            return Listing(_simple_html(response, url), url)
    except httpx.HTTPError as exc:
        raise CannotTell(f"{url}: {type(exc).__name__}") from exc


# Failures after which nothing was read, so asking again is safe and may well work.
_DROPPED = (
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.ConnectError,
    httpx.ConnectTimeout,
)


def _simple_candidates(upload_url: str, project: str) -> list[str]:
    """Where an index that accepts uploads at ``upload_url`` probably serves its simple API.

    Warehouse and its likes (``…/legacy/``) serve it beside the upload URL, and nowhere else;
    other indexes under the upload path (pypiserver, Nexus, Artifactory), or ``+simple`` (devpi).
    """
    parts = urlsplit(upload_url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    if path.endswith("/legacy/"):
        prefixes = [path[: -len("legacy/")] + "simple/"]
    else:
        prefixes = [path + "simple/", path + "+simple/", "/simple/"]
    name = canonicalize_name(project)
    seen: list[str] = []
    for prefix in prefixes:
        url = urlunsplit((parts.scheme, parts.netloc, f"{prefix}{name}/", "", ""))
        if url not in seen:
            seen.append(url)
    return seen


def _simple_json(response: httpx.Response, page: str) -> dict[str, RemoteFile]:
    if response.extensions.get("tpublish.truncated"):
        raise CannotTell(f"{page} is larger than {JSON_CAP >> 20} MiB")
    try:
        files: Any = response.json().get("files", [])
    except (ValueError, AttributeError, RecursionError) as exc:
        raise CannotTell(f"{page} is not a simple API listing") from exc
    return _json_files(files, "hashes", page)


def _json_files(entries: object, digests_key: str, page: str) -> dict[str, RemoteFile]:
    """The files of a JSON listing by name: PyPI's ``urls`` (digests under ``digests``) or the
    simple API's ``files`` (under ``hashes``); a file without a ``url`` is at ``page``."""
    found: dict[str, RemoteFile] = {}
    for entry in entries[:MAX_LINKS] if isinstance(entries, list) else []:
        name = entry.get("filename") if isinstance(entry, dict) else None
        if isinstance(name, str):
            digests = entry.get(digests_key)
            sha = digests.get("sha256") if isinstance(digests, dict) else None
            link = entry.get("url")
            found[name] = RemoteFile(
                name,
                sha.lower() if isinstance(sha, str) else None,
                urljoin(page, link if isinstance(link, str) else ""),
            )
    return found


class _AnchorParser(HTMLParser):
    """The links of a PEP 503 page, fed a piece at a time; at most ``MAX_LINKS`` of them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.found: dict[str, RemoteFile] = {}
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None and len(self._text) < 64:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            href, label = self._href, "".join(self._text).strip()
            self._href = None
            url, _, fragment = href.partition("#")
            filename = label or url.rsplit("/", 1)[-1]
            algo, _, value = fragment.partition("=")
            sha = value.lower() if algo == "sha256" and value else None
            self.found.setdefault(filename, RemoteFile(filename, sha, urljoin(self.page, url)))
            if len(self.found) > MAX_LINKS:
                raise CannotTell(f"{self.page} lists more than {MAX_LINKS} files")


def _simple_html(response: httpx.Response, page: str) -> dict[str, RemoteFile]:
    parser = _AnchorParser(page)
    decoder = codecs.getincrementaldecoder(_charset(response))(errors="replace")
    read = 0
    for chunk in response.iter_bytes():
        read += len(chunk)
        if read > HTML_CAP:
            raise CannotTell(f"{page} is larger than {HTML_CAP >> 20} MiB")
        parser.feed(decoder.decode(chunk))
    parser.feed(decoder.decode(b"", final=True))
    parser.close()
    return parser.found


def _charset(response: httpx.Response) -> str:
    charset = response.charset_encoding or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        return "utf-8"
    return charset
