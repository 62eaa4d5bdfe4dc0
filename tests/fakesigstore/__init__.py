"""An offline Sigstore stand-in for tests: Fulcio, a CT log and Rekor v1 on 127.0.0.1.

    with fake_sigstore() as sigstore:                        # two ephemeral ports until exit
        path = sigstore.write_trust_config(tmp_path / "trust.json")   # --sigstore-trust-config
        config = ClientTrustConfig.from_json(path.read_text())
        identity = IdentityToken(sigstore.github_token())           # aud "sigstore", octo/demo
        with SigningContext.from_trust_config(config).signer(identity) as signer:
            attestation = Attestation.sign(signer, Distribution.from_file(wheel))
        sigstore.verify(attestation, GitHubPublisher(repository="octo/demo",
                                                     workflow="release.yml"), dist)

Modules: ``fulcio`` (CA, ``POST /api/v2/signingCert``, token checks), ``identity`` (claims -> SAN and
Fulcio extensions), ``ct`` (SCTs), ``rekor`` (``POST /api/v1/log/entries``), ``merkle`` (RFC 6962),
``trust`` (ClientTrustConfig document, verification against it), ``server`` (HTTP, faults, request
log), ``tokens`` (CI JWTs), ``instance`` (``FakeSigstore`` itself).

``FakeSigstore`` attributes: ``fulcio_url``, ``rekor_url``; ``fulcio`` (``.issued`` certificates,
``.cert_lifetime``), ``rekor`` (``.entries`` by uuid), ``ctlog``; ``requests`` (RecordedRequest log),
``requests_to(service)``, ``refusals`` (messages of every 4xx the services chose to give),
``server_errors``; ``clock_offset``. Faults: ``fail("fulcio"|"rekor", kind="status", times=1,
code=503, message=..., body=None, skip=0)``, ``kind="drop"`` (no answer), ``kind="stall"`` (``seconds``),
and ``take_down(service)`` (connection refused from then on). Trust: ``trust_config_document()``,
``write_trust_config(path)``, ``trust_config()``, ``trusted_root()``, ``signing_context()``,
``verifier()``, ``verify(attestation, publisher, dist)``. Tokens: ``github_token(**overrides)``,
``gitlab_token(**overrides)`` (``aud=...`` for another audience, ``None`` drops a claim).
"""

from __future__ import annotations

from .errors import Refusal
from .instance import FakeSigstore, fake_sigstore
from .server import Fault, RecordedRequest
from .tokens import github_token, gitlab_token, make_token
from .trust import pinned_verifier, verify_attestation

__all__ = [
    "FakeSigstore",
    "Fault",
    "RecordedRequest",
    "Refusal",
    "fake_sigstore",
    "github_token",
    "gitlab_token",
    "make_token",
    "pinned_verifier",
    "verify_attestation",
]
