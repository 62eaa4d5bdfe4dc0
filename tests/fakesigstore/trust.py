"""Trust material for the stand-in: the ``ClientTrustConfig`` document, and verification against it.

The document is what ``ClientTrustConfig.from_json`` reads (media type
``application/vnd.dev.sigstore.clienttrustconfig.v0.1+json``): a trusted root (the CA chain, the CT
log key, the Rekor key, no timestamp authority) and a v0.2 signing config whose CA and Rekor (API
v1) URLs point at the stand-in. ``SigningContext.from_trust_config`` signs with it as is.

``pypi_attestations.Attestation.verify`` only knows Sigstore's production and staging roots
(``Verifier.production()``/``staging()``); ``verify_attestation`` runs that same method with
``pypi_attestations``' ``Verifier`` name bound, for the call, to one that answers with
``Verifier(trusted_root=...)`` for the stand-in's root, so every check of the library still runs.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from unittest import mock

from cryptography.hazmat.primitives import serialization
from cryptography.x509 import Certificate
from pypi_attestations import Attestation, Distribution, Publisher, _impl
from sigstore.models import TrustedRoot
from sigstore.verify import Verifier
from sigstore.verify.policy import VerificationPolicy

MEDIA_TYPE = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
OPERATOR = "fakesigstore.test"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tlog(url: str, public_der: bytes, log_id: bytes, start: datetime) -> dict[str, Any]:
    return {
        "baseUrl": url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": _b64(public_der),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": {"start": _time(start)},
        },
        "logId": {"keyId": _b64(log_id)},
    }


def _service(url: str, start: datetime) -> dict[str, Any]:
    return {
        "url": url,
        "majorApiVersion": 1,
        "validFor": {"start": _time(start)},
        "operator": OPERATOR,
    }


def client_trust_config(
    *,
    fulcio_url: str,
    rekor_url: str,
    ca_chain: list[Certificate],
    ctlog_key: tuple[bytes, bytes],
    rekor_key: tuple[bytes, bytes],
    start: datetime,
) -> dict[str, Any]:
    """The trust-config document; ``ctlog_key``/``rekor_key`` are (DER SPKI, log id) pairs."""
    trusted_root = {
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [_tlog(rekor_url, *rekor_key, start)],
        "certificateAuthorities": [
            {
                "subject": {"organization": "sigstore.dev", "commonName": "sigstore"},
                "uri": fulcio_url,
                "certChain": {
                    "certificates": [
                        {"rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))}
                        for cert in ca_chain
                    ]
                },
                "validFor": {"start": _time(start)},
            }
        ],
        "ctlogs": [_tlog(fulcio_url, *ctlog_key, start)],
        "timestampAuthorities": [],
    }
    signing_config = {
        "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        "caUrls": [_service(fulcio_url, start)],
        "oidcUrls": [],
        "rekorTlogUrls": [_service(rekor_url, start)],
        "rekorTlogConfig": {"selector": "ANY"},
        "tsaUrls": [],
        "tsaConfig": {"selector": "ANY"},
    }
    return {"mediaType": MEDIA_TYPE, "trustedRoot": trusted_root, "signingConfig": signing_config}


_pin_lock = threading.Lock()


@contextmanager
def pinned_verifier(trusted_root: TrustedRoot) -> Iterator[None]:
    """While open, ``pypi_attestations`` verifies against ``trusted_root`` instead of Sigstore's."""

    class _Pinned(Verifier):
        @classmethod
        def production(cls, *, offline: bool = False) -> Verifier:
            return Verifier(trusted_root=trusted_root)

        @classmethod
        def staging(cls, *, offline: bool = False) -> Verifier:
            return Verifier(trusted_root=trusted_root)

    with _pin_lock, mock.patch.object(_impl, "Verifier", _Pinned):
        yield


def verify_attestation(
    attestation: Attestation,
    identity: Publisher | VerificationPolicy,
    dist: Distribution,
    trusted_root: TrustedRoot,
) -> tuple[str, dict[str, Any] | None]:
    """``attestation.verify(identity, dist)`` against ``trusted_root``; raises its errors."""
    with pinned_verifier(trusted_root):
        return attestation.verify(identity, dist)
