"""A certificate-transparency log that only issues SCTs (RFC 6962 §3.2) for the fake Fulcio.

Fulcio submits each leaf as a precertificate to its CT log and embeds the returned SCT in the final
certificate. sigstore-python checks that SCT at signing time (``Signer._signing_cert``) and again at
verification against the trusted root's ``ctlogs`` keys, looking the key up by the SCT's log id
(SHA-256 of the log key's DER SubjectPublicKeyInfo). Nothing is logged: only the signature matters.
"""

from __future__ import annotations

import hashlib
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID

from . import der

_V1 = 0
_CERTIFICATE_TIMESTAMP = 0
_PRECERT_ENTRY = 1
_SHA256, _ECDSA = 4, 3  # TLS HashAlgorithm / SignatureAlgorithm codes


def spki_der(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _u24(n: int) -> bytes:
    return n.to_bytes(3, "big")


class CTLog:
    """An ECDSA P-256 CT log key and the SCTs it signs."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.public_der = spki_der(self.private_key.public_key())
        self.log_id = hashlib.sha256(self.public_der).digest()

    def sct(
        self,
        *,
        tbs_precertificate: bytes,
        issuer_key: ec.EllipticCurvePublicKey,
        timestamp_ms: int,
    ) -> bytes:
        """A TLS-encoded v1 SCT for a precertificate entry issued by ``issuer_key``."""
        issuer_key_hash = hashlib.sha256(spki_der(issuer_key)).digest()
        signed = (
            struct.pack("!BBQH", _V1, _CERTIFICATE_TIMESTAMP, timestamp_ms, _PRECERT_ENTRY)
            + issuer_key_hash
            + _u24(len(tbs_precertificate))
            + tbs_precertificate
            + struct.pack("!H", 0)  # no CT extensions
        )
        signature = self.private_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return (
            struct.pack("!B", _V1)
            + self.log_id
            + struct.pack("!QH", timestamp_ms, 0)
            + struct.pack("!BBH", _SHA256, _ECDSA, len(signature))
            + signature
        )


def sct_list_extension(scts: list[bytes]) -> x509.UnrecognizedExtension:
    """The embedded-SCT extension (1.3.6.1.4.1.11129.2.4.2): a TLS SCT list in an OCTET STRING."""
    items = b"".join(struct.pack("!H", len(sct)) + sct for sct in scts)
    tls_list = struct.pack("!H", len(items)) + items
    return x509.UnrecognizedExtension(
        ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS, der.octet_string(tls_list)
    )
