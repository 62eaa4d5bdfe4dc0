"""The fake Rekor v1 log: ``POST /api/v1/log/entries`` for ``hashedrekord`` and ``dsse`` 0.0.1.

Like Rekor it checks the proposed entry's signature against the certificate it names (400 when it
does not verify), stores the canonicalised body (``dsse`` becomes envelope hash, payload hash and
signature/verifier pairs), refuses an identical entry with 409, and answers
``{uuid: {body, integratedTime, logID, logIndex, verification: {inclusionProof, signedEntryTimestamp}}}``:
an RFC 6962 inclusion proof (hex hashes) with a signed checkpoint (a signed note whose key hint is
the first four bytes of the log id), and a signed entry timestamp over the RFC 8785 form of
``{body, integratedTime, logID, logIndex}``. That inclusion promise is what lets sigstore-python
establish the signing time without a timestamp authority.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import threading
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from . import merkle
from .ct import spki_der
from .errors import Refusal


def _canonical(value: Any) -> bytes:
    """RFC 8785 for the plain ASCII strings and small integers used here."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _verifier_key(b64_pem: str) -> ec.EllipticCurvePublicKey:
    """The EC key of a base64 PEM certificate (or bare public key), as Rekor's x509 verifier takes."""
    data = base64.b64decode(b64_pem, validate=True)
    if b"CERTIFICATE" in data:
        key: object = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("only ECDSA verifiers are supported")
    return key


def _pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _hashedrekord_body(spec: dict[str, Any]) -> dict[str, Any]:
    signature, data = spec["signature"], spec["data"]["hash"]
    if data["algorithm"] != "sha256":
        raise Refusal(400, f"unsupported hash algorithm {data['algorithm']!r}")
    key = _verifier_key(signature["publicKey"]["content"])
    try:
        key.verify(
            base64.b64decode(signature["content"], validate=True),
            bytes.fromhex(data["value"]),
            ec.ECDSA(utils.Prehashed(hashes.SHA256())),
        )
    except InvalidSignature as exc:
        raise Refusal(
            400, "verifying signature: invalid signature when validating ASN.1 encoded signature"
        ) from exc
    return {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": data["value"]}},
            "signature": {
                "content": signature["content"],
                "publicKey": {"content": signature["publicKey"]["content"]},
            },
        },
    }


def _dsse_body(spec: dict[str, Any]) -> dict[str, Any]:
    proposed = spec["proposedContent"]
    envelope_text: str = proposed["envelope"]
    envelope = json.loads(envelope_text)
    payload = base64.b64decode(envelope["payload"], validate=True)
    pae = _pae(envelope["payloadType"], payload)
    verifiers: list[str] = proposed["verifiers"]
    if not verifiers or not envelope["signatures"]:
        raise Refusal(400, "dsse entries need at least one signature and one verifier")
    signatures = []
    for item in envelope["signatures"]:
        raw = base64.b64decode(item["sig"], validate=True)
        for verifier in verifiers:
            try:
                _verifier_key(verifier).verify(raw, pae, ec.ECDSA(hashes.SHA256()))
            except InvalidSignature:
                continue
            signatures.append({"signature": base64.b64encode(raw).decode(), "verifier": verifier})
            break
        else:
            raise Refusal(400, "could not verify envelope signature with any provided verifier")
    return {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(envelope_text.encode()).hexdigest(),
            },
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
            "signatures": sorted(signatures, key=lambda s: s["signature"]),
        },
    }


def canonical_body(proposed: Any) -> bytes:
    """The body Rekor would store for a proposed entry, or ``Refusal(400)``."""
    try:
        kind, version = proposed["kind"], proposed["apiVersion"]
        if version != "0.0.1" or kind not in ("hashedrekord", "dsse"):
            raise Refusal(400, f"unsupported entry type {kind}/{version}")
        spec = proposed["spec"]
        body = _hashedrekord_body(spec) if kind == "hashedrekord" else _dsse_body(spec)
    except Refusal:
        raise
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise Refusal(400, f"validation failure: {type(exc).__name__}: {exc}") from exc
    return _canonical(body)


class RekorLog:
    """The log key, the Merkle tree of entry bodies (seeded with a few foreign leaves) and entries."""

    name = "fakesigstore-rekor"

    def __init__(self, *, seed_leaves: int = 5) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.public_der = spki_der(self.private_key.public_key())
        self.log_id = hashlib.sha256(self.public_der).digest()
        self.tree_id = secrets.randbits(62)
        self.origin = f"{self.name} - {self.tree_id}"
        self.leaves = [merkle.leaf_hash(os.urandom(64)) for _ in range(seed_leaves)]
        self.entries: dict[str, dict[str, Any]] = {}  # uuid -> the entry as answered
        self._lock = threading.Lock()

    def _sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data, ec.ECDSA(hashes.SHA256()))

    def checkpoint(self, size: int, root: bytes) -> str:
        """A signed note: origin, tree size, base64 root, blank line, ``— name base64(hint+sig)``."""
        note = f"{self.origin}\n{size}\n{base64.b64encode(root).decode()}\n"
        signature = base64.b64encode(self.log_id[:4] + self._sign(note.encode())).decode()
        return f"{note}\n\u2014 {self.name} {signature}\n"

    def add(self, proposed: Any, now: float) -> tuple[str, dict[str, Any]]:
        """Append a proposed entry; return its uuid and the ``{uuid: entry}`` answer (or ``Refusal``)."""
        body = canonical_body(proposed)
        leaf = merkle.leaf_hash(body)
        uuid = f"{self.tree_id:016x}{leaf.hex()}"
        with self._lock:
            if uuid in self.entries:
                raise Refusal(409, "An equivalent entry already exists in the transparency log")
            index = len(self.leaves)
            self.leaves.append(leaf)
            hashes_ = merkle.inclusion_proof(index, self.leaves)
            size, root = len(self.leaves), merkle.root(self.leaves)
            encoded = base64.b64encode(body).decode()
            integrated = int(now)
            promise = {
                "body": encoded,
                "integratedTime": integrated,
                "logID": self.log_id.hex(),
                "logIndex": index,
            }
            entry = {
                **promise,
                "verification": {
                    "inclusionProof": {
                        "checkpoint": self.checkpoint(size, root),
                        "hashes": [h.hex() for h in hashes_],
                        "logIndex": index,
                        "rootHash": root.hex(),
                        "treeSize": size,
                    },
                    "signedEntryTimestamp": base64.b64encode(
                        self._sign(_canonical(promise))
                    ).decode(),
                },
            }
            self.entries[uuid] = entry
        return uuid, {uuid: entry}

    def info(self) -> dict[str, Any]:
        """``GET /api/v1/log``: the current tree head."""
        with self._lock:
            size, root = len(self.leaves), merkle.root(self.leaves)
        return {
            "rootHash": root.hex(),
            "treeSize": size,
            "signedTreeHead": self.checkpoint(size, root),
            "treeID": str(self.tree_id),
            "inactiveShards": [],
        }
