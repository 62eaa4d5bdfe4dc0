"""The offline Sigstore stand-in (tests/fakesigstore) against the real sigstore and pypi-attestations.

Signing goes through ``SigningContext.from_trust_config`` with the trust-config file the stand-in
writes, exactly as ``tpublish upload --attest --sigstore-trust-config PATH`` will; verification is
``pypi_attestations.Attestation.verify`` with its Trusted Publisher policies, against the stand-in's
root. Every test runs with connections to anything but 127.0.0.1 refused.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pypi_attestations import (
    Attestation,
    AttestationError,
    AttestationType,
    Distribution,
    GitHubPublisher,
    GitLabPublisher,
    VerificationError,
)
from sigstore._internal.fulcio.client import ExpiredCertificate, FulcioClientError
from sigstore._internal.merkle import verify_merkle_inclusion
from sigstore._internal.rekor import RekorClientError
from sigstore._internal.rekor.client import RekorClient
from sigstore.errors import VerificationError as SigstoreVerificationError
from sigstore.models import ClientTrustConfig, TransparencyLogEntry
from sigstore.oidc import IdentityError, IdentityToken
from sigstore.sign import SigningContext
from sigstore.verify.policy import OIDCBuildConfigURI

from builders import make_release, make_wheel
from fakeindex import FakeIndex
from fakesigstore import FakeSigstore, fake_sigstore, merkle

GITHUB = GitHubPublisher(repository="octo/demo", workflow="release.yml")
GITLAB = GitLabPublisher(repository="octo/demo", workflow_filepath=".gitlab-ci.yml")
BUILD_CONFIG_URI = "1.3.6.1.4.1.57264.1.18"


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse any connection that leaves the machine: the stand-in must be all sigstore needs."""
    connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in (
            "127.0.0.1",
            "::1",
        ):
            raise OSError(f"test tried to reach {address!r}")
        connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def sigstore() -> Iterator[FakeSigstore]:
    with fake_sigstore() as running:
        yield running


@pytest.fixture
def dists(tmp_path: Path) -> list[Path]:
    return make_release(tmp_path / "dist", "demo-pkg", "1.0.0")


def load_config(sigstore: FakeSigstore, tmp_path: Path) -> ClientTrustConfig:
    """What the code under test does with ``--sigstore-trust-config PATH``."""
    path = sigstore.write_trust_config(tmp_path / "trust-config.json")
    return ClientTrustConfig.from_json(path.read_text())


def sign(config: ClientTrustConfig, token: str, paths: list[Path]) -> list[Attestation]:
    """Sign like gh-action-pypi-publish: one signer (one certificate) for all files; each
    attestation goes through JSON as it would on its way to the index."""
    with SigningContext.from_trust_config(config).signer(IdentityToken(token)) as signer:
        signed = [Attestation.sign(signer, Distribution.from_file(path)) for path in paths]
    return [Attestation.model_validate_json(a.model_dump_json()) for a in signed]


def test_trust_config_points_sigstore_at_the_stand_in(
    sigstore: FakeSigstore, tmp_path: Path
) -> None:
    config = load_config(sigstore, tmp_path)
    signing = config.signing_config
    assert signing.get_fulcio().url == sigstore.fulcio_url
    [rekor] = signing.get_tlogs()
    assert isinstance(rekor, RekorClient)  # Rekor v1: its inclusion promise dates the signature
    assert rekor.url == f"{sigstore.rekor_url}/api/v1"
    assert signing.get_tsas() == []
    assert config.trusted_root.get_timestamp_authorities() == []
    assert config.trusted_root.get_fulcio_certs() == sigstore.fulcio.chain


def test_github_wheel_and_sdist_sign_and_verify(
    sigstore: FakeSigstore, tmp_path: Path, dists: list[Path]
) -> None:
    attestations = sign(load_config(sigstore, tmp_path), sigstore.github_token(), dists)

    for path, attestation in zip(dists, attestations, strict=True):
        predicate_type, predicate = sigstore.verify(
            attestation, GITHUB, Distribution.from_file(path)
        )
        assert predicate_type == AttestationType.PYPI_PUBLISH_V1
        assert predicate is None
        assert attestation.statement["subject"][0]["name"] == path.name
        claims = attestation.certificate_claims
        assert claims[BUILD_CONFIG_URI] == (
            "https://github.com/octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0"
        )
        assert claims["1.3.6.1.4.1.57264.1.8"] == "https://token.actions.githubusercontent.com"
        assert claims["1.3.6.1.4.1.57264.1.12"] == "https://github.com/octo/demo"
    leaf = x509.load_der_x509_certificate(attestations[0].verification_material.certificate)
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical
    assert san.value.get_values_for_type(x509.UniformResourceIdentifier) == [
        "https://github.com/octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0"
    ]
    # One certificate for the run (the signer caches it), one log entry per file.
    [request] = sigstore.requests_to("fulcio")
    assert request.headers["Authorization"].startswith("Bearer ey")
    assert "certificateSigningRequest" in request.json()
    assert len(sigstore.fulcio.issued) == 1
    assert [r.json()["kind"] for r in sigstore.requests_to("rekor")] == ["dsse", "dsse"]
    assert sigstore.refusals == []


