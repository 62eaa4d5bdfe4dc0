"""Check core metadata and turn it into the upload form fields of protocol §7.1.

``packaging.metadata.parse_email`` does the parsing (every field up to Metadata-Version 2.5);
this module decides what is fatal, what is a warning and what is sent.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from packaging.metadata import RawMetadata, parse_email
from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

from tpublish.dists.archives import REBUILD_HINT as _REBUILD
from tpublish.errors import DistributionError

# Metadata versions PyPI accepts (protocol §7.2 step 6).
PYPI_METADATA_VERSIONS = ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5")
_METADATA_VERSION = re.compile(r"\d+\.\d+")
_NOT_SAFE = re.compile(r"[^A-Za-z0-9.]+")

# (form field, RawMetadata key, header) in the order of protocol §7.1.
_SINGLE_FIELDS = (
    ("metadata_version", "metadata_version", "Metadata-Version"),
    ("name", "name", "Name"),
    ("version", "version", "Version"),
    ("summary", "summary", "Summary"),
    ("description", "description", "Description"),
    ("description_content_type", "description_content_type", "Description-Content-Type"),
    ("keywords", "keywords", "Keywords"),
    ("home_page", "home_page", "Home-page"),
    ("download_url", "download_url", "Download-URL"),
    ("author", "author", "Author"),
    ("author_email", "author_email", "Author-email"),
    ("maintainer", "maintainer", "Maintainer"),
    ("maintainer_email", "maintainer_email", "Maintainer-email"),
    ("license", "license", "License"),
    ("license_expression", "license_expression", "License-Expression"),
    ("requires_python", "requires_python", "Requires-Python"),
)
_MULTI_FIELDS = (
    ("classifiers", "classifiers", "Classifier"),
    ("platform", "platforms", "Platform"),
    ("supported_platform", "supported_platforms", "Supported-Platform"),
    ("license_file", "license_files", "License-File"),
    ("requires_dist", "requires_dist", "Requires-Dist"),
    ("requires_external", "requires_external", "Requires-External"),
    ("project_urls", "project_urls", "Project-URL"),
    ("provides_extra", "provides_extra", "Provides-Extra"),
    ("provides_dist", "provides_dist", "Provides-Dist"),
    ("obsoletes_dist", "obsoletes_dist", "Obsoletes-Dist"),
    ("requires", "requires", "Requires"),
    ("provides", "provides", "Provides"),
    ("obsoletes", "obsoletes", "Obsoletes"),
    ("dynamic", "dynamic", "Dynamic"),
    ("import_name", "import_names", "Import-Name"),
    ("import_namespace", "import_namespaces", "Import-Namespace"),
)
# Lower-cased header -> header as the spec writes it, for every field up to 2.5.
_HEADERS = {header.lower(): header for _, _, header in (*_SINGLE_FIELDS, *_MULTI_FIELDS)}
# Upload form field -> RawMetadata key, and RawMetadata key -> header, for the checks.
FORM_TO_RAW = {field: key for field, key, _ in (*_SINGLE_FIELDS, *_MULTI_FIELDS)}
RAW_TO_HEADER = {key: header for _, key, header in (*_SINGLE_FIELDS, *_MULTI_FIELDS)}
MULTI_USE_FORM_FIELDS = frozenset(field for field, _, _ in _MULTI_FIELDS)


@dataclass(frozen=True)
class Metadata:
    """Checked core metadata: the identity fields, the form fields and non-fatal findings."""

    metadata_version: str
    name: str
    version: Version
    raw_version: str
    license_files: tuple[str, ...]  # empty below Metadata-Version 2.4
    fields: tuple[tuple[str, str], ...]
    warnings: tuple[str, ...]


def safe_name(name: str) -> str:
    """twine's "safe name": each run of characters other than ASCII letters, digits, "." -> "-"."""
    return _NOT_SAFE.sub("-", name)


def parse_metadata(path: Path, data: bytes, label: str) -> Metadata:
    """Decode and check raw core metadata (``label`` names it in messages); build the fields.

    The wheels of one release usually carry the same METADATA, so a parse is kept by content:
    a release of 100 wheels parses it once. Failures are not kept (their messages name the path).
    """
    key = (hashlib.sha256(data).digest(), label)  # not the bytes: they may be megabytes
    parsed = _PARSED.get(key)
    if parsed is None:
        parsed = _parse_metadata(path, data, label)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = parsed
    return parsed


_PARSED: dict[tuple[bytes, str], Metadata] = {}  # by sha256 of the raw bytes, and label
_PARSED_MAX = 64


