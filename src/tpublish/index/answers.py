"""Turn an index's HTTP response into the sentence a user should read.

Warehouse puts its error text in the reason phrase *and* the body; HTTP/2 drops the reason phrase,
pypiserver and devpi put theirs in HTML or JSON bodies. We prefer a non-standard reason phrase,
then a JSON ``message``/``detail``, then the text of an HTML page, then the first lines of text.
A proxy's own page (nginx's "413 Request Entity Too Large" and its signature) says only its status.

Everything here is outside text: it is masked (``redact``), then neutralised (``untrusted``), then
shortened, in that order (``redact.excerpt``). ``success_doubt`` tells an upload API's 2xx (Warehouse, pypiserver and
devpi answer with an empty body, or devpi with its own JSON) from a 2xx that proves nothing: a web
page (a proxy, a captive portal, a URL that is not the upload API) or a JSON error.
"""

from __future__ import annotations

import html
import json
import re
from http import HTTPStatus
from typing import TYPE_CHECKING

from tpublish.redact import excerpt, redact

if TYPE_CHECKING:
    import httpx

MAX_MESSAGE = 400
_SCANNED = 1 << 16  # characters of an answer searched for its message
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_BLOCK = re.compile(r"(?is)<(script|style|head)\b.*?</\1>")
_HEADING = re.compile(r"(?is)<h1\b[^>]*>(.*?)</h1>")
_TITLE = re.compile(r"(?is)<title\b[^>]*>(.*?)</title>")
# What a proxy or web server adds under its status heading: its name, maybe a version.
_SIGNATURE = re.compile(
    r"(?i)^(?:nginx|openresty|tengine|apache|cloudflare|varnish|envoy|caddy|haproxy|squid|awselb"
    r"|microsoft-iis|litespeed|gunicorn|werkzeug|cloudfront)(?:/[\w.-]+)?(?:\s*\([^)]*\))?$"
)
_ERROR_STATES = frozenset({"error", "fail", "failed", "failure"})
# Pyramid's generic explanations (webob's ``explanation``) add nothing to the server's own message.
_BOILERPLATE = (
    "The server could not comply with the request since it is either malformed or otherwise incorrect.",
    "Access was denied to this resource.",
    "There was a conflict when trying to complete your request.",
    "This resource is no longer available. No forwarding address is given.",
    "The request is larger than the server is willing or able to process.",
    "The action could not be performed because there were too many requests by the client.",
    "The server has either erred or is incapable of performing the requested operation.",
    "The server is currently unavailable. Please try again at a later time.",
)


def _standard_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _without_boilerplate(text: str) -> str:
    """``text`` without Pyramid's generic explanations, unless nothing else would be left."""
    text = _squash(text)
    stripped = text
    for sentence in _BOILERPLATE:
        stripped = stripped.replace(sentence, " ")
    stripped = _squash(stripped)
    return stripped or text


def _after_status(heading: str, status: int) -> str:
    """The message in a "<status> <message>" heading; "" when it holds only the standard phrase."""
    match = re.match(rf"(?i)^(?:error:?\s*)?{status}\b[\s:-]*(.*)$", _squash(heading))
    if match is None:
        return heading
    rest = match.group(1).strip()
    return "" if rest.lower() == _standard_phrase(status).lower() else rest


def _page(heading: str, rest: str, status: int) -> str:
    """Pyramid's pages say "<status> <message>", the explanation, then the message again: once is enough."""
    heading, rest = _squash(heading), _without_boilerplate(rest)
    if _SIGNATURE.match(rest):
        rest = ""
    title = _after_status(heading, status)
    if rest and (not title or title in rest):
        return rest
    return f"{heading} {rest}".strip()


