"""The one redaction path: every string shown to a user or written to a file passes through here.

Secrets are registered the moment they are read (password, API token, OIDC JWT, minted token) and
replaced wherever they appear afterwards. Patterns catch the shapes of secrets we never saw
(a token inside a server's error page, a JWT in a third-party exception message).
"""

from __future__ import annotations

import base64
import re
import threading

MASK = "********"

_lock = threading.Lock()
_secrets: set[str] = set()

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


def register_secret(value: str | None, *, username: str | None = None) -> None:
    """Remember ``value`` (and, with ``username``, its basic-auth encoding) so it is always masked."""
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return
    forms = {value}
    if username is not None:
        forms.add(base64.b64encode(f"{username}:{value}".encode()).decode("ascii"))
    with _lock:
        _secrets.update(forms)


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and every secret-shaped string masked."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        else:
            text = pattern.sub(MASK, text)
    return text


def forget_secrets() -> None:
    """Drop every registered secret (tests run many invocations in one process)."""
    with _lock:
        _secrets.clear()