def _parse_metadata(path: Path, data: bytes, label: str) -> Metadata:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DistributionError(
            f"{label} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            "core metadata must be UTF-8; rebuild with a current build backend",
            path=path,
        ) from exc
    raw, unparsed = parse_email(text)
    metadata_version = _required(path, label, raw, unparsed, "metadata_version")
    name = _required(path, label, raw, unparsed, "name")
    raw_version = _required(path, label, raw, unparsed, "version")
    _check_metadata_version(path, label, metadata_version)
    _check_name(path, label, name)
    version = _parse_version(path, label, raw_version)
    warnings = [*_metadata_version_warnings(metadata_version, raw), *_unparsed_warnings(unparsed)]
    if version.local is not None:
        warnings.append(
            f"version {raw_version} has a local part ('+{version.local}'): private indexes"
            " accept it, PyPI rejects it"
        )
    fields = form_fields(raw, include_license_files=_at_least(metadata_version, (2, 4)))
    license_files = (
        tuple(raw.get("license_files", ())) if _at_least(metadata_version, (2, 4)) else ()
    )
    return Metadata(
        metadata_version, name, version, raw_version, license_files, fields, tuple(warnings)
    )


def _required(
    path: Path, label: str, raw: RawMetadata, unparsed: dict[str, list[str]], key: str
) -> str:
    header = _HEADERS[key.replace("_", "-")]
    if header.lower() in unparsed:
        raise DistributionError(f"{label} has more than one {header} field", _REBUILD, path=path)
    value = cast("dict[str, str]", raw).get(key, "").strip()
    if not value:
        raise DistributionError(f"{label} has no {header}", _REBUILD, path=path)
    return value


def _check_metadata_version(path: Path, label: str, value: str) -> None:
    if not _METADATA_VERSION.fullmatch(value):
        raise DistributionError(
            f"{label} has Metadata-Version '{value}', which is not a metadata version",
            path=path,
        )


def _check_name(path: Path, label: str, name: str) -> None:
    try:
        canonicalize_name(name, validate=True)
    except InvalidName as exc:
        raise DistributionError(
            f"{label} has Name '{name}', which is not a valid project name",
            "a name holds ASCII letters, digits, '.', '_' and '-', and starts and ends with a"
            " letter or digit",
            path=path,
        ) from exc


def _parse_version(path: Path, label: str, text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise DistributionError(
            f"{label} has Version '{text}', which is not a valid PEP 440 version",
            "see https://packaging.python.org/specifications/version-specifiers/",
            path=path,
        ) from exc


def _at_least(metadata_version: str, minimum: tuple[int, int]) -> bool:
    major, minor = metadata_version.split(".")
    return (int(major), int(minor)) >= minimum


def _metadata_version_warnings(metadata_version: str, raw: RawMetadata) -> Iterable[str]:
    if metadata_version not in PYPI_METADATA_VERSIONS:
        yield (
            f"Metadata-Version {metadata_version} is not one PyPI accepts"
            f" ({', '.join(PYPI_METADATA_VERSIONS)}); private indexes may accept it"
        )
    if raw.get("license_files") and not _at_least(metadata_version, (2, 4)):
        yield f"License-File needs Metadata-Version 2.4 (this is {metadata_version}); not sent"


def _unparsed_warnings(unparsed: dict[str, list[str]]) -> Iterable[str]:
    """Known fields packaging could not read: a repeated single-use field, a bad Project-URL."""
    for key in sorted(unparsed):
        if key == "description":
            yield (
                "Description is given twice (as a header and as the body) or is unreadable;"
                " not sent"
            )
        elif key in _HEADERS:
            yield f"{_HEADERS[key]} is repeated or malformed; not sent (PyPI would reject the file)"


# -- form fields --------------------------------------------------------------------------------


def form_fields(
    raw: RawMetadata, *, include_license_files: bool = True
) -> tuple[tuple[str, str], ...]:
    """The core-metadata upload form fields of protocol §7.1, in order, multi-use ones repeated."""
    values = cast("dict[str, object]", raw)
    out: list[tuple[str, str]] = []
    for field, key, _header in _SINGLE_FIELDS:
        value = values.get(key)
        if key == "keywords" and isinstance(value, list):
            value = ",".join(kw for kw in value if _present(kw))
        if isinstance(value, str) and _present(value):
            out.append((field, safe_name(value) if field == "name" else value))
    for field, key, _header in _MULTI_FIELDS:
        if key == "license_files" and not include_license_files:
            continue
        out.extend((field, item) for item in _items(values.get(key)) if _present(item))
    return tuple(out)


def _items(value: object) -> list[str]:
    if isinstance(value, dict):
        return [f"{label}, {url}" for label, url in value.items()]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


def _present(value: str) -> bool:
    stripped = value.strip()
    return bool(stripped) and stripped != "UNKNOWN"
