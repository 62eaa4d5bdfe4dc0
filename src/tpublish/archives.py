"""Open a wheel or an sdist just far enough to get its core metadata and its member names.

Nothing is extracted to disk and no metadata member larger than ``MAX_METADATA_BYTES`` is read.
Every problem found here is a ``DistributionError`` naming the file.
"""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tpublish.errors import DistributionError

MAX_METADATA_BYTES = 4 << 20
REBUILD_HINT = "Rebuild the distribution with a current build backend (`python -m build`)."


@dataclass(frozen=True)
class Archive:
    """What a distribution holds that matters here: its raw metadata and its member names."""

    metadata: bytes
    label: str  # "METADATA" or "PKG-INFO", for messages
    names: frozenset[str]
    license_dir: str  # where License-File paths live inside the archive, with a trailing "/"


def read_bounded(stream: IO[bytes], path: Path, member: str) -> bytes:
    """Read at most ``MAX_METADATA_BYTES`` from ``stream``; more is an error."""
    data = stream.read(MAX_METADATA_BYTES + 1)
    if len(data) > MAX_METADATA_BYTES:
        raise _too_large(path, member)
    return data


def _too_large(path: Path, member: str) -> DistributionError:
    limit = MAX_METADATA_BYTES >> 20
    return DistributionError(f"{member} is larger than {limit} MiB; refusing to read it", path=path)


def check_license_files(path: Path, archive: Archive, license_files: Sequence[str]) -> None:
    """Every License-File must be in the archive (PyPI refuses the upload otherwise)."""
    for license_file in license_files:
        member = archive.license_dir + license_file
        if member not in archive.names:
            raise DistributionError(
                f"{archive.label} names License-File '{license_file}', but {member} is not in"
                " the archive",
                REBUILD_HINT,
                path=path,
            )


# -- wheels -------------------------------------------------------------------------------------


def read_wheel(path: Path, name_part: str, version_part: str) -> Archive:
    """The METADATA of a wheel whose filename starts ``<name_part>-<version_part>-``."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise DistributionError(
            f"not a valid wheel: the file is not a zip archive ({exc})",
            "Rebuild it with `python -m build`; the file may be truncated or corrupt.",
            path=path,
        ) from exc
    with zf:
        names = frozenset(zf.namelist())
        dist_info = _find_dist_info(path, names, name_part, version_part)
        for required in ("WHEEL", "RECORD"):
            if f"{dist_info}/{required}" not in names:
                raise DistributionError(
                    f"the wheel has no {dist_info}/{required} file", REBUILD_HINT, path=path
                )
        member = f"{dist_info}/METADATA"
        if zf.getinfo(member).file_size > MAX_METADATA_BYTES:
            raise _too_large(path, member)
        with zf.open(member) as stream:
            data = read_bounded(stream, path, member)
    return Archive(data, "METADATA", names, f"{dist_info}/licenses/")


def _find_dist_info(path: Path, names: frozenset[str], name_part: str, version_part: str) -> str:
    """The top-level ``.dist-info`` directory whose name matches the wheel's filename.

    The exact ``<name>-<version>.dist-info`` is preferred; one that differs only by name or
    version normalisation is accepted.
    """
    expected = f"{name_part}-{version_part}.dist-info"
    candidates = sorted(
        name[: -len("/METADATA")]
        for name in names
        if name.count("/") == 1 and name.endswith(".dist-info/METADATA")
    )
    if expected in candidates:
        return expected
    key = _identity(expected)
    for candidate in candidates:
        if key is not None and _identity(candidate) == key:
            return candidate
    found = f"; found {', '.join(c + '/METADATA' for c in candidates)}" if candidates else ""
    raise DistributionError(f"the wheel has no {expected}/METADATA{found}", REBUILD_HINT, path=path)


def _identity(dist_info: str) -> tuple[str, Version] | None:
    name, sep, version = dist_info[: -len(".dist-info")].partition("-")
    try:
        return (canonicalize_name(name), Version(version)) if sep else None
    except InvalidVersion:
        return None


# -- sdists -------------------------------------------------------------------------------------


def read_sdist(path: Path) -> Archive:
    """The PKG-INFO of a ``.tar.gz`` sdist: ``<top>/PKG-INFO`` under its single top directory."""
    with path.open("rb") as stream:
        magic = stream.read(2)
    if magic != b"\x1f\x8b":
        raise DistributionError(
            "not a valid sdist: the file is not gzip-compressed",
            "An sdist must be a gzip-compressed tar archive; rebuild it with `python -m build`.",
            path=path,
        )
    try:
        tf = tarfile.open(path, mode="r:gz")  # noqa: SIM115 (closed below, in `with tf`)
    except tarfile.TarError as exc:
        raise DistributionError(
            f"not a valid sdist: not a readable tar.gz archive ({exc})", REBUILD_HINT, path=path
        ) from exc
    with tf:
        data: bytes | None = None
        names: set[str] = set()
        for member in tf:
            names.add(member.name)
            if data is None and _is_pkg_info(member.name):
                data = _read_tar_member(tf, member, path)
    return _sdist_archive(path, names, data)


def _is_pkg_info(name: str) -> bool:
    top, sep, rest = name.partition("/")
    return bool(top and sep) and rest == "PKG-INFO"


def _read_tar_member(tf: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> bytes:
    if not member.isreg():
        raise DistributionError(f"{member.name} is not a regular file", REBUILD_HINT, path=path)
    if member.size > MAX_METADATA_BYTES:
        raise _too_large(path, member.name)
    stream = tf.extractfile(member)
    if stream is None:  # pragma: no cover - isreg() members always have a stream
        raise DistributionError(f"cannot read {member.name}", path=path)
    with stream:
        return read_bounded(stream, path, member.name)


def _sdist_archive(path: Path, names: set[str], data: bytes | None) -> Archive:
    tops = sorted({name.split("/", 1)[0] for name in names})
    if len(tops) != 1:
        found = ", ".join(tops[:5]) + (", ..." if len(tops) > 5 else "") if tops else "nothing"
        raise DistributionError(
            f"an sdist must hold a single top-level directory; found {found}",
            REBUILD_HINT,
            path=path,
        )
    if data is None:
        raise DistributionError(f"the sdist has no {tops[0]}/PKG-INFO", REBUILD_HINT, path=path)
    return Archive(data, "PKG-INFO", frozenset(names), f"{tops[0]}/")
