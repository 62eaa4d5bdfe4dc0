"""Check distributions against every rule the index applies, before anything is uploaded.

``check_files`` reads each named file (``dists``), then runs the rules on it (this folder's
other modules) and on the files as a release (one sdist per release, one filename once, one
release at a time). Each file gets a ``FileReport`` of ``Finding`` s: errors make the index
refuse the file, warnings do not. No printing here: ``cli.check`` and ``cli.upload`` show the
reports.

Safety rules always run: archive structure, name/version/filename consistency, filenames, tags.
``deep=False`` (``upload --no-check``) skips the rest: metadata fields, description rendering,
RECORD contents and the release-wide warning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

from tpublish.dists.distribution import (
    ARCHIVE_ERRORS,
    SDIST,
    Distribution,
    InvalidDistributions,
    collect_all,
    describe_error,
    read_distribution,
)
from tpublish.dists.zipnames import open_zip
from tpublish.errors import DistributionError
from tpublish.rules.description import description_findings
from tpublish.rules.endrecords import is_zipfile
from tpublish.rules.files import (
    DEFAULT_SIZE_LIMIT,
    POLYGLOT,
    filename_findings,
    sdist_findings,
    size_findings,
)
from tpublish.rules.findings import ERROR, WARNING, Finding, error, warning
from tpublish.rules.metadata import metadata_findings
from tpublish.rules.names import name_findings
from tpublish.rules.scanner import SdistScan
from tpublish.rules.wheels import wheel_findings
from tpublish.rules.zipfiles import zip_findings
from tpublish.untrusted import printable

# PyPI's own policy, not a property of the file: other indexes may accept these, so an upload
# to another index only warns about them (protocol §7.2 steps 6, 12, 14, 22-24). twine uploads
# a description that does not render, to any index.
PYPI_POLICY = frozenset(
    {
        "metadata-version",
        "local-version",
        "description-render",
        "filename-too-long",
        "wheel-platform-tag",
        "wheel-filename",
        "wheel-layout",
        "wheel-entry-points",
        "sdist-filename",
        "tar-zip-polyglot",
        "zip-bomb",
        "zip-compression",
        "zip-framing",
        "obfuscated-code",
        "exposed-token",
        # Warehouse's own field rules, beyond the core-metadata spec that packaging enforces:
        # indexes such as pypiserver and devpi take these values as they are.
        "invalid-url",
        "invalid-project-url",
        "invalid-email",
        "invalid-classifier",
        "deprecated-classifier",
        "summary-too-long",
        "direct-dependency",
    }
)
# Reader warnings the rules above restate in the index's words (and with their severity).
_RESTATED = ("PyPI rejects it", "is not one PyPI accepts")
# Codes of the rules ``--no-check`` skips.
DEEP_CODES_PREFIXES = (
    "invalid-",
    "description-",
    "summary-",
    "license-",
    "deprecated-",
    "direct-",
    "wheel-record",
    "wheel-entry-points",
    "obfuscated-code",
    "exposed-token",
)


@dataclass(frozen=True)
class FileReport:
    """The findings for one file; ``dist`` is None when the file could not be read at all."""

    path: Path
    findings: tuple[Finding, ...]
    dist: Distribution | None = None

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_files(
    paths: Sequence[str],
    *,
    deep: bool = True,
    pypi: bool = True,
    size_limit: int = DEFAULT_SIZE_LIMIT,
) -> list[FileReport]:
    """Read and check every named file; a bad argument (nothing matches) raises ``InputError``."""
    found, refused = collect_all(paths)
    reports = [_unreadable(exc) for exc in refused]
    reports += [check_path(path, deep=deep, size_limit=size_limit) for path in found]
    reports = release_findings(reports, deep=deep)
    return reports if pypi else [_for_other_index(report) for report in reports]


def check_path(
    path: Path, *, deep: bool = True, size_limit: int = DEFAULT_SIZE_LIMIT
) -> FileReport:
    """Read one file and run every per-file rule on it.

    An sdist is decompressed once: the upload scanner reads its members as the reader passes them.
    """
    findings = filename_findings(path.name)
    scan = SdistScan() if deep else None
    try:
        dist = read_distribution(path, sdist_visitor=scan)
    except DistributionError as exc:
        findings.append(error("bad-distribution", printable(exc.message)))
        findings += _archive_findings(path)
        return FileReport(path, tuple(replace(f, message=printable(f.message)) for f in findings))
    try:
        findings += distribution_findings(dist, scan, deep=deep, size_limit=size_limit)
    except ARCHIVE_ERRORS as exc:
        findings.append(
            error("bad-distribution", f"cannot read the archive: {describe_error(exc)}")
        )
    return FileReport(path, tuple(replace(f, message=printable(f.message)) for f in findings), dist)


def distribution_findings(
    dist: Distribution,
    scan: SdistScan | None,
    *,
    deep: bool = True,
    size_limit: int = DEFAULT_SIZE_LIMIT,
) -> list[Finding]:
    """Every per-file rule, on a file ``dists`` has read (``scan``: the upload scanner's pass over
    an sdist as it was read); the reader's own warnings come first."""
    findings = [
        warning("metadata-warning", text)
        for text in dist.warnings
        if not any(marker in text for marker in _RESTATED)
    ]
    findings += size_findings(dist, size_limit)
    findings += sdist_findings(dist, scan)
    findings += wheel_findings(dist, deep=deep)
    findings += metadata_findings(dist.fields, deep=deep)
    if deep:
        findings += description_findings(dist.fields)
        findings += name_findings(dict(dist.fields).get("name", dist.name))
    return findings


