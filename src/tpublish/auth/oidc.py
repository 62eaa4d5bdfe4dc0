"""Trusted publishing, first half: which CI this is, the index's audience, the ambient OIDC token.

Endpoints live on the upload URL's host (``/_/oidc/audience``, ``/_/oidc/mint-token``), always over
https, except plain http to a loopback host so tests can run against a local index. The OIDC token
is never shown: it is registered with ``redact`` the moment we get it, and so is each CI
provider's request credential (``register_ci_secrets``). The exchange for an upload token, and
its renewal, are in ``exchange``.

Every call is bounded: ``OIDC_DEADLINE`` seconds in all (or ``--timeout``, when shorter), answers
read up to ``ANSWER_CAP`` bytes. ``ci_token`` is the one way to the CI provider's token, for any
audience (the index's here, ``sigstore`` for signing in ``signing_identity``): GitHub's is asked
for as ``id`` would, but bounded (``github_token``); the other providers go through ``id`` on a
thread we stop waiting for at the deadline (``id`` would wait 30 s per try, four tries, on a
silent endpoint). Transient failures (5xx, 429, a lost connection) raise ``Unavailable``, which
the caller retries with the upload retry policy.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from tpublish.auth.claims import (
    TROUBLESHOOTING_URL,
    github_fork_pull_request,
)
from tpublish.auth.github_token import (
    PermissionMissing,
    TokenRequestFailed,
    TokenTimedOut,
    github_token,
    in_github_actions,
)
from tpublish.auth.refusals import id_token_variable
from tpublish.errors import EXIT_NETWORK, TrustedPublishingError
from tpublish.index.http import fetch, is_loopback
from tpublish.index.retry import parse_retry_after
from tpublish.index.transport import deadline
from tpublish.redact import excerpt, register_secret
from tpublish.untrusted import is_clean_token, neutralise

EXCHANGE_TIMEOUT = 5.0  # seconds between two reads of an answer
OIDC_DEADLINE = 20.0  # seconds for a whole call: audience, the CI provider's token, mint
MAX_SHOWN = 400  # characters of an outside message shown
# What a CI job holds to ask for its identity: a secret wherever it shows up.
CI_REQUEST_CREDENTIALS = (
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "GITHUB_TOKEN",
    "CI_JOB_TOKEN",
    "CI_JOB_JWT",
    "CI_JOB_JWT_V2",
    "CI_JOB_JWT_V1",
    "BUILDKITE_AGENT_ACCESS_TOKEN",
    "CIRCLE_OIDC_TOKEN",
    "CIRCLE_OIDC_TOKEN_V2",
)
_TRANSIENT_STATUS = re.compile(r"\(code=(5\d\d|429)\b")
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


class Unavailable(TrustedPublishingError):
    """A trusted-publishing call failed in a way worth another try (5xx, 429, a lost connection)."""

    def __init__(
        self, message: str, hint: str | None = None, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class Unreachable(Unavailable):
    """The index could not be reached for trusted publishing: a network failure (exit code 4)."""

    exit_code = EXIT_NETWORK


def register_ci_secrets(env: Mapping[str, str] | None = None) -> None:
    """Register each CI provider's request credential (and GitLab's ID tokens) as a secret."""
    env = os.environ if env is None else env
    for name, value in env.items():
        if name in CI_REQUEST_CREDENTIALS or name.endswith("_ID_TOKEN"):
            register_secret(value)


def shown(text: str) -> str:
    """Outside text as we show it: masked, made safe, then shortened."""
    return excerpt(text, MAX_SHOWN)


def limit(client: httpx.Client) -> float:
    """Seconds one trusted-publishing call may take: ``OIDC_DEADLINE``, or ``--timeout`` if shorter."""
    return limit_for(client.timeout.read)


def limit_for(timeout: float | None) -> float:
    """``limit`` for a run whose ``--timeout`` is ``timeout`` (None: none given)."""
    return min(OIDC_DEADLINE, timeout or OIDC_DEADLINE)


def detect_provider(env: Mapping[str, str] | None = None) -> str | None:
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
    """``GET /_/oidc/audience``: the audience the index wants in our OIDC token (one try)."""
    seconds = limit(client)
    try:
        with deadline(seconds):
            response = fetch(client, "GET", where.audience, timeout=min(EXCHANGE_TIMEOUT, seconds))
    except httpx.HTTPError as exc:
        raise Unreachable(
            f"audience retrieval failed: {where.netloc} could not be reached ({type(exc).__name__})"
        ) from exc
    status = response.status_code
    if status == 403:
        raise TrustedPublishingError(
            f"audience retrieval failed: repository at {where.netloc} has trusted publishing disabled",
            hint="use an API token, or ask the index's administrators (403 can also mean rate-limited)",
        )
    if status == 404:
        raise TrustedPublishingError(
            f"audience retrieval failed: repository at {where.netloc} does not indicate trusted publishing support",
            hint="this index has no trusted publishing: give an API token with --token",
        )
    if not response.is_success:
        message = (
            f"audience retrieval failed: repository at {where.netloc} responded with unexpected "
            f"{status}: {shown(response.reason_phrase)}"
        )
        if status >= 500 or status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise Unavailable(message, retry_after=retry_after)
        raise TrustedPublishingError(message)
    try:
        audience = response.json()["audience"]
    except (ValueError, KeyError, TypeError, RecursionError):
        audience = None
    if not isinstance(audience, str) or not audience or audience != neutralise(audience):
        raise TrustedPublishingError(
            f"audience retrieval failed: repository at {where.netloc} gave a malformed answer "
            "(no 'audience' in a JSON object)"
        )
    return audience


def ci_token(audience: str, seconds: float) -> str | None:
    """The CI provider's OIDC token for ``audience``, registered as a secret; None outside CI.

    GitHub's token is asked for here (``github_token``: bounded in time and size); the other
    providers' through ``id``, on a thread we stop waiting for after ``seconds``. Whichever gave
    it, a failure is ``PermissionMissing``, ``TokenTimedOut`` or ``TokenRequestFailed`` (with
    ``transient`` for a 5xx, 429 or lost connection): each caller says it in its own terms.
    """
    token = github_token(audience, seconds) if in_github_actions() else _from_id(audience, seconds)
    if token:
        register_secret(token)
    return token or None


def ambient_token(audience: str, *, seconds: float = OIDC_DEADLINE) -> str | None:
    """A fresh OIDC token for the index's ``audience``, or None outside a supported CI."""
    try:
        token = ci_token(audience, seconds)
    except PermissionMissing as exc:
        raise _github_permission_error(exc) from exc
    except TokenTimedOut as exc:
        raise TrustedPublishingError(
            f"the CI provider did not give an OIDC token within {seconds:.0f} s",
            hint="its token endpoint may be down; retry the job later",
        ) from exc
    except TokenRequestFailed as exc:
        message = f"could not get an OIDC token from the CI provider: {shown(str(exc))}"
        on_gitlab = not in_github_actions() and bool(os.environ.get("GITLAB_CI"))
        hint = _gitlab_id_tokens_hint(audience) if on_gitlab else f"see {TROUBLESHOOTING_URL}"
        if exc.transient:
            raise Unavailable(message, hint) from exc
        raise TrustedPublishingError(message, hint=hint) from exc
    if token is not None and not is_clean_token(token):
        raise TrustedPublishingError(
            "the CI provider's OIDC token is malformed (it holds spaces or control characters)",
            hint=f"see {TROUBLESHOOTING_URL}",
        )
    return token


def _from_id(audience: str, seconds: float) -> str | None:
    """``id``'s token for ``audience`` (any provider but GitHub), in ``github_token``'s terms."""
    import id as oidc_id  # the id package and its HTTP stack: only where a CI token is wanted

    outcome: list[object] = []

    def ask() -> None:
        try:
            outcome.append(oidc_id.detect_credential(audience))
        except BaseException as exc:  # noqa: BLE001  (handed to the waiting thread as is)
            outcome.append(exc)

    worker = threading.Thread(target=ask, name="ci-token", daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise TokenTimedOut
    result = outcome[0]
    # (No GitHubOidcPermissionCredentialError here: id raises it only under GITHUB_ACTIONS,
    # where ``ci_token`` asks GitHub itself.)
    if isinstance(result, oidc_id.IdentityError):
        transient = bool(_TRANSIENT_STATUS.search(str(result)))
        raise TokenRequestFailed(str(result), transient=transient) from result
    if isinstance(result, BaseException):
        raise result
    return result if isinstance(result, str) else None


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
    return TrustedPublishingError(f"no OIDC token: {shown(str(exc))}", hint=PERMISSION_HINT)
