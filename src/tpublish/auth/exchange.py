"""Trusted publishing, second half: exchange the OIDC token for an upload token, renew, revoke.

``TrustedPublisher`` is the credential source a release uses: it mints on first use, re-mints
when the token is about to expire, and explains a refusal with the token's claims next to what
the index's publisher form needs. The minted token is registered with ``redact`` at once, and
refused as malformed when it holds anything but printable ASCII. Transient failures (the CI
provider's or the index's 5xx, 429, a lost answer) are retried with the upload retry policy.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tpublish.auth.claims import decode_claims
from tpublish.auth.oidc import (
    EXCHANGE_TIMEOUT,
    PERMISSION_HINT,
    Endpoints,
    Unavailable,
    ambient_token,
    limit,
)
from tpublish.auth.refusals import UNEXPECTED, UNEXPECTED_HINT, refusal
from tpublish.auth.source import Credential
from tpublish.errors import CredentialError, TPublishError, TrustedPublishingError
from tpublish.index.http import fetch
from tpublish.index.retry import RetryPolicy, parse_retry_after
from tpublish.index.transport import deadline
from tpublish.redact import register_secret
from tpublish.untrusted import is_clean_token

DEFAULT_LIFETIME = 900.0
RENEW_MARGIN = 300.0


class ExchangeUnavailable(Unavailable):
    """The exchange failed in a way worth another try (5xx, 429, a lost connection)."""


@dataclass(frozen=True)
class MintedToken:
    token: str = field(repr=False)
    expires: float
    expires_reported: bool  # False: the index did not say; we assume the default lifetime


def mint(
    client: httpx.Client,
    where: Endpoints,
    oidc_token: str,
    *,
    now: float | None = None,
    audience: str | None = None,
) -> MintedToken:
    """``POST /_/oidc/mint-token``: exchange the OIDC token for a short-lived upload token.

    ``audience`` (the one the index asked for) lets a refusal compare it with the token's ``aud``.
    """

    issued = time.time() if now is None else now
    seconds = limit(client)
    try:
        with deadline(seconds):
            response = fetch(
                client,
                "POST",
                where.mint,
                json={"token": oidc_token},
                timeout=min(EXCHANGE_TIMEOUT, seconds),
            )
    except httpx.HTTPError as exc:
        raise ExchangeUnavailable(
            f"token exchange with {where.netloc} failed ({type(exc).__name__})"
        ) from exc
    try:
        body: Any = response.json()
    except (ValueError, RecursionError):
        body = None
    if response.status_code >= 500 or response.status_code == 429:
        raise ExchangeUnavailable(
            UNEXPECTED.format(status=response.status_code),
            hint=UNEXPECTED_HINT,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    if not response.is_success:
        raise refusal(response.status_code, body, oidc_token, audience)
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise TrustedPublishingError("Token response error: the index gave us an invalid response.")
    register_secret(token, username="__token__")  # the token and its basic-auth form
    if not is_clean_token(token):
        raise TrustedPublishingError(
            "Token response error: the index gave us a malformed token "
            "(it holds spaces or control characters)."
        )
    expires = body.get("expires")
    # A time in the past, NaN or infinity is no expiry we can plan by: assume the usual lifetime.
    if (
        isinstance(expires, (int, float))
        and not isinstance(expires, bool)
        and math.isfinite(expires)
        and expires > issued
    ):
        return MintedToken(token, float(expires), expires_reported=True)
    return MintedToken(token, issued + DEFAULT_LIFETIME, expires_reported=False)


def burn_token(client: httpx.Client, where: Endpoints, token: str) -> None:
    """``POST /_/oidc/burn-token``: revoke a minted token; indexes without it (404/405) are fine."""

    seconds = limit(client)
    with contextlib.suppress(httpx.HTTPError), deadline(seconds):
        fetch(
            client,
            "POST",
            where.burn,
            json={"token": token},
            timeout=min(EXCHANGE_TIMEOUT, seconds),
        )


class TrustedPublisher:
    """A credential source that mints upload tokens from the CI identity and renews them.

    ``current()`` is called before every upload attempt: it re-mints when less than
    ``RENEW_MARGIN`` seconds (or half the lifetime, for very short tokens) remain.
    """

    def __init__(
        self,
        client: httpx.Client,
        where: Endpoints,
        audience: str,
        provider: str,
        *,
        on_mint: Callable[[MintedToken], None] = lambda _t: None,
        on_claims: Callable[[dict[str, Any]], None] = lambda _c: None,
        clock: Callable[[], float] = time.time,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.client, self.where, self.audience, self.provider = client, where, audience, provider
        self.on_mint, self.on_claims, self.clock = on_mint, on_claims, clock
        self.minted: MintedToken | None = None
        self.claims: dict[str, Any] = {}
        self.renewal_error: TrustedPublishingError | None = None
        self._lifetime = DEFAULT_LIFETIME
        self._exchanged: set[str] = set()
        self._lock = threading.Lock()
        self.retry = retry or RetryPolicy()

    def exchange(self) -> MintedToken:
        """Mint an upload token; on a 5xx or lost answer, again with a fresh OIDC token.

        The lost answer may have consumed the first token, so each try asks the CI provider anew
        (GitLab has only one token per job: its retry will most likely be refused as reused).
        """
        return self.retry.call(self._exchange_once, transient=(Unavailable,))

    def _exchange_once(self) -> MintedToken:
        oidc_token = ambient_token(self.audience, seconds=limit(self.client))
        if oidc_token is None:
            raise TrustedPublishingError(
                f"no OIDC token available from {self.provider}",
                hint=PERMISSION_HINT,
            )
        if oidc_token in self._exchanged:
            raise TrustedPublishingError(
                f"the upload token expired and {self.provider} gives only one OIDC token per job, "
                "which the index accepts only once",
                hint="split a very long release into several jobs, or use an API token for it",
            )
        self.claims = decode_claims(oidc_token)
        self.on_claims(self.claims)
        issued = self.clock()
        minted = mint(self.client, self.where, oidc_token, now=issued, audience=self.audience)
        self._exchanged.add(oidc_token)
        self._lifetime = max(1.0, minted.expires - issued)
        self.minted = minted
        self.on_mint(minted)
        return minted

    def _needs_renewal(self) -> bool:
        if self.minted is None:
            return True
        margin = min(RENEW_MARGIN, self._lifetime / 2)
        return self.clock() + margin >= self.minted.expires

    def current(self) -> Credential:
        """The minted token as the credential, minted or renewed first when needed."""
        with self._lock:
            if self._needs_renewal():
                try:
                    self.exchange()
                except TrustedPublishingError as exc:
                    # twine's rule: keep a token that has not actually expired yet.
                    if self.minted is None or self.clock() >= self.minted.expires:
                        raise
                    self.renewal_error = exc
            assert self.minted is not None
            return Credential(
                username="__token__",
                password=self.minted.token,
                source=f"trusted publishing ({self.provider})",
                kind="trusted-publishing",
            )

    def explain_refusal(self, error: CredentialError) -> TPublishError:
        """A refused upload after a failed renewal is the renewal's fault: say that, not just 403."""
        if self.renewal_error is None:
            return error
        renewal = self.renewal_error
        return TrustedPublishingError(
            renewal.message, hint=renewal.hint, details=(f"the index said: {error.message}",)
        )

    def burn(self) -> None:
        """Revoke the minted token where the index offers that (best effort, outcome ignored)."""
        if self.minted is not None:
            burn_token(self.client, self.where, self.minted.token)
