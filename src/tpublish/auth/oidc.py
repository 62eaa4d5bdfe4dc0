"""Trusted publishing: audience discovery, the ambient OIDC token (via ``id``), the token exchange,
and renewal of the minted token during long releases.

Endpoints live on the upload URL's host (``/_/oidc/audience``, ``/_/oidc/mint-token``), always over
https, except plain http to a loopback host so tests can run against a local index. Neither the OIDC
token nor the minted token is ever shown: both are registered with ``redact`` the moment we get them.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tpublish.auth.claims import (
    TROUBLESHOOTING_URL,
    decode_claims,
    github_fork_pull_request,
    mismatch_details,
)
from tpublish.errors import NetworkError, TrustedPublishingError
from tpublish.redact import redact, register_secret

if TYPE_CHECKING:
    import httpx

EXCHANGE_TIMEOUT = 5.0
DEFAULT_LIFETIME = 900.0
RENEW_MARGIN = 300.0
PERMISSION_HINT = (
    "give the job `permissions: id-token: write` (at job level) and register this workflow as a "
    "trusted publisher on the index"
)

# Environment variables by which each provider `id` supports is recognised, in `id`'s order.
PROVIDERS = (
    ("GITHUB_ACTIONS", "GitHub Actions"),
    ("GOOGLE_SERVICE_ACCOUNT_NAME", "Google Cloud"),
    ("BUILDKITE", "Buildkite"),
    ("GITLAB_CI", "GitLab CI/CD"),
    ("CIRCLECI", "CircleCI"),
)
_GCP_PRODUCT_FILE = "/sys/class/dmi/id/product_name"


def detect_provider(env: dict[str, str] | os._Environ[str] | None = None) -> str | None:
    """The CI provider whose ambient identity ``id`` would use here, or None outside such CI."""
    env = os.environ if env is None else env
    for variable, provider in PROVIDERS:
        if env.get(variable):
            return provider
    try:
        with open(_GCP_PRODUCT_FILE, encoding="utf-8") as product:  # noqa: PTH123
            if product.read().strip() in ("Google", "Google Compute Engine"):
                return "Google Cloud"
    except OSError:
        pass
    return None


@dataclass(frozen=True)
class Endpoints:
    audience: str
    mint: str
    burn: str
    netloc: str


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def endpoints(upload_url: str) -> Endpoints:
    """Derive the trusted-publishing endpoints from the upload URL's host (the path is ignored)."""
    parts = urlsplit(upload_url)
    scheme = "http" if parts.scheme == "http" and is_loopback(parts.hostname) else "https"
    base = f"{scheme}://{parts.netloc}/_/oidc"
    return Endpoints(f"{base}/audience", f"{base}/mint-token", f"{base}/burn-token", parts.netloc)


def fetch_audience(client: httpx.Client, where: Endpoints) -> str:
    """``GET /_/oidc/audience``: the audience the index wants in our OIDC token."""
    import httpx

    try:
        response = client.get(where.audience, timeout=EXCHANGE_TIMEOUT)
    except httpx.HTTPError as exc:
        raise NetworkError(
            f"audience retrieval failed: {where.netloc} could not be reached ({type(exc).__name__})"
        ) from exc
    if response.status_code == 403:
        raise TrustedPublishingError(
            f"audience retrieval failed: repository at {where.netloc} has trusted publishing disabled",
            hint="use an API token, or ask the index's administrators (403 can also mean rate-limited)",
        )
    if response.status_code == 404:
        raise TrustedPublishingError(
            f"audience retrieval failed: repository at {where.netloc} does not indicate trusted publishing support",
            hint="this index has no trusted publishing: give an API token with --token",
        )
    if not response.is_success:
        raise TrustedPublishingError(
            f"audience retrieval failed: repository at {where.netloc} responded with unexpected "
            f"{response.status_code}: {response.reason_phrase}"
        )
    try:
        audience = response.json()["audience"]
    except (ValueError, KeyError, TypeError):
        audience = None
    if not isinstance(audience, str) or not audience:
        raise TrustedPublishingError(
            f"audience retrieval failed: repository at {where.netloc} gave a malformed answer "
            "(no 'audience' in a JSON object)"
        )
    return audience


def ambient_token(audience: str) -> str | None:
    """A fresh OIDC token for ``audience`` from the CI provider, or None outside a supported CI."""
    import id as oidc_id

    try:
        token: str | None = oidc_id.detect_credential(audience)
    except oidc_id.GitHubOidcPermissionCredentialError as exc:
        raise _github_permission_error(exc) from exc
    except oidc_id.IdentityError as exc:
        raise TrustedPublishingError(
            f"could not get an OIDC token from the CI provider: {redact(str(exc))}",
            hint=f"see {TROUBLESHOOTING_URL}",
        ) from exc
    if token:
        register_secret(token)
    return token or None


def _github_permission_error(exc: Exception) -> TrustedPublishingError:
    if github_fork_pull_request(os.environ):
        return TrustedPublishingError(
            "GitHub never gives an OIDC token to a pull request from a fork, so trusted publishing "
            "cannot work in this run",
            hint="publish from a workflow triggered by a tag, a release or workflow_dispatch, not pull_request",
        )
    return TrustedPublishingError(f"no OIDC token: {exc}", hint=PERMISSION_HINT)


class ExchangeUnavailable(TrustedPublishingError):
    """The exchange failed in a way worth another try (5xx, 429, a lost connection)."""


@dataclass(frozen=True)
class MintedToken:
    token: str = field(repr=False)
    expires: float
    expires_reported: bool  # False: the index did not say; we assume the default lifetime


