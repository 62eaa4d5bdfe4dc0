"""What Fulcio writes into a leaf certificate for a CI identity token: the SAN URI and the claim extensions.

Follows Fulcio's ``ci-issuer-metadata`` templates (``config/identity/config.yaml``) for the
``github-workflow`` and ``gitlab-pipeline`` providers and its OID list (``docs/oid-info.md``):
1.3.6.1.4.1.57264.1.1-.6 are the deprecated raw-string extensions, .8 onwards are DER UTF8Strings.
Like Fulcio, a claim that a template needs must be present; an empty value leaves its extension out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import der

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER = "https://gitlab.com"

_PREFIX = "1.3.6.1.4.1.57264.1."
ISSUER_V1 = _PREFIX + "1"
GITHUB_WORKFLOW_TRIGGER = _PREFIX + "2"
GITHUB_WORKFLOW_SHA = _PREFIX + "3"
GITHUB_WORKFLOW_NAME = _PREFIX + "4"
GITHUB_WORKFLOW_REPOSITORY = _PREFIX + "5"
GITHUB_WORKFLOW_REF = _PREFIX + "6"
ISSUER_V2 = _PREFIX + "8"
BUILD_SIGNER_URI = _PREFIX + "9"
BUILD_SIGNER_DIGEST = _PREFIX + "10"
RUNNER_ENVIRONMENT = _PREFIX + "11"
SOURCE_REPOSITORY_URI = _PREFIX + "12"
SOURCE_REPOSITORY_DIGEST = _PREFIX + "13"
SOURCE_REPOSITORY_REF = _PREFIX + "14"
SOURCE_REPOSITORY_IDENTIFIER = _PREFIX + "15"
SOURCE_REPOSITORY_OWNER_URI = _PREFIX + "16"
SOURCE_REPOSITORY_OWNER_IDENTIFIER = _PREFIX + "17"
BUILD_CONFIG_URI = _PREFIX + "18"
BUILD_CONFIG_DIGEST = _PREFIX + "19"
BUILD_TRIGGER = _PREFIX + "20"
RUN_INVOCATION_URI = _PREFIX + "21"
SOURCE_REPOSITORY_VISIBILITY = _PREFIX + "22"
DEPLOYMENT_ENVIRONMENT = _PREFIX + "23"

_RAW_OIDS = {
    ISSUER_V1,
    GITHUB_WORKFLOW_TRIGGER,
    GITHUB_WORKFLOW_SHA,
    GITHUB_WORKFLOW_NAME,
    GITHUB_WORKFLOW_REPOSITORY,
    GITHUB_WORKFLOW_REF,
}


class IdentityError(Exception):
    """The token's claims cannot make a certificate (unknown issuer, missing claim)."""


@dataclass(frozen=True)
class Identity:
    """The certificate content derived from one token: ``extensions`` maps dotted OIDs to text."""

    issuer: str
    san_uri: str
    extensions: dict[str, str]

    def encoded_extensions(self) -> list[tuple[str, bytes]]:
        """(OID, DER extension value) pairs in OID order, empty values left out."""
        return [
            (oid, value.encode() if oid in _RAW_OIDS else der.utf8_string(value))
            for oid, value in sorted(
                self.extensions.items(), key=lambda kv: int(kv[0].rsplit(".", 1)[1])
            )
            if value
        ]


class _Claims:
    """Claim lookup that fails like a Fulcio template with a missing key."""

    def __init__(self, claims: Mapping[str, Any]) -> None:
        self._claims = claims

    def __getitem__(self, name: str) -> str:
        value = self._claims.get(name)
        if value is None:
            raise IdentityError(f"token is missing the {name!r} claim")
        return str(value)

    def get(self, name: str) -> str:
        value = self._claims.get(name)
        return "" if value is None else str(value)


