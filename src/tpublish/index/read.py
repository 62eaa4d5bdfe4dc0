"""What the index already holds: PyPI's JSON API, the simple API (JSON or HTML), a download.

Used to decide whether a file of the same name on the index is ours, by its sha256: before the
first byte of a release is sent (one listing per release on PyPI, per project elsewhere), and
after an "already exists" answer. Every failure here means "cannot tell" (``None``), never an
error: the upload's own answer still decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from packaging.utils import canonicalize_name

from tpublish.index.multipart import Digests, new_hashers

if TYPE_CHECKING:
    import httpx

    from tpublish.index.upload import BasicAuth

_SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
_PYPI_HOSTS = {"upload.pypi.org": "https://pypi.org", "test.pypi.org": "https://test.pypi.org"}


@dataclass(frozen=True)
class RemoteFile:
    """A file the index already has."""

    filename: str
    sha256: str | None
    url: str


@dataclass(frozen=True)
class Listing:
    """The files the index lists for a release (PyPI's JSON API) or a project (the simple API)."""

    files: dict[str, RemoteFile]
    url: str  # the page that was read
    exists: bool = True  # False: the index answered 404, it has no such release or project


def pypi_web_base(upload_url: str) -> str | None:
    """``https://pypi.org`` or ``https://test.pypi.org`` for their upload URLs, else None."""
    parts = urlsplit(upload_url)
    return _PYPI_HOSTS.get(parts.hostname or "") if parts.scheme == "https" else None


def lists_releases(upload_url: str) -> bool:
    """True where one listing covers a release (PyPI's JSON API), False where it covers a project."""
    return pypi_web_base(upload_url) is not None


def list_files(
    client: httpx.Client,
    upload_url: str,
    project: str,
    version: str,
    auth: BasicAuth | None,
) -> Listing | None:
    """What the index lists for ``project`` (``version`` too, on PyPI); None: it cannot be read."""
    base = pypi_web_base(upload_url)
    if base is not None:
        return _json_api_listing(client, upload_url, f"{base}/pypi/{project}/{version}/json")
    candidates = _simple_candidates(upload_url, project)
    statuses = []
    for url in candidates:
        status, listing = _simple_listing(client, upload_url, url, auth)
        if listing is not None:
            return listing
        statuses.append(status)
    # "No such project" only when every place answered so; anything else: cannot tell.
    return Listing({}, candidates[0], exists=False) if set(statuses) == {404} else None


def find_file(
    client: httpx.Client,
    upload_url: str,
    project: str,
    version: str,
    filename: str,
    auth: BasicAuth | None,
) -> RemoteFile | None:
    """The index's file named ``filename`` of ``project``, or None where the index shows none."""
    listing = list_files(client, upload_url, project, version, auth)
    return listing.files.get(filename) if listing is not None else None


def download_digests(
    client: httpx.Client, upload_url: str, remote: RemoteFile, auth: BasicAuth | None
) -> Digests | None:
    """Hash the index's copy of a file that the listing gave no sha256 for."""

    sha256, blake2 = new_hashers()
    try:
        with client.stream("GET", remote.url, auth=_same_host(auth, remote.url, upload_url)) as r:
            if r.status_code != 200:
                return None
            for chunk in r.iter_bytes():
                sha256.update(chunk)
                blake2.update(chunk)
    except httpx.HTTPError:
        return None
    return Digests(sha256.hexdigest(), blake2.hexdigest())


def _same_host(auth: BasicAuth | None, url: str, upload_url: str) -> BasicAuth | None:
    """Credentials go only to the index's own host."""
    return auth if urlsplit(url).netloc == urlsplit(upload_url).netloc else None


def _json_api_listing(client: httpx.Client, upload_url: str, url: str) -> Listing | None:
    response = _get(client, upload_url, url, None, accept="application/json")
    if response is None:
        return None
    if response.status_code == 404:
        return Listing({}, url, exists=False)
    if response.status_code != 200:
        return None
    try:
        entries = response.json().get("urls", [])
    except (ValueError, AttributeError):
        return None
    found: dict[str, RemoteFile] = {}
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("filename"), str):
            sha = (entry.get("digests") or {}).get("sha256")
            name = entry["filename"]
            found[name] = RemoteFile(name, sha, entry.get("url", url))
    return Listing(found, url)


def _simple_listing(
    client: httpx.Client, upload_url: str, url: str, auth: BasicAuth | None
) -> tuple[int | None, Listing | None]:
    """The status of the answer, and the listing when it was a readable page."""
    response = _get(client, upload_url, url, auth, accept=f"{_SIMPLE_JSON}, text/html;q=0.5")
    if response is None or response.status_code != 200:
        return (response.status_code if response is not None else None), None
    if response.headers.get("content-type", "").startswith(_SIMPLE_JSON):
        files = _parse_simple_json(response, url)
    else:
        files = _parse_simple_html(response.text, url)
    return 200, (Listing(files, url) if files is not None else None)


def _get(
    client: httpx.Client, upload_url: str, url: str, auth: BasicAuth | None, *, accept: str
) -> httpx.Response | None:

    try:
        return client.get(url, headers={"Accept": accept}, auth=_same_host(auth, url, upload_url))
    except httpx.HTTPError:
        return None


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
