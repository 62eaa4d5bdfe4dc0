"""Validation of the legacy upload form, in Warehouse's words (protocol §7.1, §7.2 steps 1, 5, 6).

``UploadError`` carries the HTTP status and the message that becomes the reason phrase.
"""

from __future__ import annotations

import email.utils
import re
from typing import Any, cast
from urllib.parse import urlparse

from packaging.metadata import (
    _LIST_FIELDS,
    _RAW_TO_EMAIL_MAPPING,
    _STRING_FIELDS,
    ExceptionGroup,
    InvalidMetadata,
    Metadata,
    RawMetadata,
    _parse_keywords,
    _parse_project_urls,
)
from packaging.requirements import InvalidRequirement, Requirement

from .wire import Part

CORE_METADATA_URL = "https://packaging.python.org/specifications/core-metadata"
SUPPORTED_METADATA_VERSIONS = ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5")
PROJECT_NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
HEX64_RE = re.compile(r"^[A-F0-9]{64}$", re.IGNORECASE)
FILETYPES = ("sdist", "bdist_wheel")
DIGEST_FIELDS = ("md5_digest", "sha256_digest", "blake2_256_digest")
ERROR_ORDER = ("metadata-version", "name", "version")
_DYNAMIC = (
    "Platform Supported-Platform Summary Description Description-Content-Type Keywords Home-Page "
    "Download-Url Author Author-Email Maintainer Maintainer-Email License License-Expression "
    "License-File Classifier Requires-Dist Requires-Python Requires-External Project-Url "
    "Provides-Extra Provides-Dist Obsoletes-Dist Requires Provides Obsoletes Import-Name Import-Namespace"
)
DYNAMIC_FIELDS = {name.lower() for name in _DYNAMIC.split(" ")}
_FORM_OVERRIDES = {
    "platforms": "platform",
    "supported_platforms": "supported_platform",
    "license_files": "license_file",
    "import_names": "import_name",
    "import_namespaces": "import_namespace",
}
FORM_TO_RAW = {_FORM_OVERRIDES.get(raw, raw): raw for raw in _RAW_TO_EMAIL_MAPPING}


class UploadError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Form:
    """The text fields of an upload, in order, with repeated names kept."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self.items = items

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.items if key == name), None)

    def getall(self, name: str) -> list[str]:
        return [value for key, value in self.items if key == name]

    def names(self) -> list[str]:
        return list(dict.fromkeys(key for key, _ in self.items))


def sanitize(parts: list[Part]) -> tuple[Form, Part | None]:
    """Step 1: file parts other than ``content``/``gpg_signature`` are refused; ``UNKNOWN`` and empty
    values are dropped; NUL characters are escaped. Returns the text form and the ``content`` part."""
    content = next(
        (part for part in parts if part.name == "content" and part.filename is not None), None
    )
    items = []
    for part in parts:
        if part.filename is not None:
            if part.name not in ("content", "gpg_signature"):
                raise UploadError(400, f"{part.name}: Should not be a tuple.")
            continue
        value = part.text
        if value.strip() == "UNKNOWN" or value == "":
            continue
        items.append((part.name, value.replace("\x00", "\\x00")))
    return Form(items), content


def validate_form(form: Form) -> None:
    """Step 5: Warehouse's ``UploadForm`` (field errors first, then the form-level checks)."""
    errors: dict[str, str] = {}
    name, filetype = form.get("name"), form.get("filetype")
    if not name:
        errors["name"] = "This field is required."
    elif not PROJECT_NAME_RE.match(name):
        errors["name"] = (
            "Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'."
        )
    if not filetype:
        errors["filetype"] = "This field is required."
    elif filetype not in FILETYPES:
        errors["filetype"] = "Use a known file type."
    for field, label in (("sha256_digest", "SHA256"), ("blake2_256_digest", "BLAKE2")):
        value = form.get(field)
        if value and value.strip() and not HEX64_RE.match(value):
            errors[field] = f"Use a valid, hex-encoded, {label} message digest."
    if errors:
        field = "name" if "name" in errors else sorted(errors)[0]
        if field == "name":
            shown = name[:30] + "..." + name[-30:] if name and len(name) > 60 else name or ""
            raise UploadError(
                400,
                f"{shown!r} is an invalid value for Name. Error: {errors[field]} See {CORE_METADATA_URL} for more information.",
            )
        raise UploadError(400, f"Invalid value for {field}. Error: {errors[field]}")
    pyversion = form.get("pyversion")
    if filetype != "sdist" and not pyversion:
        raise UploadError(400, "Error: Python version is required for binary distribution uploads.")
    if filetype == "sdist" and pyversion and pyversion != "source":
        raise UploadError(400, "Error: Use 'source' as Python version for an sdist.")
    if not any(form.get(field) for field in DIGEST_FIELDS):
        raise UploadError(400, "Error: Include at least one message digest.")


def _raw_metadata(form: Form) -> tuple[dict[str, Any], list[InvalidMetadata]]:
    raw: dict[str, Any] = {}
    unparsed: list[InvalidMetadata] = []
    for name in form.names():
        raw_name = FORM_TO_RAW.get(name)
        if raw_name is None:
            continue
        values = form.getall(name)
        if raw_name in _STRING_FIELDS and len(values) == 1:
            raw[raw_name] = values[0]
        elif raw_name in _LIST_FIELDS:
            raw[raw_name] = values
        elif raw_name == "keywords" and len(values) == 1:
            raw[raw_name] = _parse_keywords(values[0])
        elif raw_name == "project_urls":
            try:
                raw[raw_name] = _parse_project_urls(values)
            except KeyError:
                unparsed.append(InvalidMetadata(name, f"{name!r} has invalid data"))
        else:
            unparsed.append(InvalidMetadata(name, f"{name!r} has invalid data"))
    return raw, unparsed


