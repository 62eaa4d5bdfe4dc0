"""Find the distributions the user named, check them, and describe them for the upload form.

No network and no printing. ``load_release`` checks every file before anything is uploaded and
reports all the bad ones at once. Archive reading lives in ``wheelfile`` and ``sdistfile``,
metadata checks and form fields in ``metadata``.
"""

from __future__ import annotations

import glob
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from tpublish.dists.archives import Archive, check_license_files
from tpublish.dists.metadata import Metadata, parse_metadata, safe_name
from tpublish.dists.sdistfile import SdistVisitor, read_sdist
from tpublish.dists.wheelfile import read_wheel
from tpublish.errors import DistributionError, InputError
from tpublish.pypi import pypi_web_base

WHEEL = "bdist_wheel"
SDIST = "sdist"
# Signatures and attestations that sit next to distributions and are never uploaded themselves.
SIDE_FILES = (".asc", ".sig", ".sigstore", ".sigstore.json", ".attestation", ".intoto.jsonl")
# Everything a damaged archive can make zipfile, tarfile, gzip or zlib raise.
ARCHIVE_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    LookupError,
    RuntimeError,
    struct.error,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    zlib.error,
)


@dataclass(frozen=True)
class Distribution:
    """One checked distribution file and everything the upload form needs from its metadata."""

    path: Path
    filename: str
    filetype: str  # "bdist_wheel" | "sdist"
    pyversion: str  # wheel: the filename's python tag ("py3", "cp312", "py2.py3"); sdist: "source"
    name: str  # metadata Name as written
    version: str  # metadata Version as written
    metadata_version: str
    size: int
    fields: tuple[tuple[str, str], ...]  # core-metadata form fields (protocol §7.1), in order
    warnings: tuple[str, ...]  # non-fatal findings, one line each, without the filename


class InvalidDistributions(InputError):
    """Some of the named files cannot be uploaded; ``errors`` holds one error per bad file."""

    def __init__(self, errors: Sequence[DistributionError], total: int) -> None:
        count = len(errors)
        noun = "file" if total == 1 else "files"
        verb = "is" if count == 1 else "are"
        super().__init__(
            f"{count} of {total} {noun} {verb} invalid; nothing was uploaded",
            "fix or remove the files listed above, then run the command again",
        )
        self.errors = list(errors)


# -- finding files ------------------------------------------------------------------------------


def collect(paths: Sequence[str]) -> list[Path]:
    """Expand the arguments into distribution files: wheels first, then sdists.

    Each argument is an existing file or a glob (``dist/*``); side files (signatures,
    attestations) are passed over. Raises ``InputError`` for an argument that names nothing
    usable and ``DistributionError`` for a file that is not a wheel or a ``.tar.gz`` sdist.
    """
    found, errors = _collect(paths)
    if errors:
        raise errors[0]
    return found


def collect_all(paths: Sequence[str]) -> tuple[list[Path], list[DistributionError]]:
    """Like ``collect``, but files of an unsupported type come back as errors, one per file."""
    return _collect(paths)


def _collect(paths: Sequence[str]) -> tuple[list[Path], list[DistributionError]]:
    """Expand every argument; bad file types are gathered, bad arguments raise at once."""
    if not paths:
        raise InputError("no distribution files given", "name them, e.g. `tpublish upload dist/*`")
    seen: set[Path] = set()
    wheels: list[Path] = []
    sdists: list[Path] = []
    errors: list[DistributionError] = []
    for path in (p for arg in paths for p in _expand(arg)):
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        problem = unsupported_reason(path.name)
        if problem is not None:
            errors.append(DistributionError(*problem, path=path))
        else:
            (wheels if path.name.endswith(".whl") else sdists).append(path)
    if not (wheels or sdists or errors):
        raise InputError("no distribution files given (only signatures or attestations)")
    return wheels + sdists, errors


