"""Trusted publishing, first half: which CI this is, the index's audience, the ambient OIDC token.

Endpoints live on the upload URL's host (``/_/oidc/audience``, ``/_/oidc/mint-token``), always over
https, except plain http to a loopback host so tests can run against a local index. The OIDC token
is never shown: it is registered with ``redact`` the moment we get it. The exchange for an upload
token, and its renewal, are in ``exchange``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from tpublish.auth.claims import (
    TROUBLESHOOTING_URL,
    github_fork_pull_request,
)
from tpublish.auth.refusals import id_token_variable
from tpublish.errors import NetworkError, TrustedPublishingError
from tpublish.index.http import is_loopback
from tpublish.redact import redact, register_secret

EXCHANGE_TIMEOUT = 5.0
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


def endpoints(upload_url: str) -> Endpoints:
    """Derive the trusted-publishing endpoints from the upload URL's host (the path is ignored)."""
    parts = urlsplit(upload_url)
    scheme = "http" if parts.scheme == "http" and is_loopback(parts.hostname) else "https"
    base = f"{scheme}://{parts.netloc}/_/oidc"
    return Endpoints(f"{base}/audience", f"{base}/mint-token", f"{base}/burn-token", parts.netloc)


def fetch_audience(client: httpx.Client, where: Endpoints) -> str:
    """``GET /_/oidc/audience``: the audience the index wants in our OIDC token."""
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
    import id as oidc_id  # the id package and its HTTP stack: only where a CI token is wanted

    try:
        token: str | None = oidc_id.detect_credential(audience)
    except oidc_id.GitHubOidcPermissionCredentialError as exc:
        raise _github_permission_error(exc) from exc
    except oidc_id.IdentityError as exc:
        on_gitlab = bool(os.environ.get("GITLAB_CI"))
        raise TrustedPublishingError(
            f"could not get an OIDC token from the CI provider: {redact(str(exc))}",
            hint=_gitlab_id_tokens_hint(audience) if on_gitlab else f"see {TROUBLESHOOTING_URL}",
        ) from exc
    if token:
        register_secret(token)
    return token or None


def _gitlab_id_tokens_hint(audience: str) -> str:
    """GitLab's token comes from ``id_tokens`` in ``.gitlab-ci.yml``, with the index's audience."""
    return (
        f"in .gitlab-ci.yml the publishing job needs `id_tokens: {id_token_variable(audience)}: "
        f"aud: {audience}` (the audience the index asked for; `testpypi` for TestPyPI); "
        f"see {TROUBLESHOOTING_URL}"
    )


def _github_permission_error(exc: Exception) -> TrustedPublishingError:
    if github_fork_pull_request(os.environ):
        return TrustedPublishingError(
            "GitHub never gives an OIDC token to a pull request from a fork, so trusted publishing "
            "cannot work in this run",
            hint="publish from a workflow triggered by a tag, a release or workflow_dispatch, not pull_request",
        )
    return TrustedPublishingError(f"no OIDC token: {exc}", hint=PERMISSION_HINT)
