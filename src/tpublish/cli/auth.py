"""``tpublish auth``: which credential a run would use, and for trusted publishing, why or why not.

Shows the detected CI provider, the credential source that would win, the index's audience, the
OIDC token's claims next to the publisher-form values, and with ``--exchange`` whether the index
accepts the token. Secrets are never shown: only where they come from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tpublish.auth.claims import (
    SHOWN_CLAIMS,
    decode_claims,
    publisher_form,
    reusable_workflow_warning,
)
from tpublish.auth.exchange import burn_token, mint
from tpublish.auth.login import (
    ALWAYS,
    NEVER,
    configured_credential,
    describe,
    no_ci_identity_error,
)
from tpublish.auth.oidc import (
    Unavailable,
    ambient_token,
    detect_provider,
    endpoints,
    fetch_audience,
    limit,
)
from tpublish.cli.target import make_http_client, resolve_target
from tpublish.errors import EXIT_OK, EXIT_TRUSTED_PUBLISHING, TPublishError
from tpublish.index.retry import RetryPolicy

if TYPE_CHECKING:
    import httpx

    from tpublish.auth.settings import Repository
    from tpublish.cli.options import AuthOptions
    from tpublish.output.console import Console


def run_auth(console: Console, options: AuthOptions) -> int:
    repository = resolve_target(console, options.target)
    report: dict[str, Any] = {
        "repository_url": repository.url,
        "repository_source": repository.url_source,
    }
    provider = detect_provider()
    report["ci_provider"] = provider
    mode = options.credentials.trusted_publishing
    credential = configured_credential(console, repository, options.credentials, interactive=False)
    report["credential"] = (
        {"username": credential.username, "source": credential.source, "kind": credential.kind}
        if credential
        else None
    )
    tp_applies = mode != NEVER and provider is not None
    report["would_use"] = _would_use(credential, tp_applies, provider)
    exit_code = EXIT_OK
    if tp_applies:
        with make_http_client(repository, options.network) as client:
            exit_code = _trusted_publishing_report(client, repository, options.exchange, report)
    elif mode == ALWAYS or options.exchange:
        exit_code = _no_trusted_publishing(report, mode)
    report["exit_code"] = exit_code
    _show(console, report)
    return exit_code


def _no_trusted_publishing(report: dict[str, Any], mode: str) -> int:
    """``--trusted-publishing always`` or ``--exchange`` where trusted publishing cannot run: exit 5."""
    if mode == NEVER:
        message = "--exchange: there is nothing to exchange with --trusted-publishing never"
        hint: str | None = "drop --trusted-publishing never to try the exchange"
    else:
        option = "--trusted-publishing always" if mode == ALWAYS else "--exchange"
        message, hint = f"{option}, but no CI identity was found here", no_ci_identity_error().hint
    report["trusted_publishing"] = {"error": message, "hint": hint, "details": []}
    return EXIT_TRUSTED_PUBLISHING


def _would_use(credential: Any, tp_applies: bool, provider: str | None) -> str:
    if credential is not None:
        return describe(credential)
    if tp_applies:
        return f"trusted publishing ({provider})"
    return "none: a run would prompt on a terminal, or fail with exit code 3"


def _trusted_publishing_report(
    client: httpx.Client, repository: Repository, exchange: bool, report: dict[str, Any]
) -> int:

    where = endpoints(repository.url)
    tp: dict[str, Any] = {"audience_url": where.audience, "mint_url": where.mint}
    report["trusted_publishing"] = tp
    try:
        retry = RetryPolicy()
        tp["audience"] = audience = retry.call(
            lambda: fetch_audience(client, where), transient=(Unavailable,)
        )
        token = retry.call(
            lambda: ambient_token(audience, seconds=limit(client)), transient=(Unavailable,)
        )
        if token is None:
            tp["error"] = "the CI provider gave no OIDC token"
            return EXIT_TRUSTED_PUBLISHING
        claims = decode_claims(token)
        tp["claims"] = claims
        tp["publisher_form"] = dict(publisher_form(claims))
        tp["warning"] = reusable_workflow_warning(claims)
        if exchange:
            minted = mint(client, where, token, audience=audience)
            tp["exchange"] = (
                "accepted: the index minted an upload token (revoked again where the index allows)"
            )
            burn_token(client, where, minted.token)
    except TPublishError as exc:
        tp["error"] = str(exc)
        tp["hint"] = exc.hint
        tp["details"] = list(exc.details)
        return exc.exit_code
    return EXIT_OK


def _show(console: Console, report: dict[str, Any]) -> None:
    if console.json_mode:
        console.emit_json(report)
        return
    lines = [
        f"repository:      {report['repository_url']} (from {report['repository_source']})",
        f"CI provider:     {report['ci_provider'] or 'none detected'}",
        f"credential used: {report['would_use']}",
    ]
    tp = report.get("trusted_publishing")
    if tp:
        if tp.get("audience_url"):
            lines.append(f"audience:        {tp.get('audience', '?')} (from {tp['audience_url']})")
        for label, value in (tp.get("publisher_form") or {}).items():
            lines.append(f"  publisher {label}: {value}")
        lines += [
            f"  claim {name}: {value}" for name, value in _shown_claims(tp.get("claims") or {})
        ]
        if tp.get("warning"):
            lines.append(f"warning: {tp['warning']}")
        if tp.get("exchange"):
            lines.append(f"exchange:        {tp['exchange']}")
        if tp.get("error"):
            lines.append(f"error: {tp['error']}")
            lines += [f"  {line}" for line in tp.get("details", [])]
            if tp.get("hint"):
                lines.append(f"hint: {tp['hint']}")
    for line in lines:
        console.result(line)


def _shown_claims(claims: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(name, claims[name]) for name in SHOWN_CLAIMS if name in claims]