def _expand(arg: str) -> list[Path]:
    """An existing path as given, else the sorted glob matches; side files dropped."""
    if Path(arg).exists():
        matches = [arg]
    else:
        matches = sorted(glob.glob(arg))  # noqa: PTH207 (glob patterns come from the user)
        if not matches:
            kind = "no files match" if glob.has_magic(arg) else "no such file or directory:"
            raise InputError(f"{kind} {arg}", "build the distributions first: `python -m build`")
        if all(is_side_file(match) for match in matches):
            raise InputError(f"{arg} matches only signatures or attestations, no distributions")
    paths = [Path(match) for match in matches if not is_side_file(match)]
    for path in paths:
        if path.is_dir():
            raise InputError(
                f"{path} is a directory, not a distribution file",
                f"name the files inside it, e.g. `{Path(path, '*')}`",
            )
    return paths


def is_side_file(name: str) -> bool:
    """Whether ``name`` is a signature or an attestation (passed over, never uploaded)."""
    return name.lower().endswith(SIDE_FILES)


def unsupported_reason(filename: str) -> tuple[str, str] | None:
    """(message, hint) when ``filename`` is not a ``.whl`` or a ``.tar.gz``; None when it is."""
    if filename.endswith((".whl", ".tar.gz")):
        return None
    lower = filename.lower()
    hint = "build a wheel and a .tar.gz sdist with `python -m build`"
    if lower.endswith(".zip"):
        return "PyPI no longer accepts .zip sdists (PEP 625); an sdist must be a .tar.gz", hint
    if lower.endswith(".egg"):
        return "eggs (.egg) are no longer accepted by PyPI; upload a wheel instead", hint
    if lower.endswith((".exe", ".msi")):
        return "Windows installers are not accepted by PyPI; upload a wheel instead", hint
    if lower.endswith((".tar", ".tgz", ".tar.bz2", ".tar.xz", ".tbz2", ".txz")):
        return "an sdist must be a gzip-compressed tar named *.tar.gz", hint
    return "not a distribution: expected a wheel (.whl) or an sdist (.tar.gz)", hint


# -- reading one file ---------------------------------------------------------------------------


def read_distribution(path: Path, sdist_visitor: SdistVisitor | None = None) -> Distribution:
    """Read and check one distribution; any problem is a ``DistributionError`` naming it.

    ``sdist_visitor`` is shown each member of an sdist as the reader's one pass reaches it.
    """
    try:
        return _read_distribution(path, sdist_visitor)
    except DistributionError:
        raise
    except ARCHIVE_ERRORS as exc:
        raise DistributionError(
            f"cannot read the archive: {describe_error(exc)}",
            "the file may be truncated or corrupt; rebuild it with `python -m build`",
            path=path,
        ) from exc


