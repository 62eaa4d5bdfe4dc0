"""The one redaction path: every string shown to a user or written to a file passes through here.

Secrets are registered the moment they are read (password, API token, OIDC JWT, minted token, a CI
provider's request credential) and replaced wherever they appear afterwards, in every form a
message could carry them: as is, URL-encoded, HTML-escaped, JSON-escaped, shown escaped by
``untrusted``, and base64-encoded (alone, inside a longer base64 text at any byte offset, and as
the Basic-auth ``user:secret`` pair). Patterns catch the shapes of secrets we never saw (a token
inside a server's error page, a JWT in a third-party exception message).

Mask first, then shorten: a message cut to a length must be cut after redaction, or the cut can
leave the start of a secret that no longer matches.
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from urllib.parse import quote, quote_plus

from tpublish.untrusted import neutralise

MASK = "********"

_lock = threading.Lock()
_secrets: set[str] = set()
_matcher: re.Pattern[str] | None = None

_PATTERNS = (
    # PyPI API tokens / minted trusted-publishing tokens: "pypi-" + base64url macaroon.
    re.compile(r"pypi-[A-Za-z0-9_\-]{16,}"),
    # JWTs (OIDC tokens): three base64url segments, the first one a JSON object.
    re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),
    # HTTP authorization headers of any scheme.
    re.compile(r"(?i)(authorization\s*[:=]\s*['\"]?\w+\s+)[^\s'\",}]+"),
)

# A secret shorter than this would mask ordinary words; such a secret is only ever sent, never shown.
_MIN_SECRET_LENGTH = 3
# A base64 fragment shorter than this would match ordinary text by chance.
_MIN_ENCODED_LENGTH = 8
_PERCENT = re.compile(r"%[0-9A-F]{2}")


def _base64_forms(data: bytes) -> set[str]:
    """The base64 text ``data`` becomes alone and inside a longer encoded text, at any offset.

    Encoded at byte offset k, only the characters whose 6 bits all come from ``data`` are fixed:
    those are what a longer base64 text (a Basic-auth header, a JSON blob) shows of it.
    """
    forms = {base64.b64encode(data).decode("ascii")}
    bits = 8 * len(data)
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + data).decode("ascii")
        start, end = -(-8 * offset // 6), (8 * offset + bits) // 6
        forms.add(encoded[start:end])
    forms |= {form.replace("+", "-").replace("/", "_") for form in forms}
    return {form for form in forms if len(form.rstrip("=")) >= _MIN_ENCODED_LENGTH}


def secret_forms(value: str, username: str | None = None) -> set[str]:
    """Every form in which ``value`` could appear in a message."""
    url = quote(value, safe="")
    forms = {
        value,
        url,
        _PERCENT.sub(lambda m: m.group().lower(), url),
        quote(value),
        quote_plus(value),
        html.escape(value),
        html.escape(value, quote=False),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        neutralise(value),
        neutralise(value, multiline=True),
    }
    forms |= _base64_forms(value.encode())
    if username is not None:
        forms.add(base64.b64encode(f"{username}:{value}".encode()).decode("ascii"))
    return {form for form in forms if len(form) >= _MIN_SECRET_LENGTH}


def register_secret(value: str | None, *, username: str | None = None) -> None:
    """Remember ``value`` (and, with ``username``, its basic-auth encoding) so it is always masked."""
    global _matcher  # rebuilt on the next redact
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return
    forms = secret_forms(value, username)
    with _lock:
        if not forms <= _secrets:
            _secrets.update(forms)
            _matcher = None


def _registered() -> re.Pattern[str] | None:
    global _matcher  # one alternation of every registered form, longest first
    with _lock:
        if _matcher is None and _secrets:
            ordered = sorted(_secrets, key=len, reverse=True)
            _matcher = re.compile("|".join(re.escape(secret) for secret in ordered))
        return _matcher


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and every secret-shaped string masked."""
    matcher = _registered()
    if matcher is not None:
        text = matcher.sub(MASK, text)
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        else:
            text = pattern.sub(MASK, text)
    return text


def shorten(text: str, limit: int) -> str:
    """``text`` masked, then cut to ``limit`` characters (never the other way round)."""
    text = redact(text)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def excerpt(text: str, limit: int = 400) -> str:
    """Outside text shown on one line: masked, made safe (``untrusted``), then shortened."""
    return shorten(neutralise(shorten(text, 4 * limit)), limit)


def forget_secrets() -> None:
    """Drop every registered secret (tests run many invocations in one process)."""
    global _matcher  # nothing left to match
    with _lock:
        _secrets.clear()
        _matcher = None
