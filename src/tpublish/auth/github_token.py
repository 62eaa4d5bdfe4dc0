"""GitHub Actions' OIDC token, asked for as ``id`` 1.6.1 asks for it, but bounded.

``id`` reads the token endpoint's answer whole (a hostile 300 MB answer costs a gigabyte) and
waits 30 s per try, four tries, on a silent endpoint. Here the inputs, the request and the words
are ``id``'s (protocol §4.2) — ``ACTIONS_ID_TOKEN_REQUEST_URL`` with the audience merged into its
query, ``Authorization: bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN``, a JSON ``value`` — and so is the
check of the token; but the request has the trusted-publishing deadline, its answer is read up to
``ANSWER_CAP`` bytes, and a 5xx, 429 or lost connection is left to the caller's retry policy.
The other providers still go through ``id`` (``oidc.ci_token``), whose failures are told in this
module's exceptions too.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from tpublish.index.http import Timeouts, fetch, make_client
from tpublish.index.transport import deadline
from tpublish.redact import redact


class PermissionMissing(Exception):
    """The job may not ask for an OIDC token (``id``'s GitHubOidcPermissionCredentialError)."""


class TokenRequestFailed(Exception):
    """The token endpoint refused or failed; ``transient`` when another try may work."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class TokenTimedOut(Exception):
    """No token within the deadline."""


def in_github_actions(env: Mapping[str, str] | None = None) -> bool:
    """Where ``id`` would ask GitHub first: ``GITHUB_ACTIONS`` is set."""
    return bool((os.environ if env is None else env).get("GITHUB_ACTIONS"))


def github_token(audience: str, seconds: float, env: Mapping[str, str] | None = None) -> str:
    """A fresh GitHub OIDC token for ``audience``, checked as ``id`` checks it."""
    env = os.environ if env is None else env
    request_token = env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    request_url = env.get("ACTIONS_ID_TOKEN_REQUEST_URL")
    for variable, value in (
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", request_token),
        ("ACTIONS_ID_TOKEN_REQUEST_URL", request_url),
    ):
        if not value:
            raise PermissionMissing(
                "GitHub: missing or insufficient OIDC token permissions, the "
                f"{variable} environment variable was unset"
            )
    assert request_token and request_url
    response = _ask(_with_audience(request_url, audience), request_token, seconds)
    if response.status_code != 200:
        # Masked whole, then cut: a cut first could keep the start of a secret the body echoes.
        body = redact(response.content.decode("utf-8", "replace"))[:2000]
        raise TokenRequestFailed(
            f"GitHub: OIDC token request failed (code={response.status_code}, body={body!r})",
            transient=response.status_code >= 500 or response.status_code == 429,
        )
    try:
        value = response.json()["value"]
    except (ValueError, KeyError, TypeError, RecursionError):
        value = None
    if not isinstance(value, str):
        raise TokenRequestFailed("GitHub: malformed or incomplete JSON")
    check_token(value, audience)
    return value


def _with_audience(url: str, audience: str) -> str:
    """``url`` with ``audience`` merged into its query, as ``id`` 1.6.1 does."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["audience"] = audience
    return urlunsplit(parts._replace(query=urlencode(query)))


def _ask(url: str, request_token: str, seconds: float) -> httpx.Response:
    # GitHub's endpoint is not the index: the default trust, not the index's --cert.
    timeouts = Timeouts(connect=min(10.0, seconds), transfer=seconds)
    try:
        with make_client(timeouts=timeouts) as client, deadline(seconds):
            return fetch(client, "GET", url, headers={"Authorization": f"bearer {request_token}"})
    except httpx.TimeoutException as exc:
        raise TokenTimedOut from exc
    except httpx.HTTPError as exc:
        raise TokenRequestFailed(
            f"GitHub: OIDC token request failed ({type(exc).__name__})", transient=True
        ) from exc


def check_token(token: str, audience: str) -> None:
    """``id``'s check of a token it returns: a JWT whose payload names ``audience``."""
    try:
        _, payload, _ = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "==").decode("utf-8"))
    except (ValueError, binascii.Error, RecursionError) as exc:
        raise TokenRequestFailed("Malformed token") from exc
    if not isinstance(claims, dict):
        raise TokenRequestFailed("Malformed token payload (JWT is not a JSON object)")
    if "aud" not in claims:
        raise TokenRequestFailed("Malformed token payload (audience claim is missing)")
    if claims["aud"] != audience:
        raise TokenRequestFailed(
            f"Token audience claim mismatch (expected {audience}, got {claims['aud']})"
        )
