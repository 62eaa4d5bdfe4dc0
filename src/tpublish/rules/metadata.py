"""The index's metadata rules (protocol §7.2 steps 5-6), applied to the form fields tpublish sends.

The index rebuilds core metadata from the upload form, validates it with packaging's
``Metadata.from_raw`` and then adds its own rules; so does this module, on ``Distribution.fields``.
Messages keep the index's words; those that do not name their field get it as a prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import cast

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
from packaging.metadata import ExceptionGroup, InvalidMetadata, Metadata, RawMetadata
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version
from trove_classifiers import classifiers as known_classifiers
from trove_classifiers import deprecated_classifiers

from tpublish.dists.metadata import (
    FORM_TO_RAW,
    MULTI_USE_FORM_FIELDS,
    PYPI_METADATA_VERSIONS,
    RAW_TO_HEADER,
)
from tpublish.rules.findings import Finding, error, warning
from tpublish.rules.links import address_of, email_problem, is_valid_url
from tpublish.rules.pinned import PINNED_FIELDS, pinned_findings

SUMMARY_LIMIT = 512
PROJECT_URL_LABEL_LIMIT = 32
# Fields PyPI accepts in Dynamic (lower-cased); Name, Version and Metadata-Version never are.
DYNAMIC_FIELDS = frozenset(
    """platform supported-platform summary description description-content-type keywords
    home-page download-url author author-email maintainer maintainer-email license
    license-expression license-file classifier requires-dist requires-python requires-external
    project-url provides-extra provides-dist obsoletes-dist requires provides obsoletes
    import-name import-namespace""".split()  # noqa: SIM905 (a list of 28 words, read as text)
)
# packaging names fields by their lower-cased header; report them in the spec's order.
_HEADER_ORDER = {header.lower(): i for i, header in enumerate(RAW_TO_HEADER.values())}
_INTRODUCED = " introduced in metadata version "


def raw_from_form(fields: Sequence[tuple[str, str]]) -> tuple[RawMetadata, list[str]]:
    """The ``RawMetadata`` the index rebuilds from the form, and the fields it cannot read."""
    values: dict[str, list[str]] = {}
    for field, value in fields:
        values.setdefault(field, []).append(value)
    raw: dict[str, object] = {}
    unreadable: list[str] = []
    for field, items in values.items():
        key = FORM_TO_RAW.get(field)
        if key is None:
            continue
        if key == "keywords" and len(items) == 1:
            raw[key] = [kw.strip() for kw in items[0].split(",")]
        elif key == "project_urls":
            urls = _project_urls(items)
            if urls is None:
                unreadable.append(field)
            else:
                raw[key] = urls
        elif field in MULTI_USE_FORM_FIELDS:
            raw[key] = items
        elif len(items) == 1:
            raw[key] = items[0]
        else:
            unreadable.append(field)
    return cast("RawMetadata", raw), unreadable


def _project_urls(items: Iterable[str]) -> dict[str, str] | None:
    urls: dict[str, str] = {}
    for item in items:
        label, _, url = (part.strip() for part in item.partition(","))
        if label in urls:
            return None
        urls[label] = url
    return urls


def metadata_findings(fields: Sequence[tuple[str, str]], *, deep: bool = True) -> list[Finding]:
    """Every metadata rule of the index; ``deep=False`` keeps only the version policy ones."""
    return list(_metadata_findings(tuple(fields), deep))


@lru_cache(maxsize=64)  # the wheels of a release share their metadata: check it once
def _metadata_findings(fields: tuple[tuple[str, str], ...], deep: bool) -> tuple[Finding, ...]:
    raw, unreadable = raw_from_form(fields)
    findings = _policy_findings(raw)
    if not deep:
        return tuple(findings)
    findings += [error("invalid-metadata", f"'{field}' has invalid data") for field in unreadable]
    packaging_errors = _packaging_findings(raw)
    findings += packaging_errors
    flagged = {f.code for f in packaging_errors}
    for rule in (_summary, _emails, _classifiers, _urls, _project_url_rules, _dist_fields):
        findings += rule(raw)
    findings += _dynamic(raw, [f.message for f in packaging_errors if f.code == "invalid-dynamic"])
    findings += _license(raw, flagged)
    return tuple(findings)


def _policy_findings(raw: RawMetadata) -> list[Finding]:
    """PyPI's own policy on versions (private indexes may accept these)."""
    findings: list[Finding] = []
    metadata_version = raw.get("metadata_version", "")
    if metadata_version not in PYPI_METADATA_VERSIONS:
        findings.append(
            error("metadata-version", f"'{metadata_version}' is not a valid metadata version")
        )
    version = Version(raw.get("version", "0"))
    if version.local is not None:
        findings.append(
            error("local-version", f"The use of local versions in '{version}' is not allowed.")
        )
    return findings


def _packaging_findings(raw: RawMetadata) -> list[Finding]:
    """packaging's verdict, but on the fields its releases disagree about, PyPI's packaging's."""
    exceptions: list[Exception] = []
    try:
        Metadata.from_raw(raw, validate=True)
    except ExceptionGroup as group:  # packaging's own on Python 3.10
        exceptions = [
            exc
            for exc in group.exceptions
            # PyPI accepts fewer metadata versions: _policy_findings says so already.
            if getattr(exc, "field", None) != "metadata-version"
            and not (getattr(exc, "field", None) in PINNED_FIELDS and _INTRODUCED not in str(exc))
        ]
    findings = [_packaging_finding(exc) for exc in exceptions] + pinned_findings(raw)
    return sorted(findings, key=_finding_order)  # packaging's order is a set's


