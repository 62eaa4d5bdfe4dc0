"""Turn an index's HTTP response into the sentence a user should read.

Warehouse puts its error text in the reason phrase *and* the body; HTTP/2 drops the reason phrase,
pypiserver and devpi put theirs in HTML or JSON bodies. We prefer a non-standard reason phrase,
then a JSON ``message``/``detail``, then the text of an HTML page, then the first lines of text.
"""

from __future__ import annotations

import html
import json
import re
from http import HTTPStatus
from typing import TYPE_CHECKING

from tpublish.redact import redact

if TYPE_CHECKING:
    import httpx

MAX_MESSAGE = 400
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_BLOCK = re.compile(r"(?is)<(script|style|head)\b.*?</\1>")
_HEADING = re.compile(r"(?is)<h1\b[^>]*>(.*?)</h1>")
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
    title = _after_status(heading, status)
    if rest and (not title or title in rest):
        return rest
    return f"{heading} {rest}".strip()


def _from_json(text: str, status: int) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
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
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1].rstrip() + "…"
    return redact(text)


def server_message(response: httpx.Response) -> str:
    """The server's own explanation of ``response``, one line, secrets masked."""
    status = response.status_code
    phrase = (response.reason_phrase or "").strip()
    if phrase and phrase.lower() != _standard_phrase(status).lower():
        return _tidy(phrase, status)
    try:
        text = response.text
    except (UnicodeDecodeError, LookupError):
        text = ""
    content_type = response.headers.get("content-type", "")
    is_json = "json" in content_type or text.lstrip().startswith("{")
    found = _from_json(text, status) if is_json else None
    if found is None:
        found = _from_html(text, status) if "<" in text else _from_text(text, status)
    message = _tidy(found, status)
    return message or _tidy(phrase or _standard_phrase(status) or "no explanation given", status)


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