@pytest.mark.parametrize(
    ("publisher", "message"),
    [
        (GitHubPublisher(repository="octo/demo", workflow="other.yml"), "Build Config URI"),
        (GitHubPublisher(repository="octo/other", workflow="release.yml"), "SourceRepositoryURI"),
        (GITLAB, "OIDCIssuerV2"),
    ],
    ids=["wrong-workflow", "wrong-repository", "wrong-provider"],
)
def test_github_attestation_fails_for_another_publisher(
    sigstore: FakeSigstore,
    tmp_path: Path,
    dists: list[Path],
    publisher: GitHubPublisher | GitLabPublisher,
    message: str,
) -> None:
    [attestation] = sign(load_config(sigstore, tmp_path), sigstore.github_token(), dists[:1])
    with pytest.raises(VerificationError, match=message):
        sigstore.verify(attestation, publisher, Distribution.from_file(dists[0]))


def test_attestation_fails_for_another_file(
    sigstore: FakeSigstore, tmp_path: Path, dists: list[Path]
) -> None:
    wheel, sdist = dists
    [attestation] = sign(load_config(sigstore, tmp_path), sigstore.github_token(), [wheel])
    rebuilt = make_wheel(tmp_path / "rebuilt", "demo-pkg", "1.0.0", extra_files=[("x.py", b"")])
    assert rebuilt.name == wheel.name
    with pytest.raises(VerificationError, match="subject does not match distribution digest"):
        sigstore.verify(attestation, GITHUB, Distribution.from_file(rebuilt))
    with pytest.raises(VerificationError, match="subject does not match distribution name"):
        sigstore.verify(attestation, GITHUB, Distribution.from_file(sdist))


def test_attestation_fails_against_another_root(
    sigstore: FakeSigstore, tmp_path: Path, dists: list[Path]
) -> None:
    [attestation] = sign(load_config(sigstore, tmp_path), sigstore.github_token(), dists[:1])
    with FakeSigstore() as stranger, pytest.raises(VerificationError, match="certificate chain"):
        stranger.verify(attestation, GITHUB, Distribution.from_file(dists[0]))


def test_certificate_expired_before_signing(
    sigstore: FakeSigstore, tmp_path: Path, dists: list[Path]
) -> None:
    """``clock_offset`` moves the services' clock: a leaf issued an hour ago has expired by the
    time the signer uses it (the signer checks its cached certificate against the local clock)."""
    sigstore.clock_offset = -3600
    with pytest.raises(AttestationError) as caught:
        sign(load_config(sigstore, tmp_path), sigstore.github_token(), dists)
    # pypi-attestations re-raises ``ExpiredCertificate()`` as an AttestationError with its empty text.
    assert str(caught.value) == ""
    assert isinstance(caught.value.__context__, ExpiredCertificate)
    assert len(sigstore.fulcio.issued) == 1
    assert sigstore.requests_to("rekor") == []


def test_gitlab_sign_and_verify(sigstore: FakeSigstore, tmp_path: Path, dists: list[Path]) -> None:
    attestations = sign(load_config(sigstore, tmp_path), sigstore.gitlab_token(), dists)

    for path, attestation in zip(dists, attestations, strict=True):
        dist = Distribution.from_file(path)
        assert sigstore.verify(attestation, GITLAB, dist)[0] == AttestationType.PYPI_PUBLISH_V1
        assert attestation.certificate_claims[BUILD_CONFIG_URI] == (
            "https://gitlab.com/octo/demo//.gitlab-ci.yml@refs/tags/v1.0.0"
        )
        failures: list[tuple[GitHubPublisher | GitLabPublisher, Distribution, str]] = [
            (
                GitLabPublisher(repository="octo/demo", workflow_filepath="ci/release.yml"),
                dist,
                "Build Config URI",
            ),
            (
                GitLabPublisher(repository="octo/other", workflow_filepath=".gitlab-ci.yml"),
                dist,
                "SourceRepositoryURI",
            ),
            (GITHUB, dist, "OIDCIssuerV2"),
            (GITLAB, Distribution(name=path.name, digest="f" * 64), "distribution digest"),
        ]
        for publisher, candidate, message in failures:
            with pytest.raises(VerificationError, match=message):
                sigstore.verify(attestation, publisher, candidate)