def _valid_url(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc or parsed.path)


def _classifier_errors(classifiers: list[str]) -> list[InvalidMetadata]:
    try:
        from trove_classifiers import all_classifiers, deprecated_classifiers
    except ImportError:  # optional: without trove-classifiers every classifier passes
        return []
    errors = [
        InvalidMetadata("classifier", f"{c!r} is not a valid classifier.")
        for c in sorted(set(classifiers) - set(all_classifiers))
    ]
    for classifier in sorted(set(classifiers) & set(deprecated_classifiers)):
        replacement = deprecated_classifiers[classifier]
        suffix = f", use one of {replacement} instead." if replacement else "."
        errors.append(
            InvalidMetadata(
                "classifier", f"The classifier {classifier!r} has been deprecated{suffix}"
            )
        )
    return errors


def _pypi_rules(meta: Metadata) -> list[InvalidMetadata]:
    """Warehouse's own rules on top of packaging's (``warehouse/forklift/metadata.py``)."""
    errors = []
    if meta.metadata_version not in SUPPORTED_METADATA_VERSIONS:
        errors.append(
            InvalidMetadata(
                "metadata-version", f"{meta.metadata_version!r} is not a valid metadata version"
            )
        )
    if meta.version.local:
        errors.append(
            InvalidMetadata(
                "version", f"The use of local versions in '{meta.version}' is not allowed."
            )
        )
    if meta.summary is not None and len(meta.summary) > 512:
        errors.append(InvalidMetadata("summary", "'summary' field must be 512 characters or less."))
    for field in ("author_email", "maintainer_email"):
        _, address = email.utils.parseaddr(getattr(meta, field) or "")
        if address and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s.]+", address):
            errors.append(
                InvalidMetadata(
                    _RAW_TO_EMAIL_MAPPING[field],
                    f"{address!r} is not a valid email address: The email address is not valid.",
                )
            )
    errors.extend(_classifier_errors(meta.classifiers or []))
    for field in ("home_page", "download_url"):
        url = getattr(meta, field)
        if url is not None and not _valid_url(url):
            errors.append(
                InvalidMetadata(_RAW_TO_EMAIL_MAPPING[field], f"{url!r} is not a valid url.")
            )
    for label, url in (meta.project_urls or {}).items():
        if not label:
            errors.append(InvalidMetadata("project-url", "Must have a label"))
        elif len(label) > 32:
            errors.append(
                InvalidMetadata("project-url", f"{label!r} must be 32 characters or less.")
            )
        elif not url:
            errors.append(InvalidMetadata("project-url", "Must have a URL"))
        elif not _valid_url(url):
            errors.append(InvalidMetadata("project-url", f"{url!r} is not a valid url"))
    for field in ("provides_dist", "obsoletes_dist"):
        for text in getattr(meta, field) or []:
            try:
                requirement = Requirement(text)
            except InvalidRequirement as exc:
                errors.append(
                    InvalidMetadata(_RAW_TO_EMAIL_MAPPING[field], f"{text!r} is invalid: {exc}")
                )
            else:
                if requirement.url is not None:
                    errors.append(
                        InvalidMetadata(
                            _RAW_TO_EMAIL_MAPPING[field], f"Can't have direct dependency: {text!r}"
                        )
                    )
    for requirement in meta.requires_dist or []:
        if requirement.url is not None:
            errors.append(
                InvalidMetadata("requires-dist", f"Can't have direct dependency: {requirement}")
            )
    for key in meta.dynamic or []:
        if key.lower() not in DYNAMIC_FIELDS:
            errors.append(
                InvalidMetadata("dynamic", f"Dynamic field {key!r} is not a valid dynamic field.")
            )
    if meta.license and meta.license_expression:
        errors.append(
            InvalidMetadata(
                "license",
                "License is deprecated when License-Expression is present. Only License-Expression should be present.",
            )
        )
    return errors


def _first_error(errors: list[InvalidMetadata]) -> UploadError:
    by_field: dict[str, list[InvalidMetadata]] = {}
    for error in errors:
        by_field.setdefault(error.field, []).append(error)
    field = next((name for name in ERROR_ORDER if name in by_field), None) or sorted(by_field)[0]
    message = str(by_field[field][0])
    message += "" if message.endswith(".") else "."
    return UploadError(400, f"{message} See {CORE_METADATA_URL} for more information.")


def validate_metadata(form: Form) -> Metadata:
    """Step 6: packaging's validation of the form as core metadata, then PyPI's extra rules."""
    raw, unparsed = _raw_metadata(form)
    if unparsed:
        raise _first_error(unparsed)
    try:
        meta = Metadata.from_raw(cast(RawMetadata, raw), validate=True)
    except ExceptionGroup as group:
        raise _first_error(
            [e for e in group.exceptions if isinstance(e, InvalidMetadata)]
        ) from None
    errors = _pypi_rules(meta)
    if errors:
        raise _first_error(errors)
    return meta
