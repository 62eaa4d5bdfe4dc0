"""CI jobs that sign with Sigstore (``upload --attest``): the stand-in, the index's verifier, the jobs.

The fake GitHub job gets both of its OIDC tokens (``pypi`` for the exchange, ``sigstore`` for
Fulcio) through the real ``id`` package from the fake index's token endpoint; the fake GitLab job
has them as ``PYPI_ID_TOKEN`` and ``SIGSTORE_ID_TOKEN``, as GitLab sets them for a job that declares
both ``id_tokens``. tpublish finds the stand-in through ``TPUBLISH_SIGSTORE_TRUST_CONFIG``.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from pypi_attestations import Attestation, Distribution, GitHubPublisher, GitLabPublisher
from sigstore.oidc import IdentityToken
from sigstore.sign import SigningContext

from fakeindex import FakeIndex, Publisher
from fakeindex.index import AttestationVerifier
from fakesigstore import FakeSigstore
from tp_helpers import github_env

GITHUB = GitHubPublisher(repository="octo/demo", workflow="release.yml")
GITLAB = GitLabPublisher(repository="octo/demo", workflow_filepath=".gitlab-ci.yml")


def trust_env(sigstore: FakeSigstore, tmp_path: Path) -> dict[str, str]:
    path = sigstore.write_trust_config(tmp_path / "trust-config.json")
    return {"TPUBLISH_SIGSTORE_TRUST_CONFIG": str(path)}


def github_signing_env(index: FakeIndex, sigstore: FakeSigstore, tmp_path: Path) -> dict[str, str]:
    """A GitHub Actions job with ``id-token: write`` whose publisher the index knows."""
    index.add_publisher("github", ["demo-pkg"])
    return {**github_env(index), **trust_env(sigstore, tmp_path)}


def gitlab_env(
    index: FakeIndex, *, sigstore: bool = True, sigstore_token: str | None = None
) -> dict[str, str]:
    """A gitlab.com job with ``id_tokens`` for ``pypi`` and (with ``sigstore``) ``sigstore``."""
    env = {"GITLAB_CI": "true", "CI": "true", "PYPI_ID_TOKEN": index.gitlab_oidc_token()}
    if sigstore:
        env["SIGSTORE_ID_TOKEN"] = sigstore_token or index.gitlab_oidc_token(aud="sigstore")
    return env


def as_pypi_publisher(publisher: Publisher) -> GitHubPublisher | GitLabPublisher:
    """The fake index's trusted publisher as pypi-attestations models it (what Warehouse passes)."""
    config = publisher.config
    environment = config.get("environment") or None
    if publisher.kind == "github":
        return GitHubPublisher(
            repository=f"{config['repository_owner']}/{config['repository_name']}",
            workflow=config["workflow_filename"],
            environment=environment,
        )
    return GitLabPublisher(
        repository=f"{config['namespace']}/{config['project']}",
        workflow_filepath=config["workflow_filepath"],
        environment=environment,
    )


def index_verifier(sigstore: FakeSigstore) -> AttestationVerifier:
    """Warehouse's integrity check: each attestation verified against the uploading publisher."""

    def verify(attestation: dict[str, Any], publisher: Publisher, filename: str, sha: str) -> None:
        sigstore.verify(
            Attestation.model_validate(attestation),
            as_pypi_publisher(publisher),
            Distribution(name=filename, digest=sha),
        )

    return verify


def verify_received(
    index: FakeIndex,
    sigstore: FakeSigstore,
    publisher: GitHubPublisher | GitLabPublisher,
    filename: str,
) -> Attestation:
    """The one attestation the index received with ``filename``, verified for ``publisher``."""
    stored = index.files[filename]
    assert stored.attestations is not None and len(stored.attestations) == 1
    attestation = Attestation.model_validate(stored.attestations[0])
    sigstore.verify(attestation, publisher, Distribution(name=filename, digest=stored.sha256))
    return attestation


def sign_beside(sigstore: FakeSigstore, token: str, path: Path) -> Path:
    """An attestation made outside tpublish (another run, another job), left beside ``path``."""
    with SigningContext.from_trust_config(sigstore.trust_config()).signer(
        IdentityToken(token)
    ) as signer:
        attestation = Attestation.sign(signer, Distribution.from_file(path))
    target = path.with_name(path.name + ".publish.attestation")
    target.write_text(attestation.model_dump_json())
    return target


def _segment(document: dict[str, Any]) -> str:
    # A leading space keeps the segment from starting with "eyJ", the shape redact's JWT pattern
    # masks on its own: only registering the token can hide this one.
    raw = (" " + json.dumps(document)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def canary_token(claims: dict[str, Any]) -> str:
    """A GitLab ``sigstore`` token no pattern recognises: a leak shows unless it was registered."""
    now = int(time.time())
    payload = {
        "iss": "https://gitlab.com",
        "aud": "sigstore",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "canary-jti-1f3b",
        **claims,
    }
    signature = base64.urlsafe_b64encode(b"canary-signature-7c2e9a").decode().rstrip("=")
    return f"{_segment({'alg': 'RS256', 'typ': 'JWT'})}.{_segment(payload)}.{signature}"