def test_fake_index_token_for_audience_sigstore_is_accepted(
    sigstore: FakeSigstore, index: FakeIndex, tmp_path: Path, dists: list[Path]
) -> None:
    """The fake index's GitHub token (what ACTIONS_ID_TOKEN_REQUEST_URL hands out for
    ``audience=sigstore``) carries every claim the stand-in's Fulcio needs."""
    token = index.github_oidc_token(aud="sigstore")
    [attestation] = sign(load_config(sigstore, tmp_path), token, dists[:1])
    sigstore.verify(attestation, GITHUB, Distribution.from_file(dists[0]))


def test_token_for_another_audience_is_refused(sigstore: FakeSigstore, tmp_path: Path) -> None:
    token = sigstore.github_token(aud="pypi")
    # sigstore-python itself already refuses a token not meant for sigstore...
    with pytest.raises(IdentityError):
        IdentityToken(token)
    # ...and so does Fulcio, for a client that let it through.
    context = SigningContext.from_trust_config(load_config(sigstore, tmp_path))
    with (
        pytest.raises(FulcioClientError) as caught,
        context.signer(IdentityToken(token, client_id="pypi")),
    ):
        pass  # pragma: no cover - the signer asks for its certificate on entry
    # sigstore 4.5 drops Fulcio's message (``if http_error.response:`` is False for any 4xx);
    # it stays reachable through the cause.
    assert str(caught.value) == ""
    response = cast(requests.HTTPError, caught.value.__cause__).response
    assert response is not None
    assert response.status_code == 401
    assert 'expected audience "sigstore" got ["pypi"]' in response.json()["message"]
    assert sigstore.fulcio.issued == []
    assert sigstore.refusals == [
        "fulcio: 401 There was an error processing the identity token: "
        'oidc: expected audience "sigstore" got ["pypi"]'
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aud": ["pypi", "sigstore"]}, None),
        ({"aud": None}, 'expected audience "sigstore" got [null]'),
        ({"exp": 1_000_000}, "token is expired"),
        ({"job_workflow_ref": None}, "missing the 'job_workflow_ref' claim"),
        ({"iss": "https://example.invalid"}, "unsupported issuer"),
    ],
    ids=["audience-list", "no-audience", "expired", "missing-claim", "unknown-issuer"],
)
def test_fulcio_checks_token_claims(
    sigstore: FakeSigstore, overrides: dict[str, Any], message: str | None
) -> None:
    """The raw endpoint, as another client (or a hand-made request) would call it."""
    with SigningContext.from_trust_config(sigstore.trust_config()).signer(
        IdentityToken(sigstore.github_token())
    ):
        [sent] = sigstore.requests_to("fulcio")
    headers = {"Authorization": f"Bearer {sigstore.github_token(**overrides)}"}
    answer = httpx.post(
        f"{sigstore.fulcio_url}/api/v2/signingCert", content=sent.body, headers=headers
    )
    if message is None:
        assert answer.status_code == 201
        assert len(answer.json()["signedCertificateEmbeddedSct"]["chain"]["certificates"]) == 3
    else:
        assert answer.status_code == 401
        assert answer.json()["code"] == 16
        assert message in answer.json()["message"]


def _csr(key: ec.EllipticCurvePrivateKey, *, tamper: bool = False) -> str:
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(key, hashes.SHA256())
    )
    der = bytearray(request.public_bytes(serialization.Encoding.DER))
    if tamper:
        der[-1] ^= 0x01  # the last byte of the signature's s
    pem = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM)
    return base64.b64encode(pem).decode()


def test_fulcio_checks_proof_of_possession(sigstore: FakeSigstore) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    token = sigstore.github_token()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def post(body: dict[str, Any]) -> httpx.Response:
        url = f"{sigstore.fulcio_url}/api/v2/signingCert"
        return httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"})

    def key_request(signed: bytes) -> dict[str, Any]:
        proof = key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "publicKeyRequest": {
                "publicKey": {"algorithm": "ECDSA", "content": public_pem.decode()},
                "proofOfPossession": base64.b64encode(proof).decode(),
            }
        }

    sub = IdentityToken(token).identity.encode()
    assert post({"certificateSigningRequest": _csr(key)}).status_code == 201
    assert post(key_request(sub)).status_code == 201
    refused: list[tuple[dict[str, Any], str]] = [
        ({"certificateSigningRequest": _csr(key, tamper=True)}, "signing request is invalid"),
        ({"certificateSigningRequest": "bm90IGEgQ1NS"}, "could not be parsed"),
        (key_request(b"somebody else"), "could not be verified"),
        ({"unknownRequest": {}}, "could not be parsed"),
    ]
    for body, message in refused:
        answer = post(body)
        assert (answer.status_code, answer.json()["code"]) == (400, 3)
        assert message in answer.json()["message"]
    assert len(sigstore.fulcio.issued) == 2


