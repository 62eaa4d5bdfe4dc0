"""Choose the credential for a run: an explicit one, trusted publishing, or the prompt.

``--trusted-publishing`` (env ``TPUBLISH_TRUSTED_PUBLISHING``):

- ``auto`` (default): an explicitly configured credential (flag, environment, ``.pypirc``,
  keyring) wins; otherwise, inside a CI provider with an OIDC identity, trusted publishing;
  otherwise the prompt (on a terminal) or a clear error.
- ``always``: trusted publishing or a clear error; configured credentials are ignored (with a warning).
- ``never``: never tries trusted publishing.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tpublish.output import ci
from tpublish.auth.claims import GITHUB_ISSUER
from tpublish.errors import TrustedPublishingError
from tpublish.auth.oidc import PROVIDERS, TrustedPublisher, detect_provider, endpoints, fetch_audience

if TYPE_CHECKING:
    import httpx

    from tpublish.output.console import Console
    from tpublish.auth.credentials import Credential
    from tpublish.auth.oidc import MintedToken
    from tpublish.publish.publisher import CredentialSource
    from tpublish.auth.settings import Repository

AUTO, ALWAYS, NEVER = "auto", "always", "never"


@dataclass
class Login:
    """The credential source chosen for a run and a sentence saying where it comes from."""

    source: CredentialSource | None
    description: str
    credential: Credential | None = None
    trusted: TrustedPublisher | None = None


def configured_credential(
    console: Console, repository: Repository, options: dict[str, Any], *, interactive: bool
) -> Credential | None:
    """Flags > TPUBLISH_* > TWINE_* > .pypirc > keyring; a half-given one is completed at the prompt."""
    from tpublish.auth.credentials import resolve_credential

    notes: list[str] = []
    credential = resolve_credential(
        repository=repository,
        token=options["token"],
        username=options["username"],
        password=options["password"],
        env=os.environ,
        use_keyring=not options["no_keyring"],
        interactive=interactive,
        notes=notes,
    )
    for note in notes:
        console.verbose(note)
    if credential is not None:
        for warning in credential.warnings:
            console.warning(warning)
    return credential


def choose_login(
    console: Console,
    repository: Repository,
    client: httpx.Client,
    options: dict[str, Any],
    *,
    interactive: bool,
) -> Login:
    """Decide, in the documented order, how this run authenticates; mint now for trusted publishing."""
    from tpublish.publish.publisher import StaticCredential

    mode = options["trusted_publishing"]
    credential = None
    if mode != ALWAYS:
        credential = configured_credential(console, repository, options, interactive=interactive)
    elif _anything_configured(options):
        console.warning("--trusted-publishing always: the configured credential is not used")
    if credential is not None:
        return Login(
            StaticCredential(credential),
            f"{credential.username} (from {credential.source})",
            credential,
        )
    provider = detect_provider()
    if mode == ALWAYS and provider is None:
        names = ", ".join(name for _, name in PROVIDERS)
        raise TrustedPublishingError(
            "--trusted-publishing always, but no CI identity was found here",
            hint=f"trusted publishing works in {names}",
        )
    if mode != NEVER and provider is not None:
        backoff = options.get("retry_backoff", 1.0)
        trusted = start_trusted_publishing(console, repository, client, provider, backoff=backoff)
        return Login(trusted, f"__token__ (trusted publishing, {provider})", trusted=trusted)
    if interactive:
        from tpublish.auth.credentials import prompt_credential

        credential = prompt_credential(repository, interactive=True)
        return Login(
            StaticCredential(credential), f"{credential.username} (from prompt)", credential
        )
    return Login(None, "none")


def _anything_configured(options: dict[str, Any]) -> bool:
    if options["token"] or options["username"] or options["password"]:
        return True
    names = ("TPUBLISH_TOKEN", "TPUBLISH_PASSWORD", "TWINE_PASSWORD")
    return any(os.environ.get(name) for name in names)


def start_trusted_publishing(
    console: Console,
    repository: Repository,
    client: httpx.Client,
    provider: str,
    *,
    backoff: float = 1.0,
) -> TrustedPublisher:
    """Audience, ambient OIDC token, exchange: a minted token in hand, or a clear error."""
    where = endpoints(repository.url)
    console.verbose(
        f"trusted publishing: {provider} detected; asking {where.audience} for the audience"
    )
    audience = fetch_audience(client, where)
    console.verbose(f"trusted publishing: audience {audience!r}")

    def minted(token: MintedToken) -> None:
        # In --json mode stdout is the report; the runner reads workflow commands on stderr too.
        ci.mask(token.token, sys.stderr if console.json_mode else sys.stdout)
        lifetime = (
            "" if token.expires_reported else " (the index did not say when; assuming 15 min)"
        )
        console.verbose(f"trusted publishing: upload token minted{lifetime}")

    def check_claims(claims: dict[str, Any]) -> None:
        from tpublish.auth.claims import reusable_workflow_warning

        warning = reusable_workflow_warning(claims) if claims.get("iss") == GITHUB_ISSUER else None
        if warning:
            console.warning(warning)
            ci.annotate("warning", f"Potential workflow misconfiguration: {warning}")

    trusted = TrustedPublisher(
        client,
        where,
        audience,
        provider,
        on_mint=minted,
        on_claims=check_claims,
        exchange_backoff=backoff,
    )
    trusted.current()  # exchange now: a refused exchange stops the run before any file is sent
    return trusted
