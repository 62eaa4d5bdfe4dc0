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
# Pyramid's generic explanations add nothing to the server's own message.
_BOILERPLATE = (
    "The server could not comply with the request since it is either malformed or otherwise incorrect.",
    "Access was denied to this resource.",
)


def _standard_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _from_json(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict):
        for key in ("message", "detail", "error", "title"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return None


def _from_html(text: str) -> str:
    body = _BLOCK.sub(" ", text)
    plain = html.unescape(_TAG.sub(" ", body))
    for sentence in _BOILERPLATE:
        plain = plain.replace(sentence, " ")
    return plain


def _tidy(text: str, status: int) -> str:
    text = _SPACE.sub(" ", text).strip()
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
    found = _from_json(text) if "json" in content_type or text.lstrip().startswith("{") else None
    if found is None:
        found = _from_html(text) if "<" in text else text
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