def test_fulcio_refusal_and_outage(
    sigstore: FakeSigstore, tmp_path: Path, dists: list[Path]
) -> None:
    config = load_config(sigstore, tmp_path)
    token = sigstore.github_token()
    sigstore.fail("fulcio", code=401, message="There was an error processing the identity token")
    with pytest.raises(FulcioClientError):
        sign(config, token, dists)
    sigstore.fail("fulcio", kind="drop")
    with pytest.raises(requests.ConnectionError):
        sign(config, token, dists)
    sigstore.take_down("fulcio")
    with pytest.raises(requests.ConnectionError, match="Connection refused"):
        sign(config, token, dists)
    assert sigstore.requests_to("rekor") == []


def test_rekor_refusal_and_outage(
    sigstore: FakeSigstore, tmp_path: Path, dists: list[Path]
) -> None:
    config = load_config(sigstore, tmp_path)
    token = sigstore.github_token()
    sigstore.fail("rekor", code=503, message="the log is read-only")
    # pypi-attestations passes Rekor's error through unwrapped (not as an AttestationError).
    with pytest.raises(RekorClientError, match=r"^503: the log is read-only$"):
        sign(config, token, dists)
    sigstore.fail("rekor", code=500, body="<html>upstream went away</html>")
    with pytest.raises(RekorClientError, match="unknown error with HTTP 500"):
        sign(config, token, dists)
    sigstore.take_down("rekor")
    with pytest.raises(requests.ConnectionError):
        sign(config, token, dists)
    assert sigstore.rekor.entries == {}


def test_rekor_refuses_a_bad_signature_and_a_duplicate(
    sigstore: FakeSigstore, tmp_path: Path, dists: list[Path]
) -> None:
    sign(load_config(sigstore, tmp_path), sigstore.github_token(), dists[:1])
    [sent] = sigstore.requests_to("rekor")
    url = f"{sigstore.rekor_url}/api/v1/log/entries"
    duplicate = httpx.post(url, content=sent.body, headers={"Content-Type": "application/json"})
    assert duplicate.status_code == 409
    proposed = sent.json()
    envelope = json.loads(proposed["spec"]["proposedContent"]["envelope"])
    envelope["payload"] = base64.b64encode(b"{}").decode()
    proposed["spec"]["proposedContent"]["envelope"] = json.dumps(envelope)
    tampered = httpx.post(url, json=proposed)
    assert tampered.status_code == 400
    assert tampered.json() == {
        "code": 400,
        "message": "could not verify envelope signature with any provided verifier",
    }
    assert len(sigstore.rekor.entries) == 1


def test_hashedrekord_artifact_signature_verifies(sigstore: FakeSigstore) -> None:
    """The plain ``sign_artifact`` path (a hashedrekord entry) works too."""
    context = sigstore.signing_context()
    with context.signer(IdentityToken(sigstore.gitlab_token())) as signer:
        bundle = signer.sign_artifact(b"release notes")
    policy = OIDCBuildConfigURI("https://gitlab.com/octo/demo//.gitlab-ci.yml@refs/tags/v1.0.0")
    verifier = sigstore.verifier()
    verifier.verify_artifact(b"release notes", bundle, policy)
    with pytest.raises(SigstoreVerificationError):
        verifier.verify_artifact(b"other notes", bundle, policy)
    assert [r.json()["kind"] for r in sigstore.requests_to("rekor")] == ["hashedrekord"]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33])
def test_inclusion_proofs_verify_with_sigstore(size: int) -> None:
    bodies = [f"entry {i}".encode() for i in range(size)]
    leaves = [merkle.leaf_hash(body) for body in bodies]
    root = merkle.root(leaves)
    for index, body in enumerate(bodies):
        proof = SimpleNamespace(
            log_index=index,
            tree_size=size,
            hashes=merkle.inclusion_proof(index, leaves),
            root_hash=root,
        )
        entry = SimpleNamespace(
            _inner=SimpleNamespace(inclusion_proof=proof, canonicalized_body=body)
        )
        verify_merkle_inclusion(cast(TransparencyLogEntry, entry))
    with pytest.raises(SigstoreVerificationError):
        proof = SimpleNamespace(
            log_index=0,
            tree_size=size,
            hashes=merkle.inclusion_proof(0, leaves),
            root_hash=b"x" * 32,
        )
        bad = SimpleNamespace(
            _inner=SimpleNamespace(inclusion_proof=proof, canonicalized_body=bodies[0])
        )
        verify_merkle_inclusion(cast(TransparencyLogEntry, bad))