def _github(c: _Claims) -> Identity:
    url = "https://github.com"
    repository = c["repository"]
    return Identity(
        issuer=c["iss"],
        san_uri=f"{url}/{c['job_workflow_ref']}",
        extensions={
            ISSUER_V1: c["iss"],
            GITHUB_WORKFLOW_TRIGGER: c["event_name"],
            GITHUB_WORKFLOW_SHA: c["sha"],
            GITHUB_WORKFLOW_NAME: c["workflow"],
            GITHUB_WORKFLOW_REPOSITORY: repository,
            GITHUB_WORKFLOW_REF: c["ref"],
            ISSUER_V2: c["iss"],
            BUILD_SIGNER_URI: f"{url}/{c['job_workflow_ref']}",
            BUILD_SIGNER_DIGEST: c["job_workflow_sha"],
            RUNNER_ENVIRONMENT: c["runner_environment"],
            SOURCE_REPOSITORY_URI: f"{url}/{repository}",
            SOURCE_REPOSITORY_DIGEST: c["sha"],
            SOURCE_REPOSITORY_REF: c["ref"],
            SOURCE_REPOSITORY_IDENTIFIER: c["repository_id"],
            SOURCE_REPOSITORY_OWNER_URI: f"{url}/{c['repository_owner']}",
            SOURCE_REPOSITORY_OWNER_IDENTIFIER: c["repository_owner_id"],
            BUILD_CONFIG_URI: f"{url}/{c['workflow_ref']}",
            BUILD_CONFIG_DIGEST: c["workflow_sha"],
            BUILD_TRIGGER: c["event_name"],
            RUN_INVOCATION_URI: f"{url}/{repository}/actions/runs/{c['run_id']}/attempts/{c['run_attempt']}",
            SOURCE_REPOSITORY_VISIBILITY: c["repository_visibility"],
            DEPLOYMENT_ENVIRONMENT: c.get("environment"),
        },
    )


def _gitlab(c: _Claims) -> Identity:
    url = "https://gitlab.com"
    project = c["project_path"]
    kind = "heads" if c["ref_type"] == "branch" else "tags"
    return Identity(
        issuer=c["iss"],
        san_uri=f"https://{c['ci_config_ref_uri']}",
        extensions={
            ISSUER_V1: c["iss"],
            ISSUER_V2: c["iss"],
            BUILD_SIGNER_URI: f"https://{c['ci_config_ref_uri']}",
            BUILD_SIGNER_DIGEST: c["ci_config_sha"],
            RUNNER_ENVIRONMENT: c["runner_environment"],
            SOURCE_REPOSITORY_URI: f"{url}/{project}",
            SOURCE_REPOSITORY_DIGEST: c["sha"],
            SOURCE_REPOSITORY_REF: f"refs/{kind}/{c['ref']}",
            SOURCE_REPOSITORY_IDENTIFIER: c["project_id"],
            SOURCE_REPOSITORY_OWNER_URI: f"{url}/{c['namespace_path']}",
            SOURCE_REPOSITORY_OWNER_IDENTIFIER: c["namespace_id"],
            BUILD_CONFIG_URI: f"https://{c['ci_config_ref_uri']}",
            BUILD_CONFIG_DIGEST: c["ci_config_sha"],
            BUILD_TRIGGER: c["pipeline_source"],
            RUN_INVOCATION_URI: f"{url}/{project}/-/jobs/{c['job_id']}",
            SOURCE_REPOSITORY_VISIBILITY: c["project_visibility"],
            DEPLOYMENT_ENVIRONMENT: c.get("environment"),
        },
    )


PROVIDERS: dict[str, Callable[[_Claims], Identity]] = {
    GITHUB_ISSUER: _github,
    GITLAB_ISSUER: _gitlab,
}


def identity_from_claims(claims: Mapping[str, Any]) -> Identity:
    """The certificate identity for a (GitHub Actions or gitlab.com) job token's claims."""
    issuer = claims.get("iss")
    provider = PROVIDERS.get(issuer) if isinstance(issuer, str) else None
    if provider is None:
        raise IdentityError(f"unsupported issuer {issuer!r}")
    return provider(_Claims(claims))