def describe_error(exc: BaseException) -> str:
    """One line for an exception raised while reading an archive."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _read_distribution(path: Path, sdist_visitor: SdistVisitor | None) -> Distribution:
    problem = unsupported_reason(path.name)
    if problem is not None:
        raise DistributionError(*problem, path=path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DistributionError(f"cannot read the file: {describe_error(exc)}", path=path) from exc
    if size == 0:
        raise DistributionError("the file is empty (0 bytes)", "rebuild it", path=path)
    if path.name.endswith(".whl"):
        return _read_wheel(path, size)
    return _read_sdist(path, size, sdist_visitor)


def _read_wheel(path: Path, size: int) -> Distribution:
    try:
        name, version, _build, _tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename as exc:
        raise DistributionError(
            f"invalid wheel filename: {exc}",
            "a wheel is named {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl",
            path=path,
        ) from exc
    parts = path.name[: -len(".whl")].split("-")
    archive = read_wheel(path, parts[0], parts[1])
    meta = parse_metadata(path, archive.metadata, archive.label)
    _check_identity(path, archive, meta, name, version)
    warnings = list(meta.warnings)
    expected = canonicalize_name(meta.name).replace("-", "_")
    if parts[0] != expected:
        warnings.append(
            f"the filename should start with the normalised name '{expected}', not '{parts[0]}':"
            " private indexes accept it, PyPI rejects it"
        )
    return _distribution(path, size, WHEEL, parts[-3], meta, warnings)


def _read_sdist(path: Path, size: int, visitor: SdistVisitor | None) -> Distribution:
    try:
        name, version = parse_sdist_filename(path.name)
    except InvalidSdistFilename as exc:
        raise DistributionError(
            f"invalid sdist filename: {exc}",
            "an sdist is named {name}-{version}.tar.gz (PEP 625)",
            path=path,
        ) from exc
    archive = read_sdist(path, visitor)
    meta = parse_metadata(path, archive.metadata, archive.label)
    name, version = _legacy_post_release(path.name, meta, name, version)
    _check_identity(path, archive, meta, name, version)
    warnings = list(meta.warnings)
    expected = f"{canonicalize_name(meta.name).replace('-', '_')}-{meta.version}.tar.gz"
    if path.name != expected:
        warnings.append(
            f"the filename is not PEP 625 compliant, expected '{expected}':"
            " private indexes accept it, PyPI rejects it"
        )
    return _distribution(path, size, SDIST, "source", meta, warnings)


def _legacy_post_release(
    filename: str, meta: Metadata, name: NormalizedName, version: Version
) -> tuple[NormalizedName, Version]:
    """Read ``foo-1.0.0-1.tar.gz`` as PyPI does for a post-release: foo, 1.0.0-1 (= .post1).

    The last ``-`` normally ends the name; for a post-release whose name does not match, PyPI
    tries the one before it, so the file is refused for its PEP 625 name, not its project name.
    """
    if not meta.version.is_postrelease or name == canonicalize_name(meta.name):
        return name, version
    if filename.count("-") < 2:
        return name, version
    name_part = filename.rsplit("-", 2)[0]
    try:
        legacy = Version(filename[len(name_part) + 1 : -len(".tar.gz")])
    except InvalidVersion:
        return name, version
    return canonicalize_name(name_part), legacy


def _check_identity(
    path: Path, archive: Archive, meta: Metadata, name: str, version: Version
) -> None:
    """The metadata must agree with the name and version from the filename, and its License-File
    entries must be in the archive."""
    label = archive.label
    if canonicalize_name(meta.name) != name:
        raise DistributionError(
            f"the filename names project '{name}' but {label} has Name '{meta.name}'",
            "the filename and the metadata must agree; rebuild the distribution",
            path=path,
        )
    if meta.version != version:
        raise DistributionError(
            f"the filename has version '{version}' but {label} has Version '{meta.raw_version}'",
            "the filename and the metadata must agree; rebuild the distribution",
            path=path,
        )
    check_license_files(path, archive, meta.license_files)


def _distribution(
    path: Path, size: int, filetype: str, pyversion: str, meta: Metadata, warnings: Iterable[str]
) -> Distribution:
    return Distribution(
        path=path,
        filename=path.name,
        filetype=filetype,
        pyversion=pyversion,
        name=meta.name,
        version=meta.raw_version,
        metadata_version=meta.metadata_version,
        size=size,
        fields=meta.fields,
        warnings=tuple(warnings),
    )


# -- a whole release ----------------------------------------------------------------------------


def load_release(paths: Sequence[str]) -> list[Distribution]:
    """Collect and read every named file; raise ``InvalidDistributions`` listing all bad ones.

    A bad argument (nothing matches, a directory) raises ``InputError`` at once.
    """
    found, errors = _collect(paths)
    total = len(found) + len(errors)
    dists: list[Distribution] = []
    for path in found:
        try:
            dists.append(read_distribution(path))
        except DistributionError as exc:
            errors.append(exc)
    if errors:
        raise InvalidDistributions(errors, total=total)
    return dists


# -- digests and links --------------------------------------------------------------------------


def release_url(upload_url: str, dist: Distribution) -> str | None:
    """The release page on PyPI or TestPyPI (protocol §2.3); None for any other index."""
    base = pypi_web_base(upload_url)
    if base is None:
        return None
    return f"{base}/project/{safe_name(dist.name)}/{dist.version}/"
