"""Choose the credential for a run: an explicit one, trusted publishing, or the prompt.

``--trusted-publishing`` (env ``TPUBLISH_TRUSTED_PUBLISHING``):

- ``auto`` (default): an explicitly configured credential (flag, environment, ``.pypirc``,
  keyring) wins; otherwise, inside a CI provider with an OIDC identity, trusted publishing;
  otherwise the prompt (on a terminal) or a clear error.
- ``always`` (as uv's): trusted publishing or a clear error; a password or token configured anywhere
  (flag, environment, ``.pypirc``, the repository URL) is refused, never silently ignored.
- ``never``: never tries trusted publishing.

Nothing here prints: what a person should hear goes through ``Notices``, which the command
line's console implements.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tpublish.auth.claims import GITHUB_ISSUER, reusable_workflow_warning
from tpublish.auth.credentials import (
    CERTIFICATE,
    explicit_credentials,
    prompt_credential,
    resolve_credential,
)
from tpublish.auth.exchange import TrustedPublisher
from tpublish.auth.oidc import PROVIDERS, Unavailable, detect_provider, endpoints, fetch_audience
from tpublish.auth.source import StaticCredential
from tpublish.errors import InputError, TrustedPublishingError
from tpublish.index.retry import RetryPolicy

if TYPE_CHECKING:
    import httpx

    from tpublish.auth.exchange import MintedToken
    from tpublish.auth.settings import Repository
    from tpublish.auth.source import Credential, CredentialSource

AUTO, ALWAYS, NEVER = "auto", "always", "never"


@dataclass(frozen=True)
class CredentialOptions:
    """What the command line says about credentials."""

    token: str | None = None
    username: str | None = None
    password: str | None = None
    no_keyring: bool = False
    trusted_publishing: str = AUTO
    non_interactive: bool = False


class Notices(Protocol):
    """How choosing a credential speaks to a person (and to a CI runner)."""

    def verbose(self, text: str) -> None: ...

    def warning(self, text: str) -> None: ...

    def mask(self, secret: str) -> None:
        """Hide ``secret`` in the CI log, before anything could echo it."""
        ...

    def misconfiguration(self, text: str) -> None:
        """A warning about the CI workflow, also shown as an annotation on the run's page."""
        ...


@dataclass
class Login:
    """The credential source chosen for a run and a sentence saying where it comes from."""

    source: CredentialSource | None
    description: str
    credential: Credential | None = None
    trusted: TrustedPublisher | None = None


def configured_credential(
    notices: Notices, repository: Repository, options: CredentialOptions, *, interactive: bool
) -> Credential | None:
    """Flags > TPUBLISH_* > TWINE_* > .pypirc > keyring; a half-given one is completed at the prompt.

    With ``--trusted-publishing always`` there is none to use: any configured password or token
    is refused (``refuse_mixed_credentials``), and the result is None.
    """
    if options.trusted_publishing == ALWAYS:
        refuse_mixed_credentials(repository, options)
        return None
    notes: list[str] = []
    credential = resolve_credential(
        repository=repository,
        token=options.token,
        username=options.username,
        password=options.password,
        env=os.environ,
        use_keyring=not options.no_keyring,
        interactive=interactive,
        notes=notes,
    )
    for note in notes:
        notices.verbose(note)
    if credential is not None:
        for warning in credential.warnings:
            notices.warning(warning)
    return credential


def choose_login(
    notices: Notices,
    repository: Repository,
    client: httpx.Client,
    options: CredentialOptions,
    *,
    interactive: bool,
    backoff: float = 1.0,
    retries: int = 4,
) -> Login:
    """Decide, in the documented order, how this run authenticates; mint now for trusted publishing.

    Trusted publishing retries transient failures as uploads do (``retries``, ``backoff``).
    """
    mode = options.trusted_publishing
    credential = configured_credential(notices, repository, options, interactive=interactive)
    if credential is not None:
        return Login(StaticCredential(credential), describe(credential), credential)
    provider = detect_provider()
    if mode == ALWAYS and provider is None:
        raise no_ci_identity_error()
    if mode != NEVER and provider is not None:
        retry = RetryPolicy(retries=retries, backoff=backoff)
        trusted = start_trusted_publishing(notices, repository, client, provider, retry=retry)
        return Login(trusted, f"__token__ (trusted publishing, {provider})", trusted=trusted)
    if interactive:
        credential = prompt_credential(repository, interactive=True)
        return Login(StaticCredential(credential), describe(credential), credential)
    return Login(None, "none")


def describe(credential: Credential) -> str:
    """Who the index will see, and where that comes from (never the secret)."""
    if credential.kind == "anonymous":
        return f"no credentials: an anonymous upload ({credential.source})"
    if credential.kind == CERTIFICATE and not credential.username:
        return f"no username or password: the {credential.source}"
    if credential.kind == CERTIFICATE:
        return f"{credential.username} with no password ({credential.source})"
    return f"{credential.username} (from {credential.source})"


def no_ci_identity_error() -> TrustedPublishingError:
    names = ", ".join(name for _, name in PROVIDERS)
    return TrustedPublishingError(
        "--trusted-publishing always, but no CI identity was found here",
        hint=f"trusted publishing works in {names}",
    )


def refuse_mixed_credentials(repository: Repository, options: CredentialOptions) -> None:
    """``--trusted-publishing always`` with a configured password or token: refused, as uv does."""
    found = explicit_credentials(
        repository=repository,
        token=options.token,
        username=options.username,
        password=options.password,
        env=os.environ,
    )
    if found:
        raise InputError(
            "--trusted-publishing always does not go with a configured credential: "
            + ", ".join(found),
            hint="remove it, or use --trusted-publishing auto to let a configured credential "
            "win over trusted publishing",
        )


def start_trusted_publishing(
    notices: Notices,
    repository: Repository,
    client: httpx.Client,
    provider: str,
    *,
    retry: RetryPolicy | None = None,
) -> TrustedPublisher:
    """Audience, ambient OIDC token, exchange: a minted token in hand, or a clear error."""
    retry = retry or RetryPolicy()
    where = endpoints(repository.url)
    notices.verbose(
        f"trusted publishing: {provider} detected; asking {where.audience} for the audience"
    )
    audience = retry.call(lambda: fetch_audience(client, where), transient=(Unavailable,))
    notices.verbose(f"trusted publishing: audience {audience!r}")

    def minted(token: MintedToken) -> None:
        notices.mask(token.token)
        lifetime = (
            "" if token.expires_reported else " (the index did not say when; assuming 15 min)"
        )
        notices.verbose(f"trusted publishing: upload token minted{lifetime}")

    def check_claims(claims: dict[str, Any]) -> None:
        warning = reusable_workflow_warning(claims) if claims.get("iss") == GITHUB_ISSUER else None
        if warning:
            notices.misconfiguration(warning)

    trusted = TrustedPublisher(
        client,
        where,
        audience,
        provider,
        on_mint=minted,
        on_claims=check_claims,
        retry=retry,
    )
    trusted.current()  # exchange now: a refused exchange stops the run before any file is sent
    return trusted
