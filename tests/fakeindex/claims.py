"""Realistic OIDC claim sets of the CI providers (protocol §4), matching the fake's default publishers.

``FakeIndex.add_publisher(kind)`` without configuration registers exactly the identity these claims
describe, so ``index.github_oidc_token()`` mints successfully out of the box; tests then override one
claim at a time to break one check.
"""

from __future__ import annotations

import uuid
from typing import Any

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER = "https://gitlab.com"
GOOGLE_ISSUER = "https://accounts.google.com"
ACTIVESTATE_ISSUER = "https://platform.activestate.com/api/v1/oauth/oidc"
CIRCLECI_ISSUER = "https://oidc.circleci.com/org/7b4b7e47-0c37-4f53-bd3e-1b9e0dcd7b11"
BUILDKITE_ISSUER = "https://agent.buildkite.com"

# issuer URL -> Warehouse service name (the <service> of the "not-enabled" description)
KNOWN_ISSUERS = {
    GITHUB_ISSUER: "github",
    GITLAB_ISSUER: "gitlab",
    GOOGLE_ISSUER: "google",
    ACTIVESTATE_ISSUER: "activestate",
}

SHA = "6f1f8ea9f2a0f8b5c1d7e3a4b9c0d2e5f7a8b1c3"

DEFAULT_GITHUB = {
    "repository_owner": "octo",
    "repository_name": "demo",
    "repository_owner_id": "42",
    "workflow_filename": "release.yml",
    "environment": "",
}
DEFAULT_GITLAB = {
    "namespace": "octo",
    "project": "demo",
    "workflow_filepath": ".gitlab-ci.yml",
    "environment": "",
    "issuer_url": GITLAB_ISSUER,
}
DEFAULT_GOOGLE = {"email": "publisher@demo-project.iam.gserviceaccount.com", "sub": ""}


def github_claims() -> dict[str, Any]:
    """Job claims of a tag push in octo/demo running .github/workflows/release.yml (no environment)."""
    ref = "refs/tags/v1.0.0"
    workflow_ref = f"octo/demo/.github/workflows/release.yml@{ref}"
    return {
        "sub": f"repo:octo/demo:ref:{ref}",
        "repository": "octo/demo",
        "repository_id": "700100",
        "repository_owner": "octo",
        "repository_owner_id": "42",
        "repository_visibility": "public",
        "ref": ref,
        "ref_type": "tag",
        "ref_protected": "false",
        "sha": SHA,
        "workflow": "Release",
        "workflow_ref": workflow_ref,
        "workflow_sha": SHA,
        "job_workflow_ref": workflow_ref,
        "job_workflow_sha": SHA,
        "event_name": "push",
        "actor": "octocat",
        "actor_id": "583231",
        "run_id": "9876543210",
        "run_number": "17",
        "run_attempt": "1",
        "runner_environment": "github-hosted",
        "head_ref": "",
        "base_ref": "",
        "check_run_id": "31415926535",
    }


def gitlab_claims() -> dict[str, Any]:
    """Job claims of a tag pipeline of gitlab.com/octo/demo using .gitlab-ci.yml."""
    ref = "v1.0.0"
    return {
        "sub": f"project_path:octo/demo:ref_type:tag:ref:{ref}",
        "namespace_id": "4242",
        "namespace_path": "octo",
        "project_id": "700200",
        "project_path": "octo/demo",
        "user_id": "1001",
        "user_login": "octocat",
        "user_email": "octocat@example.com",
        "user_access_level": "maintainer",
        "pipeline_id": "123456",
        "pipeline_source": "push",
        "job_id": "654321",
        "ref": ref,
        "ref_type": "tag",
        "ref_path": f"refs/tags/{ref}",
        "ref_protected": "true",
        "runner_id": 12270859,
        "runner_environment": "gitlab-hosted",
        "sha": SHA,
        "project_visibility": "public",
        "ci_config_ref_uri": f"gitlab.com/octo/demo//.gitlab-ci.yml@refs/tags/{ref}",
        "ci_config_sha": SHA,
    }


def google_claims() -> dict[str, Any]:
    return {
        "azp": "112233445566778899000",
        "email": DEFAULT_GOOGLE["email"],
        "email_verified": True,
        "sub": "112233445566778899000",
        "google": {"compute_engine": {"project_id": "demo-project", "zone": "us-central1-a"}},
    }


def circleci_claims() -> dict[str, Any]:
    org = CIRCLECI_ISSUER.rsplit("/", 1)[1]
    project = "3f1d9a7e-1111-4c2b-9e8f-000000000042"
    return {
        "sub": f"org/{org}/project/{project}/user/8a7b6c5d-0000-4e3f-9a8b-000000000001",
        "oidc.circleci.com/project-id": project,
        "oidc.circleci.com/vcs-origin": "github.com/octo/demo",
        "oidc.circleci.com/vcs-ref": "refs/tags/v1.0.0",
        "oidc.circleci.com/context-ids": [],
    }


def buildkite_claims() -> dict[str, Any]:
    return {
        "sub": f"organization:octo:pipeline:demo:ref:refs/tags/v1.0.0:commit:{SHA}:step:release",
        "organization_slug": "octo",
        "pipeline_slug": "demo",
        "build_number": 17,
        "build_branch": "main",
        "build_tag": "v1.0.0",
        "build_commit": SHA,
        "step_key": "release",
        "job_id": "0190c3a8-0000-4d5e-8f9a-000000000017",
        "agent_id": "0190c3a8-0000-4d5e-8f9a-000000000001",
    }


def timed(
    claims: dict[str, Any], *, issuer: str, audience: str | list[str], now: int, lifetime: int = 300
) -> dict[str, Any]:
    """Add ``iss``, ``aud``, a fresh ``jti`` and GitHub's observed timing (nbf = iat - 5 min)."""
    return {
        "jti": str(uuid.uuid4()),
        **claims,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "nbf": now - 300,
        "exp": now + lifetime,
    }


def apply_overrides(claims: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Overrides replace claims; a value of ``None`` removes the claim. For GitHub, an ``environment``
    override also rewrites ``sub`` the way GitHub does (unless ``sub`` is overridden too)."""
    result = dict(claims)
    if overrides.get("environment") and "sub" not in overrides and "repository" in result:
        result["sub"] = (
            f"repo:{overrides.get('repository', result['repository'])}:environment:{overrides['environment']}"
        )
    for name, value in overrides.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result
