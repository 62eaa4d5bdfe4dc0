"""Structural validation of PEP 740 attestations uploaded with a file (protocol §8.3, fake-server part).

Like Warehouse's ``NullIntegrityService`` no cryptography is checked: shape, base64, the in-toto
statement's single subject (name and sha256 against the upload), known and distinct predicate types.
Every failure raises ``AttestationError`` whose text follows ``Invalid attestations supplied during upload: ``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
SLSA_V1 = "https://slsa.dev/provenance/v1"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
VERIFY = (
    "Could not verify the uploaded artifact using the included attestation: Verification failed: "
)


class AttestationError(Exception):
    pass


def _b64(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise AttestationError(f"Malformed attestations: {where}: Input should be a valid string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AttestationError(
            f"Malformed attestations: {where}: Base64 decoding error: '{exc}'"
        ) from exc


def _normalized(filename: str) -> tuple[object, ...]:
    try:
        if filename.endswith(".whl"):
            name, version, build, tags = parse_wheel_filename(filename)
            return ("wheel", name, version, build, tuple(sorted(map(str, tags))))
        name, version = parse_sdist_filename(filename)
        return ("sdist", name, version)
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise AttestationError(f"{VERIFY}invalid subject: {exc}") from exc


def _check_shape(index: int, item: object) -> dict[str, Any]:
    where = f"{index}"
    if not isinstance(item, dict):
        raise AttestationError(
            f"Malformed attestations: {where}: Input should be a valid dictionary or instance of Attestation"
        )
    for key in ("version", "verification_material", "envelope"):
        if key not in item:
            raise AttestationError(f"Malformed attestations: {where}.{key}: Field required")
    if item["version"] != 1:
        raise AttestationError(f"Malformed attestations: {where}.version: Input should be 1")
    material, envelope = item["verification_material"], item["envelope"]
    if not isinstance(material, dict) or not isinstance(envelope, dict):
        raise AttestationError(
            f"Malformed attestations: {where}: Input should be a valid dictionary"
        )
    _b64(material.get("certificate"), f"{where}.verification_material.certificate")
    entries = material.get("transparency_entries")
    if not isinstance(entries, list) or not entries:
        raise AttestationError(
            f"Malformed attestations: {where}.verification_material.transparency_entries: List should have at least 1 item"
        )
    _b64(envelope.get("signature"), f"{where}.envelope.signature")
    return item


def _statement(item: dict[str, Any], index: int) -> dict[str, Any]:
    raw = _b64(item["envelope"].get("statement"), f"{index}.envelope.statement")
    try:
        statement: Any = json.loads(raw)
    except ValueError as exc:
        raise AttestationError(f"{VERIFY}invalid statement: {exc}") from exc
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_V1:
        raise AttestationError(f"{VERIFY}invalid statement: not an in-toto v1 statement")
    return statement


def validate(text: str, *, filename: str, sha256: str) -> list[dict[str, Any]]:
    """Return the parsed attestations or raise ``AttestationError``."""
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise AttestationError(f"Malformed attestations: Invalid JSON: {exc}") from exc
    if not isinstance(items, list):
        raise AttestationError("Malformed attestations: Input should be a valid array")
    attestations = [_check_shape(index, item) for index, item in enumerate(items)]
    if not attestations:
        raise AttestationError("Malformed attestations: an empty attestation set is not permitted")
    if len(attestations) > 2:
        raise AttestationError("A maximum of 2 attestations per file are supported")
    seen: set[str] = set()
    for index, item in enumerate(attestations):
        statement = _statement(item, index)
        subjects = statement.get("subject")
        if (
            not isinstance(subjects, list)
            or len(subjects) != 1
            or not isinstance(subjects[0], dict)
        ):
            raise AttestationError(f"{VERIFY}too many subjects in statement (must be exactly one)")
        subject_name = str(subjects[0].get("name"))
        if _normalized(subject_name) != _normalized(filename):
            raise AttestationError(
                f"{VERIFY}subject does not match distribution name: {subject_name} != {filename}"
            )
        digest = subjects[0].get("digest")
        if not isinstance(digest, dict) or str(digest.get("sha256", "")).lower() != sha256:
            raise AttestationError(f"{VERIFY}subject does not match distribution digest")
        predicate_type = str(statement.get("predicateType"))
        if predicate_type not in (PUBLISH_V1, SLSA_V1):
            raise AttestationError(f"Attestation with unsupported predicate type: {predicate_type}")
        if predicate_type in seen:
            raise AttestationError(
                f"Multiple attestations for the same file with the same predicate type ({predicate_type}) are not supported"
            )
        seen.add(predicate_type)
    return attestations


def make_attestation(
    filename: str,
    sha256: str,
    *,
    predicate_type: str = PUBLISH_V1,
    subjects: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A structurally valid (not cryptographically valid) attestation object for tests."""
    statement: dict[str, Any] = {
        "_type": STATEMENT_V1,
        "subject": subjects
        if subjects is not None
        else [{"name": filename, "digest": {"sha256": sha256}}],
        "predicateType": predicate_type,
        "predicate": {},
    }
    return {
        "version": 1,
        "verification_material": {
            "certificate": base64.b64encode(b"0\x82fake-der-certificate").decode(),
            "transparency_entries": [
                {"logIndex": "1", "kindVersion": {"kind": "dsse", "version": "0.0.1"}}
            ],
        },
        "envelope": {
            "statement": base64.b64encode(json.dumps(statement).encode()).decode(),
            "signature": base64.b64encode(b"fake-signature").decode(),
        },
    }
