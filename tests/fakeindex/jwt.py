"""RS256 JSON Web Tokens for the fake index: a signing key, signing, and Warehouse-style checks.

Verification follows Warehouse's ``OIDCPublisherService.verify_jwt_signature`` (protocol §6.1): RS256
only, the ``kid`` must be known, ``iss``/``iat``/``exp``/``aud`` are required, ``nbf`` is checked when
present, ``aud`` must be a single string equal to the audience, and every time check has 30 s of
leeway. With ``check_signature=False`` it behaves like Warehouse's "null" development service: the
signature, ``alg`` and ``kid`` are not looked at, but the claims still are.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import threading
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

LEEWAY = 30


class JWTError(Exception):
    """The token is malformed or fails a check; the message says which (for test diagnostics)."""


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise JWTError(f"bad base64url segment: {exc}") from exc


class SigningKey:
    """An RSA key pair with a key id, the way an OIDC issuer publishes it in its JWKS."""

    def __init__(self, private_key: rsa.RSAPrivateKey | None = None) -> None:
        self.private_key = private_key or rsa.generate_private_key(
            public_exponent=65537, key_size=2048
        )
        self.kid = secrets.token_hex(20)
        self.x5t = b64url_encode(hashlib.sha1(self.kid.encode(), usedforsecurity=False).digest())

    def sign(self, claims: Mapping[str, Any], *, headers: Mapping[str, Any] | None = None) -> str:
        """A compact JWS: RS256 over the base64url header and payload."""
        header: dict[str, Any] = {"alg": "RS256", "kid": self.kid, "typ": "JWT", "x5t": self.x5t}
        header.update(headers or {})
        signing_input = ".".join(
            b64url_encode(json.dumps(part, separators=(",", ":")).encode())
            for part in (header, claims)
        )
        signature = self.private_key.sign(
            signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{signing_input}.{b64url_encode(signature)}"

    def verify_signature(self, signing_input: bytes, signature: bytes) -> bool:
        try:
            self.private_key.public_key().verify(
                signature, signing_input, padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return False
        return True

    def jwk(self) -> dict[str, str]:
        """The public key as a JWK (what ``<issuer>/.well-known/jwks`` would list)."""
        numbers = self.private_key.public_key().public_numbers()

        def _int(value: int) -> str:
            return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))

        return {
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": _int(numbers.n),
            "e": _int(numbers.e),
        }


_shared_keys: dict[str, SigningKey] = {}
_shared_lock = threading.Lock()


def shared_key(name: str = "index") -> SigningKey:
    """Generating RSA keys is slow: every fake index of a test run signs with the same "index" key;
    any other name gives another (cached) key, e.g. a stranger's key for bad-signature tests."""
    with _shared_lock:
        if name not in _shared_keys:
            _shared_keys[name] = SigningKey()
        return _shared_keys[name]


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a compact JWS without any check (what ``jwt.decode(verify_signature=False)`` does)."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise JWTError("not three dot-separated segments")
    header_b64, payload_b64, _ = token.split(".")
    try:
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(payload_b64))
    except (UnicodeDecodeError, ValueError) as exc:
        raise JWTError(f"segment is not JSON: {exc}") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JWTError("header or payload is not a JSON object")
    return header, claims


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise JWTError(f"{name} must be a number")
    return float(value)


def verify(
    token: str,
    *,
    key: SigningKey,
    issuer: str,
    audience: str,
    now: float,
    check_signature: bool = True,
    leeway: int = LEEWAY,
) -> dict[str, Any]:
    """Return the claims of a valid token or raise ``JWTError`` naming the failed check."""
    header, claims = decode_unverified(token)
    if check_signature:
        if header.get("alg") != "RS256":
            raise JWTError(f"algorithm {header.get('alg')!r} is not allowed")
        if header.get("kid") != key.kid:
            raise JWTError(f"unknown kid {header.get('kid')!r}")
        signing_input, _, signature = token.rpartition(".")
        if not key.verify_signature(signing_input.encode("ascii"), b64url_decode(signature)):
            raise JWTError("signature verification failed")
    for required in ("iss", "iat", "exp", "aud"):
        if required not in claims:
            raise JWTError(f"missing required claim {required!r}")
    if claims["iss"] != issuer:
        raise JWTError(f"issuer {claims['iss']!r} is not {issuer!r}")
    if _number(claims, "iat") > now + leeway:
        raise JWTError("the token is not yet valid (iat)")
    if "nbf" in claims and _number(claims, "nbf") > now + leeway:
        raise JWTError("the token is not yet valid (nbf)")
    if _number(claims, "exp") <= now - leeway:
        raise JWTError("signature has expired")
    if not isinstance(claims["aud"], str):
        raise JWTError("invalid audience (strict): aud must be a single string")
    if claims["aud"] != audience:
        raise JWTError(f"audience {claims['aud']!r} is not {audience!r}")
    return claims
