"""What the fake index renders: Pyramid-style error pages (protocol §7.4), the legacy upload info
page, the simple API (PEP 503 HTML / PEP 691 JSON) and the PyPI JSON API."""

from __future__ import annotations

import html
import json
import time
from typing import Any

from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion, Version

from .state import Project, StoredFile
from .wire import Response, json_response, latin1, phrase

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"

EXPLANATIONS = {
    308: "The resource has been moved to",
    400: "The server could not comply with the request since it is either malformed or otherwise incorrect.",
    401: "This server could not verify that you are authorized to access the document you requested.",
    403: "Access was denied to this resource.",
    404: "The resource could not be found.",
    405: "The method is not allowed for this resource.",
    406: "The resource could not be generated that was acceptable to your browser.",
    409: "There was a conflict when trying to complete your request.",
    410: "This resource is no longer available.  No forwarding address is given.",
    413: "The request is larger than the server is willing or able to process.",
    429: "The action could not be performed because there were too many requests by the client.",
    500: "The server has either erred or is incapable of performing the requested operation.",
    502: "Bad gateway.",
    503: "The server is currently unavailable. Please try again at a later time.",
    504: "The gateway has timed out.",
}


def _quality(accept: str, offer: str) -> float:
    """q of the most specific media range in ``accept`` that matches ``offer`` (0 if none)."""
    best_specificity, best_q = -1, 0.0
    kind = offer.split("/", 1)[0]
    for item in accept.split(","):
        media, *params = (piece.strip() for piece in item.split(";"))
        specificity = {offer: 2, f"{kind}/*": 1, "*/*": 0}.get(media.lower(), -1)
        if specificity <= best_specificity:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best_specificity, best_q = specificity, q
    return best_q


def negotiate(accept: str | None) -> str:
    """Pyramid's choice for error pages: text/html, then application/json, else text/plain."""
    if not accept:
        return "text/plain"
    scored = [
        (_quality(accept, offer), -index, offer)
        for index, offer in enumerate(("text/html", "application/json"))
    ]
    quality, _, offer = max(scored)
    return offer if quality > 0 else "text/plain"


