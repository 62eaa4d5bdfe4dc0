"""A refused token exchange, explained: what the code means, the claims that matter for it, and
what to do, in the CI provider's own terms.

Every refusal shows the token's ``iss``, ``aud`` (next to the audience the index asked for) and
``exp``, then the identity claims that code is about. GitLab refusals get GitLab's hints
(``id_tokens`` and its ``aud``, the top-level pipeline file, protected environments and branches);
a GitHub job inside a reusable workflow of another repository is told that no publisher can
match it, instead of being shown a publisher form that never will.
"""

from __future__ import annotations

import time
from typing import Any

from tpublish.auth.claims import (
    TROUBLESHOOTING_URL,
    claim_lines,
    decode_claims,
    gitlab_ci_path,
    issuer_kind,
    mismatch_details,
    reusable_workflow_explanation,
    reusable_workflow_from_elsewhere,
)
from tpublish.errors import TrustedPublishingError
from tpublish.redact import excerpt

# What each refusal code means and what to do, beyond the index's own description.
REFUSALS = {
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

# The identity claims each code is about, beyond iss/aud/exp (GitHub, GitLab).
_IDENTITY = {
    "invalid-token": (("sub",), ("sub", "project_path")),
    "invalid-reuse-token": (("jti", "sub", "workflow_ref"), ("jti", "sub", "ci_config_ref_uri")),
    "not-enabled": (("sub", "repository"), ("sub", "project_path")),
}
_FORM_CODES = ("invalid-publisher", "invalid-pending-publisher", "invalid-payload")
# An answer to the exchange without Warehouse's error envelope (a 5xx, a 429, a proxy's page).
UNEXPECTED = "Token request failed: the index produced an unexpected {status} response."
UNEXPECTED_HINT = (
    "the index may be having trouble: wait a little and retry, or check its status page"
)


def refusal(
    status: int, body: Any, oidc_token: str, audience: str | None = None
) -> TrustedPublishingError:
    """The error for a mint-token answer that is not a success (4xx with Warehouse's envelope)."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return TrustedPublishingError(UNEXPECTED.format(status=status), hint=UNEXPECTED_HINT)
    first = errors[0] if isinstance(errors[0], dict) else {}
    code, description = (
        excerpt(str(first.get("code", "unknown"))),
        excerpt(str(first.get("description", ""))),
    )
    summary, hint = REFUSALS.get(
        code, (f"the index refused the token ({code})", f"see {TROUBLESHOOTING_URL}")
    )
    reasons = tuple(
        f"* `{excerpt(str(e.get('code')))}`: {excerpt(str(e.get('description', '')))}"
        for e in errors[:10]
        if isinstance(e, dict)
    )
    claims = decode_claims(oidc_token)
    details, hint = _explain(code, claims, audience, hint)
    return TrustedPublishingError(
        f"{summary}: {code}: {description}", hint=hint, details=(*reasons, *details)
    )


def _explain(
    code: str, claims: dict[str, Any], audience: str | None, hint: str
) -> tuple[tuple[str, ...], str]:
    """The detail lines and the hint for ``code``, given the token's claims."""
    if not claims:
        return (), hint
    kind = issuer_kind(claims)
    token = token_lines(claims, audience)
    if kind == "GitHub" and code in _FORM_CODES and reusable_workflow_from_elsewhere(claims):
        # No publisher form can match: say why, not what to type.
        lines = (*token, *claim_lines(claims), f"See {TROUBLESHOOTING_URL}")
        return lines, reusable_workflow_explanation(claims)
    if code in _FORM_CODES:
        lines = mismatch_details(claims, token)
    else:
        github, gitlab = _IDENTITY.get(code, (("sub",), ("sub",)))
        lines = (
            "The job's OIDC token (for debugging; not a configuration to copy blindly):",
            *token,
            *claim_lines(claims, gitlab if kind == "GitLab" else github),
            f"See {TROUBLESHOOTING_URL}",
        )
    if kind == "GitLab":
        hint = gitlab_hint(code, claims, audience) or hint
    return lines, hint


def token_lines(claims: dict[str, Any], audience: str | None) -> list[str]:
    """``iss``, ``aud`` (and the audience the index wants, when they differ) and ``exp``, in words."""
    aud = claims.get("aud", "MISSING")
    wanted = ""
    if (
        audience is not None
        and aud != audience
        and audience not in (aud if isinstance(aud, list) else [])
    ):
        wanted = f" (the index wants {audience!r})"
    return [
        f"  iss: {claims.get('iss', 'MISSING')}",
        f"  aud: {aud}{wanted}",
        f"  exp: {describe_expiry(claims.get('exp'))}",
    ]


def describe_expiry(exp: Any, now: float | None = None) -> str:
    """``1767225600 (2026-01-01T00:00:00Z, expired 3 min ago)``."""
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        return "MISSING" if exp is None else str(exp)
    try:
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(exp))
    except (OverflowError, ValueError, OSError):  # NaN, infinite, or beyond the platform's clock
        return str(exp)
    now = time.time() if now is None else now
    left = exp - now
    span = _span(abs(left))
    state = f"valid for {span} more" if left > 0 else f"expired {span} ago"
    return f"{int(exp)} ({when}, {state})"


def _span(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def id_token_variable(audience: str) -> str:
    """The variable ``id`` reads a GitLab token from: ``pypi`` -> ``PYPI_ID_TOKEN`` (protocol §4.5)."""
    name = "".join(c if c.isalnum() and c.isascii() else "_" for c in audience.upper())
    if name[:1].isdigit():
        name = "_" + name[1:]
    return f"{name}_ID_TOKEN"


def gitlab_hint(code: str, claims: dict[str, Any], audience: str | None) -> str | None:
    """What to change in ``.gitlab-ci.yml`` or GitLab's settings for a refusal ``code``."""
    aud = audience or str(claims.get("aud", "pypi"))
    id_tokens = f"`id_tokens: {id_token_variable(aud)}: aud: {aud}`"
    if code == "invalid-token":
        return (
            f"in .gitlab-ci.yml the publishing job needs {id_tokens} (the index's audience; "
            "`testpypi` for TestPyPI), and the runner's clock must be right"
        )
    if code in ("invalid-publisher", "invalid-pending-publisher"):
        path = gitlab_ci_path(str(claims.get("ci_config_ref_uri", ""))) or ".gitlab-ci.yml"
        environment = claims.get("environment")
        deploy = (
            f"its environment `{environment}`"
            if environment
            else "an environment only if the job declares `environment:`"
        )
        return (
            f"the GitLab publisher must name the project's namespace and name, the top-level "
            f"pipeline file `{path}` (not an included file) and {deploy}; make that environment "
            "protected (Settings > CI/CD > Protected environments) so only protected branches "
            "and tags can publish"
        )
    if code == "invalid-reuse-token":
        return (
            "GitLab gives one OIDC token per job and the index takes each token once: run one "
            "upload per job, with no `tpublish auth --exchange` before it"
        )
    if code == "not-enabled":
        return (
            "the index has turned GitLab trusted publishing off: use an API token (a masked, "
            "protected CI/CD variable) until it is back"
        )
    if code == "invalid-payload":
        return (
            "a self-managed GitLab must be registered with the index by its organisation; on "
            f"gitlab.com check {id_tokens} in .gitlab-ci.yml"
        )
    return None
