"""CI identity tokens for the stand-in: GitHub Actions and gitlab.com job JWTs with ``aud`` "sigstore".

The claims are the fake index's realistic sets (``fakeindex.claims``: octo/demo, release.yml or
.gitlab-ci.yml, tag v1.0.0), signed RS256 with a shared test key; the stand-in never checks the
signature. An override of ``None`` removes a claim.
"""

from __future__ import annotations

import time
from typing import Any

from fakeindex.claims import GITHUB_ISSUER, GITLAB_ISSUER, github_claims, gitlab_claims
from fakeindex.jwt import shared_key

AUDIENCE = "sigstore"


def make_token(
    issuer: str, claims: dict[str, Any], *, lifetime: int = 300, **overrides: Any
) -> str:
    """A signed JWT from ``issuer`` with ``claims``, fresh ``iat``/``nbf``/``exp`` and ``overrides``."""
    now = int(time.time())
    full: dict[str, Any] = {
        "iss": issuer,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": f"fakesigstore-{time.monotonic_ns()}",
        **claims,
    }
    for name, value in overrides.items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = value
    return shared_key("sigstore").sign(full)


def github_token(**overrides: Any) -> str:
    """A GitHub Actions job token of octo/demo running .github/workflows/release.yml on v1.0.0."""
    return make_token(GITHUB_ISSUER, github_claims(), **overrides)


def gitlab_token(**overrides: Any) -> str:
    """A gitlab.com job token of octo/demo's .gitlab-ci.yml pipeline on tag v1.0.0."""
    return make_token(GITLAB_ISSUER, gitlab_claims(), **overrides)