def error_response(
    status: int,
    message: str | None,
    *,
    accept: str | None,
    reason_phrases: bool = True,
    explanation: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    """A Warehouse error: ``<status> <message>`` as status line and page title, the message in the body.

    With ``reason_phrases`` False the status line carries only the standard phrase (as over HTTP/2)."""
    status_text = f"{status} {latin1(message)}" if message else f"{status} {phrase(status)}"
    explanation = EXPLANATIONS.get(status, "") if explanation is None else explanation
    detail = message or ""
    chosen = negotiate(accept)
    if chosen == "text/html":
        body_html = f"{html.escape(explanation)}<br/><br/>\n{html.escape(detail)}\n\n"
        page = (
            f"<html>\n <head>\n  <title>{status_text}</title>\n </head>\n <body>\n"
            f"  <h1>{status_text}</h1>\n  {body_html}\n </body>\n</html>"
        )
        content_type = "text/html; charset=UTF-8"
    elif chosen == "application/json":
        body_text = f"{explanation}\n\n\n{detail}\n\n"
        page = json.dumps({"message": body_text, "code": status_text, "title": phrase(status)})
        content_type = "application/json"
    else:
        page = f"{status_text}\n\n{explanation}\n\n\n{detail}\n\n"
        content_type = "text/plain; charset=UTF-8"
    reason = latin1(message) if (message and reason_phrases) else None
    return Response(status, page.encode(), content_type, reason, headers or [])


def upload_info_page() -> Response:
    """What ``GET /legacy/`` (or a POST without a known ``:action``) shows: 200 and nothing uploaded."""
    page = (
        "<!DOCTYPE html>\n<html>\n<head><title>Upload endpoint</title></head>\n<body>\n"
        "<h1>Upload endpoint</h1>\n<p>This URL is meant to be used by upload tools such as twine "
        "(<code>:action=file_upload</code>). See https://packaging.python.org/tutorials/packaging-projects/ "
        "for how to upload distributions.</p>\n</body>\n</html>\n"
    )
    return Response(200, page.encode())


def _file_url(base_url: str, stored: StoredFile) -> str:
    return f"{base_url}/files/{stored.filename}"


def simple_index(base_url: str, projects: list[Project], accept: str | None) -> Response:
    if accept and SIMPLE_JSON in accept:
        payload = {"meta": {"api-version": "1.1"}, "projects": [{"name": p.name} for p in projects]}
        return Response(200, json.dumps(payload).encode(), SIMPLE_JSON)
    links = "".join(
        f'<a href="/simple/{p.normalized}/">{html.escape(p.name)}</a>\n' for p in projects
    )
    page = f"<!DOCTYPE html>\n<html>\n<head><title>Simple index</title></head>\n<body>\n{links}</body>\n</html>\n"
    return Response(200, page.encode())


def simple_project(
    base_url: str,
    project: Project,
    files: list[StoredFile],
    accept: str | None,
    *,
    digests: bool = True,
) -> Response:
    """PEP 691 JSON when asked for it, PEP 503 HTML otherwise (``digests`` False: no hashes)."""
    if accept and SIMPLE_JSON in accept:
        payload = {
            "meta": {"api-version": "1.1"},
            "name": project.normalized,
            "versions": sorted({release.version for release in project.releases.values()}),
            "files": [
                {
                    "filename": f.filename,
                    "url": _file_url(base_url, f),
                    "hashes": {"sha256": f.sha256} if digests else {},
                    "requires-python": f.requires_python,
                    "size": f.size,
                    "upload-time": time.strftime(
                        "%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(f.upload_time)
                    ),
                    "yanked": False,
                }
                for f in files
            ],
        }
        return Response(200, json.dumps(payload).encode(), SIMPLE_JSON)
    anchors = []
    for f in files:
        requires = (
            f' data-requires-python="{html.escape(f.requires_python)}"' if f.requires_python else ""
        )
        fragment = f"#sha256={f.sha256}" if digests else ""
        anchors.append(
            f'<a href="{_file_url(base_url, f)}{fragment}"{requires}>{f.filename}</a><br/>\n'
        )
    page = (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta name="pypi:repository-version" content="1.1">\n'
        f"<title>Links for {html.escape(project.name)}</title>\n</head>\n<body>\n"
        f"<h1>Links for {html.escape(project.name)}</h1>\n{''.join(anchors)}</body>\n</html>\n"
    )
    return Response(200, page.encode(), "text/html; charset=UTF-8")


def _url_entry(base_url: str, f: StoredFile, digests: bool = True) -> dict[str, Any]:
    return {
        "filename": f.filename,
        "url": _file_url(base_url, f),
        "digests": {"sha256": f.sha256, "blake2b_256": f.blake2_256, "md5": f.md5}
        if digests
        else {},
        "md5_digest": f.md5 if digests else None,
        "size": f.size,
        "packagetype": f.packagetype,
        "python_version": f.python_version,
        "requires_python": f.requires_python,
        "upload_time_iso_8601": time.strftime(
            "%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(f.upload_time)
        ),
        "yanked": False,
    }


def json_api(
    base_url: str,
    project: Project,
    files: dict[str, StoredFile],
    version: str | None,
    *,
    digests: bool = True,
) -> Response:
    """``/pypi/<name>/json`` (latest release) or ``/pypi/<name>/<version>/json``."""

    def _key(release_version: str) -> Version:
        try:
            return Version(release_version)
        except InvalidVersion:
            return Version("0")

    releases = project.releases
    if version is None:
        release = max(releases.values(), key=lambda r: _key(r.version), default=None)
    else:
        release = releases.get(canonicalize_version(version))
    if release is None:
        return json_response(404, {"message": "Not Found"})
    info = {
        "name": project.name,
        "version": release.version,
        "summary": release.summary,
        "requires_python": release.requires_python,
        "package_url": f"{base_url}/project/{project.normalized}/",
        "release_url": f"{base_url}/project/{project.normalized}/{release.version}/",
    }
    payload: dict[str, Any] = {
        "info": info,
        "urls": [_url_entry(base_url, files[name], digests) for name in release.files],
    }
    if version is None:
        payload["releases"] = {
            r.version: [_url_entry(base_url, files[name], digests) for name in r.files]
            for r in releases.values()
        }
    return json_response(200, payload)