def _archive_findings(path: Path) -> list[Finding]:
    """PyPI's archive rules on a file the reader refused, where they can still be applied.

    They need no metadata, and they say in PyPI's words what is wrong with the archive
    (a duplicate member: "Duplicate filename in local headers").
    """
    try:
        if path.name.endswith(".whl"):
            with open_zip(path) as zf:
                return zip_findings(path, zf, path.stat().st_size)
        with path.open("rb") as stream:
            return [error("tar-zip-polyglot", POLYGLOT)] if is_zipfile(stream) else []
    except ARCHIVE_ERRORS:
        return []


def _unreadable(exc: DistributionError) -> FileReport:
    """A file ``collect_all`` refused by its name (the error names it)."""
    assert exc.path is not None
    return FileReport(exc.path, (error("bad-distribution", exc.message),))


# -- the files as a release ---------------------------------------------------------------------


def release_findings(reports: list[FileReport], *, deep: bool = True) -> list[FileReport]:
    """Add the rules that look at all files at once: duplicates, sdists, mixed releases."""
    extra: dict[Path, list[Finding]] = {r.path: [] for r in reports}
    first_by_name: dict[str, Path] = {}
    for report in reports:
        first = first_by_name.setdefault(report.filename, report.path)
        if first != report.path:
            extra[report.path].append(
                error(
                    "duplicate-filename",
                    f"another file given has the same name ({first}): the index takes one file"
                    " per name",
                )
            )
    dists = [r.dist for r in reports if r.dist is not None]
    for dist, finding in _second_sdists(dists):
        extra[dist.path].append(finding)
    if deep:
        for dist, finding in _mixed_releases(dists):
            extra[dist.path].append(finding)
    return [replace(r, findings=r.findings + tuple(extra[r.path])) for r in reports]


def _release_key(dist: Distribution) -> tuple[str, Version]:
    return canonicalize_name(dist.name), Version(dist.version)


def _second_sdists(dists: Iterable[Distribution]) -> Iterable[tuple[Distribution, Finding]]:
    first: dict[tuple[str, Version], Distribution] = {}
    for dist in (d for d in dists if d.filetype == SDIST):
        earlier = first.setdefault(_release_key(dist), dist)
        if earlier is not dist:
            yield (
                dist,
                error(
                    "one-sdist",
                    "Only one sdist may be uploaded per release."
                    f" ({earlier.filename} is an sdist of {dist.name} {dist.version} too)",
                ),
            )


def _mixed_releases(dists: Sequence[Distribution]) -> Iterable[tuple[Distribution, Finding]]:
    counts = Counter(_release_key(d) for d in dists)
    if len(counts) < 2:
        return
    main_key = max(counts, key=lambda key: counts[key])  # the first of the most common
    main = next(d for d in dists if _release_key(d) == main_key)
    for dist in dists:
        if _release_key(dist) != main_key:
            yield (
                dist,
                warning(
                    "mixed-releases",
                    f"this file is {dist.name} {dist.version}, but {counts[main_key]} of the"
                    f" {len(dists)} files given are {main.name} {main.version}: a stale file"
                    " in dist/?",
                ),
            )


# -- severities ---------------------------------------------------------------------------------


def _for_other_index(report: FileReport) -> FileReport:
    """PyPI's own policy only warns when the upload goes to another index."""
    findings = tuple(
        Finding(WARNING, f.code, f"{f.message} (PyPI refuses this; this index may accept it)")
        if f.severity == ERROR and f.code in PYPI_POLICY
        else f
        for f in report.findings
    )
    return replace(report, findings=findings)


def strict(reports: Iterable[FileReport]) -> list[FileReport]:
    """``--strict``: every warning becomes an error."""
    return [
        replace(r, findings=tuple(replace(f, severity=ERROR) for f in r.findings)) for r in reports
    ]


class CheckFailed(InvalidDistributions):
    """Some files would be refused by the index; ``errors`` holds one error per finding."""

    def __init__(self, reports: Sequence[FileReport]) -> None:
        bad = [r for r in reports if not r.ok]
        errors = [DistributionError(f.message, path=r.path) for r in bad for f in r.errors]
        super().__init__(errors, total=len(reports))
        noun = "file" if len(reports) == 1 else "files"
        verb = "has" if len(bad) == 1 else "have"
        self.message = f"{len(bad)} of {len(reports)} {noun} {verb} errors; nothing was uploaded"
        self.args = (self.message,)
        if any(f.code.startswith(DEEP_CODES_PREFIXES) for r in bad for f in r.errors):
            self.hint = (
                "fix the files listed above (`tpublish check` shows every finding), or pass"
                " --no-check to skip the metadata and description checks"
            )


def raise_for_errors(reports: Sequence[FileReport]) -> list[Distribution]:
    """The distributions, when no file has an error; else ``CheckFailed`` listing each error."""
    if any(not r.ok for r in reports):
        raise CheckFailed(reports)
    return [r.dist for r in reports if r.dist is not None]