def _from_json(text: str, status: int) -> str | None:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    code = data.get("code")  # Pyramid: "<status> <message>"
    heading = code if isinstance(code, str) else ""
    for key in ("message", "detail", "error", "title"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return _page(heading, value, status)
    return _after_status(heading, status) or None


def _from_html(text: str, status: int) -> str:
    body = _BLOCK.sub(" ", text)
    heading = _HEADING.search(body)
    if heading is None:
        return html.unescape(_TAG.sub(" ", body))
    rest = body[: heading.start()] + " " + body[heading.end() :]
    return _page(
        html.unescape(_TAG.sub(" ", heading.group(1))),
        html.unescape(_TAG.sub(" ", rest)),
        status,
    )


def _from_text(text: str, status: int) -> str:
    first, _, rest = text.strip().partition("\n")
    return _page(first, rest, status)


def _tidy(text: str, status: int) -> str:
    text = _squash(text)
    # "400 Bad Request 400 Bad Request ..." title and heading repeat the status line.
    prefix = f"{status} {_standard_phrase(status)}".strip()
    while prefix and text.startswith(prefix):
        text = text[len(prefix) :].strip(" :-")
    return excerpt(text, MAX_MESSAGE)


def server_message(response: httpx.Response) -> str:
    """The server's own explanation of ``response``, one line, secrets masked."""
    status = response.status_code
    # Masked before anything else: squashing spaces or cutting could hide a secret from redact.
    phrase = redact(response.reason_phrase or "").strip()
    if phrase and phrase.lower() != _standard_phrase(status).lower():
        return _tidy(phrase, status)
    try:
        # Masked whole, then cut: an error page is small, and regexes stay cheap on a hostile one.
        text = redact(response.text)[:_SCANNED]
    except (UnicodeDecodeError, LookupError):
        text = ""
    content_type = response.headers.get("content-type", "")
    is_json = "json" in content_type or text.lstrip().startswith("{")
    found = _from_json(text, status) if is_json else None
    if found is None:
        found = _from_html(text, status) if "<" in text else _from_text(text, status)
    message = _tidy(found, status)
    return message or _tidy(phrase or _standard_phrase(status) or "no explanation given", status)


def standard_phrase(status: int) -> str:
    """The status line's usual words for ``status`` ("" for a code without one)."""
    return "Request Entity Too Large" if status == 413 else _standard_phrase(status)


def _json_error(data: object) -> str | None:
    """The error a JSON answer reports ("" when it names none), or None when it reports none."""
    if not isinstance(data, dict):
        return None
    code = data.get("code")
    failed = (
        bool(data.get("error"))
        or bool(data.get("errors"))
        or data.get("success") is False
        or str(data.get("status", "")).lower() in _ERROR_STATES
        or (isinstance(code, int) and not isinstance(code, bool) and code >= 400)
        or (isinstance(code, str) and re.match(r"^[45]\d\d\b", code.strip()) is not None)
    )
    if not failed:
        return None
    for key in ("message", "detail", "error", "title", "code"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def success_doubt(response: httpx.Response) -> str | None:
    """Why a 2xx answer to an upload does not prove the file was stored; None when it does."""
    if response.extensions.get("tpublish.truncated"):
        return "an answer far larger than an upload API's"
    try:
        text = redact(response.text)[:_SCANNED].strip()
    except (UnicodeDecodeError, LookupError):
        return "an answer that is not text"
    if not text:
        return None  # Warehouse, pypiserver and devpi answer a stored file with an empty body
    content_type = response.headers.get("content-type", "").lower()
    if "html" in content_type or text.startswith("<"):
        title = _TITLE.search(text) or _HEADING.search(text)
        words = _squash(html.unescape(_TAG.sub(" ", title.group(1)))) if title else ""
        return f"a web page ({_tidy(words, response.status_code)})" if words else "a web page"
    if "json" in content_type or text.startswith(("{", "[")):
        try:
            error = _json_error(json.loads(text))
        except (ValueError, RecursionError):
            return None
        if error is not None:
            shown = _tidy(error, response.status_code)
            return f"a JSON error ({shown})" if shown else "a JSON error"
    return None


def says_already_exists(response: httpx.Response) -> bool:
    """twine's rule: 409, or a 400 whose reason phrase or body says the file already exists."""
    if response.status_code == 409:
        return True
    if response.status_code != 400:
        return False
    haystack = f"{response.reason_phrase} {response.text}".lower()
    return "already exist" in haystack or "file exists" in haystack


def says_identical(response: httpx.Response) -> bool:
    """devpi's 200 "Upload of identical file to non volatile index.": stored before, not now."""
    if not 200 <= response.status_code < 300:
        return False
    try:
        text = response.text
    except (UnicodeDecodeError, LookupError):
        text = ""
    return "upload of identical file" in f"{response.reason_phrase} {text}".lower()
