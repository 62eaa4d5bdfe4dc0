"""The CI job's identity for signing attestations: a second OIDC token, for the audience ``sigstore``.

gh-action-pypi-publish asks the CI provider for it exactly as for the index's token; so do we,
through the same bounded ``oidc.ci_token``. GitHub Actions gives it to any job with
``id-token: write``; a GitLab job must declare it (``id_tokens: SIGSTORE_ID_TOKEN: aud:
sigstore``), since GitLab hands out only the tokens a job names. The token is a secret: it is
registered with ``redact`` the moment we have it. Nothing here talks to Sigstore
(``publish.signing`` does): this module gets the token, says whose it is, and explains why there
is none.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from tpublish.auth.claims import decode_claims, github_fork_pull_request, issuer_kind
from tpublish.auth.github_token import PermissionMissing, TokenRequestFailed, TokenTimedOut
from tpublish.auth.oidc import PROVIDERS, ci_token, detect_provider, limit_for
from tpublish.auth.refusals import id_token_variable
from tpublish.errors import SigningError
from tpublish.redact import redact
from tpublish.untrusted import printable

AUDIENCE = "sigstore"
GITLAB_VARIABLE = id_token_variable(AUDIENCE)  # SIGSTORE_ID_TOKEN
GITLAB_SNIPPET = "id_tokens: { SIGSTORE_ID_TOKEN: { aud: sigstore } }"
GITHUB_PERMISSION_HINT = (
    "give the publishing job `permissions: id-token: write` (at job level): the same permission "
    "trusted publishing needs"
)


class IdentityUnavailable(SigningError):
    """This job has no ``sigstore`` token to offer (outside CI, or a GitLab job that names none).

    Signing by default (no ``--attest``) skips attestations with a warning on this one error;
    everything else about the identity is an error whichever way signing was asked for.
    """


@dataclass(frozen=True)
class SigningIdentity:
    """The job's ``sigstore`` token, the CI provider that gave it, and its (unverified) claims."""

    token: str = field(repr=False)
    provider: str
    claims: dict[str, Any] = field(repr=False)

    @property
    def identity(self) -> str:
        """Whom the signing certificate will name: for CI jobs, Fulcio's Build Config URI."""
        kind = issuer_kind(self.claims)
        if kind == "GitHub" and self.claims.get("workflow_ref"):
            named = f"https://github.com/{self.claims['workflow_ref']}"
        elif kind == "GitLab" and self.claims.get("ci_config_ref_uri"):
            named = f"https://{self.claims['ci_config_ref_uri']}"
        else:
            named = f"{self.claims.get('sub', '?')} (issuer {self.claims.get('iss', '?')})"
        return printable(named)  # the CI provider's words: shown, so made safe to show

    @property
    def expires(self) -> float | None:
        exp = self.claims.get("exp")
        return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


def signing_identity(timeout: float | None = None) -> SigningIdentity:
    """The job's ``sigstore`` token, or a ``SigningError`` that says what the job lacks.

    Asked for within ``oidc.limit_for(timeout)`` seconds (``timeout``: the run's ``--timeout``).
    """
    provider = detect_provider()
    if provider is None:
        names = ", ".join(name for _, name in PROVIDERS)
        raise IdentityUnavailable(
            "attestations are signed with the CI job's identity, and no CI identity was found here",
            hint=f"sign in the publishing job ({names}), or sign elsewhere (`pypi-attestations "
            "sign`) and upload the files with --attestations",
        )
    if provider == "GitLab CI/CD" and not os.environ.get(GITLAB_VARIABLE):
        raise IdentityUnavailable(
            f"this GitLab job has no `sigstore` ID token ({GITLAB_VARIABLE} is not set)",
            hint=f"declare it in the publishing job of .gitlab-ci.yml: {GITLAB_SNIPPET}",
        )
    token = _ambient_sigstore_token(provider, limit_for(timeout))
    return SigningIdentity(token, provider, decode_claims(token))


def _ambient_sigstore_token(provider: str, seconds: float) -> str:
    try:
        token = ci_token(AUDIENCE, seconds)
    except PermissionMissing as exc:
        if github_fork_pull_request(os.environ):
            raise SigningError(
                "GitHub never gives an OIDC token to a pull request from a fork, so this run "
                "cannot sign attestations",
                hint="publish from a workflow triggered by a tag, a release or workflow_dispatch",
            ) from exc
        raise SigningError(
            f"no OIDC token for signing: {redact(str(exc))}", hint=GITHUB_PERMISSION_HINT
        ) from exc
    except TokenTimedOut as exc:
        raise SigningError(
            f"{provider} did not give an OIDC token for signing within {seconds:.0f} s",
            hint="its token endpoint may be down; retry the job later",
        ) from exc
    except TokenRequestFailed as exc:
        hint = (
            f"the job's {GITLAB_VARIABLE} must be declared with `aud: sigstore`: {GITLAB_SNIPPET}"
            if provider == "GitLab CI/CD"
            else f"{provider} must give this job an OIDC token for the audience `sigstore`"
        )
        raise SigningError(
            f"could not get an OIDC token for signing from {provider}: {redact(str(exc))}",
            hint=hint,
        ) from exc
    if not token:
        raise IdentityUnavailable(
            f"{provider} gave no OIDC token for the audience `sigstore`",
            hint=f"{provider} must give this job an OIDC token (with `id-token: write` on GitHub)",
        )
    return token
