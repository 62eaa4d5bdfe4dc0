"""The fake Fulcio: a root and intermediate CA and ``POST /api/v2/signingCert``.

Takes the request the way sigstore-python 4.x sends it (``Authorization: Bearer <OIDC token>`` and
``{"certificateSigningRequest": base64(PEM CSR)}``; the older ``publicKeyRequest`` form with a
proof of possession over the token's ``sub`` works too) and answers like Fulcio:
``{"signedCertificateEmbeddedSct": {"chain": {"certificates": [leaf, intermediate, root]}}}``. The
leaf is a ten-minute code-signing certificate for the CSR's key, with an empty subject, a critical
SAN URI and the claim extensions of ``identity.py``, and one embedded SCT from ``ct.CTLog``.

The token's signature is not checked (nobody here holds GitHub's keys) but its claims are: ``aud``
must be (or contain) ``sigstore``, ``exp`` must lie ahead, the issuer must be GitHub Actions or
gitlab.com. Refusals (``errors.Refusal``) are HTTP 401 for the token and 400 for the request.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fakeindex.jwt import JWTError, decode_unverified

from .ct import CTLog, sct_list_extension
from .errors import Refusal
from .identity import Identity, IdentityError, identity_from_claims

AUDIENCE = "sigstore"
TOKEN_ERROR = "There was an error processing the identity token"


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _ca_cert(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    start: datetime,
    path_length: int,
) -> x509.Certificate:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore.dev"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    issuer_cert, signing_key = issuer if issuer else (None, key)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
            critical=False,
        )
    return builder.sign(signing_key, hashes.SHA384())


def check_token(authorization: str | None, now: float) -> dict[str, Any]:
    """The claims of the bearer token, or a ``Refusal`` as Fulcio's OIDC verifier would give."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refusal(401, f"{TOKEN_ERROR}: no bearer token in the Authorization header")
    try:
        _, claims = decode_unverified(token.strip())
    except JWTError as exc:
        raise Refusal(401, f"{TOKEN_ERROR}: malformed jwt: {exc}") from exc
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if AUDIENCE not in audiences:
        raise Refusal(
            401, f'{TOKEN_ERROR}: oidc: expected audience "{AUDIENCE}" got {json.dumps(audiences)}'
        )
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        raise Refusal(401, f"{TOKEN_ERROR}: oidc: token has no numeric exp claim")
    if exp <= now:
        raise Refusal(401, f"{TOKEN_ERROR}: oidc: token is expired (Token Expiry: {exp})")
    return claims


def _requested_key(body: bytes, claims: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    """The public key to certify, after checking the CSR signature or the proof of possession."""
    key: object
    try:
        request = json.loads(body)
        if "certificateSigningRequest" in request:
            csr = x509.load_pem_x509_csr(base64.b64decode(request["certificateSigningRequest"]))
            if not csr.is_signature_valid:
                raise Refusal(400, "The signature on the certificate signing request is invalid")
            key = csr.public_key()
        else:
            spec = request["publicKeyRequest"]
            key = serialization.load_pem_public_key(spec["publicKey"]["content"].encode())
            proof = base64.b64decode(spec["proofOfPossession"])
            if isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(proof, str(claims.get("sub", "")).encode(), ec.ECDSA(hashes.SHA256()))
    except Refusal:
        raise
    except InvalidSignature as exc:
        raise Refusal(400, "The signature supplied in the request could not be verified") from exc
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise Refusal(400, f"The certificate request could not be parsed: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise Refusal(400, "The public key supplied in the request is not supported")
    return key


class FulcioCA:
    """Root and intermediate CA keys and certificates, and the leaves issued so far."""

    def __init__(self, ctlog: CTLog, *, now: float, cert_lifetime: float = 600) -> None:
        self.ctlog = ctlog
        self.cert_lifetime = cert_lifetime
        start = datetime.fromtimestamp(int(now), timezone.utc) - timedelta(days=1)
        self.root_key = ec.generate_private_key(ec.SECP384R1())
        self.intermediate_key = ec.generate_private_key(ec.SECP384R1())
        self.root = _ca_cert("sigstore", self.root_key, None, start, 1)
        self.intermediate = _ca_cert(
            "sigstore-intermediate", self.intermediate_key, (self.root, self.root_key), start, 0
        )
        self.issued: list[x509.Certificate] = []
        self._lock = threading.Lock()

    @property
    def chain(self) -> list[x509.Certificate]:
        """Intermediate then root, as the trusted root and the signing response list them."""
        return [self.intermediate, self.root]

    def signing_cert(self, body: bytes, authorization: str | None, now: float) -> dict[str, Any]:
        """Answer ``POST /api/v2/signingCert`` or raise ``Refusal``."""
        claims = check_token(authorization, now)
        try:
            identity = identity_from_claims(claims)
        except IdentityError as exc:
            raise Refusal(401, f"{TOKEN_ERROR}: {exc}") from exc
        leaf = self.issue(_requested_key(body, claims), identity, now)
        return {
            "signedCertificateEmbeddedSct": {
                "chain": {"certificates": [pem(leaf), *(pem(c) for c in self.chain)]}
            }
        }

    def issue(
        self, public_key: ec.EllipticCurvePublicKey, identity: Identity, now: float
    ) -> x509.Certificate:
        """A leaf for ``public_key`` with ``identity``'s SAN and extensions and an embedded SCT."""
        not_before = datetime.fromtimestamp(int(now), timezone.utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.intermediate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_before + timedelta(seconds=self.cert_lifetime))
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.intermediate_key.public_key()
                ),
                critical=False,
            )
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(identity.san_uri)]),
                critical=True,
            )
        )
        for oid, value in identity.encoded_extensions():
            builder = builder.add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical=False
            )
        # The precertificate's TBS is the final certificate's TBS without the SCT list.
        precert = builder.sign(self.intermediate_key, hashes.SHA384())
        sct = self.ctlog.sct(
            tbs_precertificate=precert.tbs_certificate_bytes,
            issuer_key=self.intermediate_key.public_key(),
            timestamp_ms=int(now * 1000),
        )
        leaf = builder.add_extension(sct_list_extension([sct]), critical=False).sign(
            self.intermediate_key, hashes.SHA384()
        )
        assert leaf.tbs_precertificate_bytes == precert.tbs_certificate_bytes
        with self._lock:
            self.issued.append(leaf)
        return leaf