def _finding_order(finding: Finding) -> int:
    field = finding.code.removeprefix("invalid-")
    return _HEADER_ORDER.get(field, len(_HEADER_ORDER))


def _packaging_finding(exc: BaseException) -> Finding:
    field = exc.field if isinstance(exc, InvalidMetadata) else "metadata"
    message = str(exc)
    cause = exc.__cause__
    if cause is not None and str(cause):
        message += f": {str(cause).splitlines()[0]}"
    return error(f"invalid-{field}", message)


def _summary(raw: RawMetadata) -> list[Finding]:
    summary = raw.get("summary")
    if summary is not None and len(summary) > SUMMARY_LIMIT:
        return [
            error(
                "summary-too-long",
                f"'summary' field must be {SUMMARY_LIMIT} characters or less."
                f" It has {len(summary)}.",
            )
        ]
    return []


def _emails(raw: RawMetadata) -> list[Finding]:
    findings: list[Finding] = []
    for key, header in (("author_email", "Author-email"), ("maintainer_email", "Maintainer-email")):
        value = cast("dict[str, str]", raw).get(key)
        address = address_of(value) if value is not None else ""
        problem = email_problem(address) if address else None
        if problem is not None:
            findings.append(
                error(
                    "invalid-email",
                    f"{header}: {address!r} is not a valid email address: {problem}",
                )
            )
    return findings


def _classifiers(raw: RawMetadata) -> list[Finding]:
    given = set(raw.get("classifiers", []))
    findings = [
        error("invalid-classifier", f"{c!r} is not a valid classifier.")
        for c in sorted(given - known_classifiers - deprecated_classifiers.keys())
    ]
    for classifier in sorted(given & deprecated_classifiers.keys()):
        instead = deprecated_classifiers[classifier]
        use = f", use one of {instead} instead." if instead else "."
        findings.append(
            error(
                "deprecated-classifier", f"The classifier {classifier!r} has been deprecated{use}"
            )
        )
    return findings


def _urls(raw: RawMetadata) -> list[Finding]:
    findings: list[Finding] = []
    for key, header in (("home_page", "Home-page"), ("download_url", "Download-URL")):
        url = cast("dict[str, str]", raw).get(key)
        if url is not None and not is_valid_url(url):
            findings.append(error("invalid-url", f"{header}: {url!r} is not a valid url."))
    return findings


def _project_url_rules(raw: RawMetadata) -> list[Finding]:
    findings: list[Finding] = []
    for label, url in raw.get("project_urls", {}).items():
        if not label:
            problem = "Must have a label"
        elif len(label) > PROJECT_URL_LABEL_LIMIT:
            problem = f"{label!r} must be {PROJECT_URL_LABEL_LIMIT} characters or less."
        elif not url:
            problem = "Must have a URL"
        elif not is_valid_url(url):
            problem = f"{url!r} is not a valid url"
        else:
            continue
        findings.append(error("invalid-project-url", f"Project-URL: {problem}"))
    return findings


def _dist_fields(raw: RawMetadata) -> list[Finding]:
    findings: list[Finding] = []
    for key, header in (("provides_dist", "Provides-Dist"), ("obsoletes_dist", "Obsoletes-Dist")):
        for text in cast("dict[str, list[str]]", raw).get(key, []):
            try:
                requirement = Requirement(text)
            except InvalidRequirement as exc:
                first = str(exc).splitlines()[0]
                findings.append(
                    error("invalid-requirement", f"{header}: {text!r} is invalid: {first}")
                )
                continue
            if requirement.url is not None:
                findings.append(direct_dependency(header, repr(text)))
    for text in raw.get("requires_dist", []):
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue  # reported by packaging
        if requirement.url is not None:  # PyPI shows the parsed requirement here, unquoted
            findings.append(direct_dependency("Requires-Dist", str(requirement)))
    return findings


def direct_dependency(header: str, shown: str) -> Finding:
    return error("direct-dependency", f"{header}: Can't have direct dependency: {shown}")


def _dynamic(raw: RawMetadata, reported: list[str]) -> list[Finding]:
    """Dynamic entries PyPI does not know (those packaging reported already are left out)."""
    return [
        error("invalid-dynamic", f"Dynamic field '{key}' is not a valid dynamic field.")
        for key in (k.lower() for k in raw.get("dynamic", []))
        if key not in DYNAMIC_FIELDS and not any(f"'{key}'" in text for text in reported)
    ]


def _license(raw: RawMetadata, flagged: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    expression = raw.get("license_expression")
    if raw.get("license") and expression:
        findings.append(
            error(
                "license-conflict",
                "License is deprecated when License-Expression is present."
                " Only License-Expression should be present.",
            )
        )
    if not expression or "invalid-license-expression" in flagged:
        return findings
    try:
        canonical = canonicalize_license_expression(expression)
    except InvalidLicenseExpression:
        return findings
    if canonical != expression:
        findings.append(
            warning(
                "license-expression-form",
                f"License-Expression '{expression}' is not in its canonical form '{canonical}'",
            )
        )
    license_classifiers = [c for c in raw.get("classifiers", []) if c.startswith("License ::")]
    if license_classifiers:
        findings.append(
            warning(
                "license-classifier",
                f"License classifiers ('{license_classifiers[0]}') are deprecated when"
                " License-Expression is present (PEP 639): remove them",
            )
        )
    return findings