def mint(
    client: httpx.Client, where: Endpoints, oidc_token: str, *, now: float | None = None
) -> MintedToken:
    """``POST /_/oidc/mint-token``: exchange the OIDC token for a short-lived upload token."""
    import httpx

    issued = time.time() if now is None else now
    try:
        response = client.post(where.mint, json={"token": oidc_token}, timeout=EXCHANGE_TIMEOUT)
    except httpx.HTTPError as exc:
        raise ExchangeUnavailable(
            f"token exchange with {where.netloc} failed ({type(exc).__name__})"
        ) from exc
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if response.status_code >= 500 or response.status_code == 429:
        raise ExchangeUnavailable(
            f"Token request failed: the index produced an unexpected {response.status_code} response.",
            hint="the index may be having trouble: wait a little and retry, or check its status page",
        )
    if not response.is_success:
        raise _refusal(response.status_code, body, oidc_token)
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise TrustedPublishingError("Token response error: the index gave us an invalid response.")
    register_secret(token, username="__token__")  # the token and its basic-auth form
    expires = body.get("expires")
    if isinstance(expires, (int, float)) and not isinstance(expires, bool):
        return MintedToken(token, float(expires), expires_reported=True)
    return MintedToken(token, issued + DEFAULT_LIFETIME, expires_reported=False)


# What each refusal code means and what to do, beyond the index's own description.
_REFUSALS = {
    "invalid-publisher": (
        "the index has no trusted publisher matching this CI job",
        "add (or correct) the trusted publisher in the project's publishing settings with the values below",
    ),
    "invalid-reuse-token": (
        "this OIDC token was already exchanged once",
        "each token can be exchanged only once; on GitLab the job's token is fixed, so publish once per job",
    ),
    "invalid-token": (
        "the index could not verify the OIDC token (expired, wrong audience, or not signed by a known issuer)",
        "check the audience the job requests and that the runner's clock is right",
    ),
    "not-enabled": (
        "trusted publishing is turned off on the index for this CI provider",
        "use an API token until the index enables it again",
    ),
    "invalid-pending-publisher": (
        "a pending publisher matched, but a project of that name already exists",
        "register the publisher on the existing project instead of as a pending publisher",
    ),
    "invalid-payload": (
        "the index could not read the token",
        f"see {TROUBLESHOOTING_URL}",
    ),
}


def _refusal(status: int, body: Any, oidc_token: str) -> TrustedPublishingError:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return TrustedPublishingError(
            f"Token request failed: the index produced an unexpected {status} response.",
            hint="the index may be having trouble: wait a little and retry, or check its status page",
        )
    first = errors[0] if isinstance(errors[0], dict) else {}
    code, description = str(first.get("code", "unknown")), redact(str(first.get("description", "")))
    summary, hint = _REFUSALS.get(
        code, (f"the index refused the token ({code})", f"see {TROUBLESHOOTING_URL}")
    )
    reasons = tuple(
        f"* `{e.get('code')}`: {redact(str(e.get('description', '')))}"
        for e in errors
        if isinstance(e, dict)
    )
    details = reasons
    if code in ("invalid-publisher", "invalid-pending-publisher", "invalid-payload"):
        details += mismatch_details(decode_claims(oidc_token))
    return TrustedPublishingError(f"{summary}: {code}: {description}", hint=hint, details=details)


def burn_token(client: httpx.Client, where: Endpoints, token: str) -> None:
    """``POST /_/oidc/burn-token``: revoke a minted token; indexes without it (404/405) are fine."""
    import httpx

    with contextlib.suppress(httpx.HTTPError):
        client.post(where.burn, json={"token": token}, timeout=EXCHANGE_TIMEOUT)


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
        exchange_backoff: float = 1.0,
    ) -> None:
        self.client, self.where, self.audience, self.provider = client, where, audience, provider
        self.on_mint, self.on_claims, self.clock = on_mint, on_claims, clock
        self.minted: MintedToken | None = None
        self.claims: dict[str, Any] = {}
        self.renewal_error: TrustedPublishingError | None = None
        self._lifetime = DEFAULT_LIFETIME
        self._exchanged: set[str] = set()
        self._lock = threading.Lock()
        self.mint_count = 0
        self.exchange_attempts = 3
        self.exchange_backoff = exchange_backoff

    def exchange(self) -> MintedToken:
        """Mint an upload token; on a 5xx or lost answer, again with a fresh OIDC token.

        The lost answer may have consumed the first token, so each try asks the CI provider anew
        (GitLab has only one token per job: its retry will most likely be refused as reused).
        """
        for attempt in range(1, self.exchange_attempts + 1):
            try:
                return self._exchange_once()
            except ExchangeUnavailable:
                if attempt == self.exchange_attempts:
                    raise
                time.sleep(self.exchange_backoff * attempt)
        raise AssertionError("unreachable")

    def _exchange_once(self) -> MintedToken:
        oidc_token = ambient_token(self.audience)
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
        minted = mint(self.client, self.where, oidc_token, now=issued)
        self._exchanged.add(oidc_token)
        self._lifetime = max(1.0, minted.expires - issued)
        self.minted = minted
        self.mint_count += 1
        self.on_mint(minted)
        return minted

    def _needs_renewal(self) -> bool:
        if self.minted is None:
            return True
        margin = min(RENEW_MARGIN, self._lifetime / 2)
        return self.clock() + margin >= self.minted.expires

    def current(self) -> Any:
        from tpublish.auth.credentials import Credential

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

    def explain_refusal(self, error: Any) -> Any:
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
