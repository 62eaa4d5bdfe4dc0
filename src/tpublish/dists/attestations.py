"""PEP 740 attestations: find them beside each distribution, check them, build the form field.

Pairing follows twine (protocol §8.2): the attestations of ``dist/x-1.0.tar.gz`` are the files
named ``dist/x-1.0.tar.gz.<kind>.attestation`` (``publish``, ``slsa``). Every one is checked before
anything is sent, with the structural checks the index applies (§8.3), so a malformed or stale
attestation is named up front rather than refused halfway through a release. Signatures are not
verified here: the index does that against the project's trusted publisher.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from tpublish.dists.distribution import InvalidDistributions
from tpublish.errors import CredentialError, DistributionError, InputError, UploadError
from tpublish.pypi import is_pypi_url

if TYPE_CHECKING:
    from tpublish.dists.distribution import Distribution
    from tpublish.errors import TPublishError

FIELD = "attestations"
SUFFIX = ".attestation"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
SLSA_V1 = "https://slsa.dev/provenance/v1"
PREDICATE_TYPES = (PUBLISH_V1, SLSA_V1)
MAX_PER_FILE = 2  # what PyPI accepts
REFUSAL = "Invalid attestations supplied during upload: "
STALE_HINT = (
    "attestations must be made for the very files being uploaded: regenerate them after the "
    "final build (or delete the old ones)"
)


class AttestationError(DistributionError):
    """An attestation that cannot be sent as it is (``path`` names the attestation file)."""


class InvalidAttestations(InvalidDistributions):
    """Attestations of some files cannot be sent; ``errors`` has one error per problem."""

    def __init__(self, errors: Sequence[DistributionError], files: int, total: int) -> None:
        InputError.__init__(
            self,
            f"the attestations of {files} of {total} file(s) cannot be sent; nothing was uploaded",
            "fix or regenerate the attestations listed above, or upload without --attestations",
        )
        self.errors = list(errors)


@dataclass
class Attested:
    """The checked attestations of a release: the ``attestations`` form field of each file."""

    values: dict[Path, str] = field(default_factory=dict)  # dist path -> JSON array text
    kinds: dict[Path, list[str]] = field(default_factory=dict)  # dist path -> attestation names

    def fields(self, dist: Distribution) -> list[tuple[str, str]]:
        value = self.values.get(dist.path)
        return [(FIELD, value)] if value else []


def find(dist_path: Path, listing: Sequence[Path] | None = None) -> list[Path]:
    """``<dist filename>.<kind>.attestation`` files beside ``dist_path`` (twine's pairing rule)."""
    prefix = dist_path.name + "."
    if listing is None:
        try:
            listing = list(dist_path.parent.iterdir())
        except OSError:
            return []
    return sorted(
        path
        for path in listing
        if path.name.startswith(prefix)
        and path.name.endswith(SUFFIX)
        and len(path.name) > len(prefix) + len(SUFFIX)
    )


def load(dists: Sequence[Distribution], sha256: Callable[[Path], str]) -> Attested:
    """Find and check every file's attestations; raise ``InvalidAttestations`` listing all problems."""
    attested = Attested()
    errors: list[DistributionError] = []
    listings: dict[Path, list[Path]] = {}
    bad_files = 0
    for dist in dists:
        directory = dist.path.parent
        if directory not in listings:
            try:
                listings[directory] = list(directory.iterdir())
            except OSError:
                listings[directory] = []
        paths = find(dist.path, listings[directory])
        found = _check_dist(dist, paths, sha256)
        if isinstance(found, list):
            errors.extend(found)
            bad_files += 1
        else:
            attested.values[dist.path] = found
            attested.kinds[dist.path] = [path.name for path in paths]
    if errors:
        raise InvalidAttestations(errors, bad_files, len(dists))
    return attested


def _check_dist(
    dist: Distribution, paths: list[Path], sha256: Callable[[Path], str]
) -> str | list[DistributionError]:
    """The form field value for ``dist``, or every problem with its attestations."""
    if not paths:
        return [
            AttestationError(
                f"Upload with attestations requested, but {dist.filename} has no associated "
                "attestations",
                hint=f"expected {dist.filename}.publish.attestation beside it "
                "(e.g. from `pypi-attestations sign`), or upload without --attestations",
                path=dist.path,
            )
        ]
    digest = sha256(dist.path)
    errors: list[DistributionError] = []
    objects: list[dict[str, Any]] = []
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            obj, predicate_type = check_file(path, dist.filename, digest)
        except AttestationError as exc:
            errors.append(exc)
            continue
        if predicate_type in seen:
            errors.append(_duplicate(path, seen[predicate_type], predicate_type))
        seen[predicate_type] = path
        objects.append(obj)
    if len(paths) > MAX_PER_FILE:
        names = ", ".join(path.name for path in paths)
        errors.append(
            AttestationError(
                f"{len(paths)} attestations found ({names}); the index accepts at most "
                f"{MAX_PER_FILE} per file",
                hint="keep one attestation per kind (publish, slsa) and remove the others",
                path=dist.path,
            )
        )
    return errors or json.dumps(objects, separators=(",", ":"))


def _duplicate(path: Path, first: Path, predicate_type: str) -> AttestationError:
    return AttestationError(
        f"has the same predicate type as {first.name} ({predicate_type}); the index accepts one "
        "attestation per predicate type",
        hint="remove one of them",
        path=path,
    )


def _fail(path: Path, message: str, hint: str | None = None, **kwargs: Any) -> AttestationError:
    return AttestationError(
        message,
        hint=hint or "regenerate it (e.g. `pypi-attestations sign`) or remove it",
        path=path,
        **kwargs,
    )


def check_file(path: Path, filename: str, sha256: str) -> tuple[dict[str, Any], str]:
    """Parse and check one attestation file for ``filename``; return it and its predicate type."""
    data = _read_json(path)
    if not isinstance(data, dict):
        raise _fail(path, f"is not a PEP 740 attestation: a JSON {_kind(data)}, not an object")
    if data.get("version") != 1:
        raise _fail(path, f"has version {data.get('version')!r}; only version 1 exists")
    material = _member(path, data, "verification_material")
    _base64(path, material, "verification_material.certificate")
    entries = material.get("transparency_entries")
    if (
        not isinstance(entries, list)
        or not entries
        or not all(isinstance(e, dict) for e in entries)
    ):
        raise _fail(
            path, "verification_material.transparency_entries must be a non-empty list of objects"
        )
    envelope = _member(path, data, "envelope")
    _base64(path, envelope, "envelope.signature")
    statement = _statement(path, _base64(path, envelope, "envelope.statement"))
    _check_subject(path, statement, filename, sha256)
    predicate_type = statement.get("predicateType")
    if predicate_type not in PREDICATE_TYPES:
        raise _fail(
            path,
            f"has predicate type {predicate_type!r}; the index accepts {' and '.join(PREDICATE_TYPES)}",
        )
    if predicate_type == PUBLISH_V1 and statement.get("predicate") not in (None, {}):
        raise _fail(path, "a publish/v1 attestation must have an empty predicate")
    return data, str(predicate_type)


def _read_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _fail(path, "is not a PEP 740 attestation: not UTF-8 text") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read: {exc.strerror or exc}") from exc
    try:
        return json.loads(text)
    except RecursionError:
        raise _fail(path, "is not a PEP 740 attestation: nested too deeply") from None
    except ValueError as exc:
        raise _fail(path, f"is not valid JSON: {exc}") from None


def _kind(value: object) -> str:
    names = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _member(path: Path, data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        what = "missing" if value is None else f"a {_kind(value)}"
        raise _fail(path, f"is not a PEP 740 attestation: {key} is {what}, not an object")
    return value


def _base64(path: Path, data: dict[str, Any], dotted: str) -> bytes:
    value = data.get(dotted.rsplit(".", 1)[-1])
    if not isinstance(value, str) or not value:
        raise _fail(path, f"is not a PEP 740 attestation: {dotted} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(path, f"{dotted} is not valid base64") from None


def _statement(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        statement = json.loads(raw)
    except (ValueError, RecursionError):
        raise _fail(path, "envelope.statement is not an in-toto statement (not JSON)") from None
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_V1:
        raise _fail(path, f"envelope.statement is not an in-toto statement ({STATEMENT_V1})")
    return statement


def _check_subject(path: Path, statement: dict[str, Any], filename: str, sha256: str) -> None:
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or len(subjects) != 1 or not isinstance(subjects[0], dict):
        count = len(subjects) if isinstance(subjects, list) else 0
        raise _fail(path, f"its statement has {count} subjects; an attestation covers exactly one")
    name, digest = subjects[0].get("name"), subjects[0].get("digest")
    if not isinstance(name, str) or not same_distribution(name, filename):
        raise _fail(path, f"is for {name!r}, not for {filename}", hint=STALE_HINT)
    attested = digest.get("sha256") if isinstance(digest, dict) else None
    if not isinstance(attested, str):
        raise _fail(path, "its subject has no sha256 digest")
    if attested.lower() != sha256:
        raise _fail(
            path,
            f"stale attestation from another build or index: its sha256 does not match {filename}",
            hint=STALE_HINT,
            details=(f"attested sha256: {attested}", f"file sha256:     {sha256}"),
        )


def same_distribution(a: str, b: str) -> bool:
    """Whether two filenames name the same distribution (as the index compares them)."""
    return a == b or (_normalized(a) or a) == (_normalized(b) or b)


def _normalized(filename: str) -> tuple[object, ...] | None:
    try:
        if filename.endswith(".whl"):
            name, version, build, tags = parse_wheel_filename(filename)
            return ("wheel", name, version, build, tuple(sorted(map(str, tags))))
        return ("sdist", *parse_sdist_filename(filename))
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


# -- the index's side ---------------------------------------------------------------------------


def requires_trusted_publishing(upload_url: str) -> bool:
    """PyPI and TestPyPI accept attestations only with a trusted-publishing token."""
    return is_pypi_url(upload_url)


def check_credential(upload_url: str, *, trusted: bool, option: str = "--attestations") -> None:
    """Refuse, before anything is sent, what PyPI would refuse: attestations with a user token."""
    if trusted or not requires_trusted_publishing(upload_url):
        return
    host = urlsplit(upload_url).hostname
    raise CredentialError(
        f"{host} accepts attestations only from trusted publishing, and this run uses an API "
        "token or password",
        hint="publish from a CI job registered as the project's trusted publisher (with no token "
        f"configured, or --trusted-publishing always), or upload without {option}",
    )


_REFUSAL_HINTS = (
    (
        "only supported when using Trusted Publishing",
        "this index accepts attestations only from a trusted-publishing upload: publish from a CI "
        "job registered as the project's trusted publisher, or upload without --attestations",
    ),
    (
        "are not currently supported with",
        "the index takes no attestations from this kind of publisher: upload without --attestations",
    ),
    ("A maximum of", f"send at most {MAX_PER_FILE} attestations per file"),
    ("subject does not match distribution digest", STALE_HINT),
    ("subject does not match distribution name", STALE_HINT),
    (
        "Could not verify",
        "the signature must come from this project's trusted publisher: sign "
        "in the same CI workflow (repository, workflow file, environment) that publishes",
    ),
    ("unsupported predicate type", "the index accepts publish/v1 and SLSA provenance v1 only"),
    ("Multiple attestations", "keep one attestation per predicate type"),
    ("Malformed attestations", "the attestation does not have PEP 740's format: regenerate it"),
    ("Unknown error", "the index failed while verifying: retry later, or upload without them"),
)


def explain_refusal(error: TPublishError, dist: Distribution) -> TPublishError:
    """The index's 400 ``Invalid attestations supplied during upload: ...``, with what to do."""
    if REFUSAL not in error.message:
        return error
    reason = error.message.split(REFUSAL, 1)[1]
    hint = next((text for key, text in _REFUSAL_HINTS if key in reason), None)
    return UploadError(f"the index refused its attestations: {reason}", hint=hint, path=dist.path)
