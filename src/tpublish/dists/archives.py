"""Open a wheel or an sdist just far enough to get its core metadata and its member names.

Nothing is extracted to disk. Hostile archives are refused in bounded time and memory: at most
``MAX_MEMBERS`` members; a wheel's METADATA is read only up to ``decompression_limit`` (beyond
it PyPI's compression-ratio rule refuses the wheel anyway), an sdist is decompressed no further
than ``sdist_read_limit`` (at least 1 GiB: PyPI sets no such bound on sdists, so this one sits
far above any real one); member names that point outside the archive, links that leave it,
device files and duplicate metadata are errors. There is no other cap on metadata size: PyPI
has none, and a 5 MiB long description uploads there.
Every problem found here is a ``DistributionError`` naming the file.
"""

from __future__ import annotations

import gzip
import posixpath
import struct
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tpublish.errors import DistributionError

MAX_MEMBERS = 100_000
MAX_READ = 16 << 20  # the largest single read of tar headers tpublish allows
# PyPI's decompression-bomb rule (protocol §7.2 step 22): more than 64 MiB uncompressed and more
# than 50 times the file's size.
COMPRESSION_RATIO_MIN_SIZE = 64 << 20
COMPRESSION_RATIO_THRESHOLD = 50
# The least an sdist may decompress to before tpublish stops reading: PyPI's highest per-file
# limit (UPLOAD_LIMIT_CAP, 1 GiB). PyPI itself has no ratio rule for tar.gz files.
SDIST_READ_FLOOR = 1 << 30
REBUILD_HINT = "rebuild the distribution with a current build backend (`python -m build`)"
# Shown each member of an sdist as the reader passes it (checked, and the tar stream positioned
# at it): a caller that needs the members' contents reads them in the reader's one pass.
SdistVisitor = Callable[[tarfile.TarFile, tarfile.TarInfo], None]


@dataclass(frozen=True)
class Archive:
    """What a distribution holds that matters here: its raw metadata and its member names."""

    metadata: bytes
    label: str  # "METADATA" or "PKG-INFO", for messages
    names: frozenset[str]
    license_dir: str  # where License-File paths live inside the archive, with a trailing "/"


def read_bounded(stream: IO[bytes], path: Path, member: str, limit: int, size: int) -> bytes:
    """Read at most ``limit`` bytes from ``stream``; more is an error."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large(path, member, size)
    return data


def _too_large(path: Path, member: str, size: int) -> DistributionError:
    """A metadata member bigger than ``decompression_limit``: PyPI's ratio rule refuses it."""
    return DistributionError(
        f"Invalid distribution file. File exceeds compression ratio of"
        f" {COMPRESSION_RATIO_THRESHOLD} ({member} alone is over"
        f" {decompression_limit(size)} bytes uncompressed in a {size}-byte file)",
        REBUILD_HINT,
        path=path,
    )


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


def decompression_limit(size: int) -> int:
    """The most uncompressed bytes a file of ``size`` bytes may hold before it counts as a bomb."""
    return max(COMPRESSION_RATIO_MIN_SIZE, size * COMPRESSION_RATIO_THRESHOLD)


def sdist_read_limit(size: int) -> int:
    """How far tpublish decompresses an sdist of ``size`` bytes before it stops."""
    return max(SDIST_READ_FLOOR, decompression_limit(size))


def check_member_name(path: Path, name: str) -> None:
    """A member name must stay inside the archive: not absolute, no '..' component."""
    parts = name.replace("\\", "/").split("/")
    drive = len(name) > 1 and name[0].isalpha() and name[1] == ":"
    if name.startswith(("/", "\\")) or ".." in parts or drive:
        raise DistributionError(
            f"member '{name}' points outside the archive (an absolute path or '..');"
            " installers refuse it",
            REBUILD_HINT,
            path=path,
        )


def _check_unique(path: Path, names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DistributionError(
                f"the archive holds '{name}' more than once", REBUILD_HINT, path=path
            )
        seen.add(name)


def _too_many_members(path: Path, count: int) -> DistributionError:
    return DistributionError(
        f"the archive has {count} members, more than the {MAX_MEMBERS} tpublish reads",
        "a distribution with that many files is almost certainly broken or hostile",
        path=path,
    )


def zip_entry_count(stream: IO[bytes]) -> int | None:
    """The member count the zip's end-of-central-directory record declares (None: no record)."""
    size = stream.seek(0, 2)
    # Almost every zip ends with a comment-less, non-zip64 record: read those 22 bytes before
    # the whole 64 kB a comment may take (and the zip64 locator in front of the record).
    tail_length = min(size, 22)
    stream.seek(size - tail_length)
    tail = stream.read(tail_length)
    if not tail.startswith(b"PK\x05\x06") or tail[10:12] == b"\xff\xff":
        tail_length = min(size, 22 + 0xFFFF)
        stream.seek(size - tail_length)
        tail = stream.read(tail_length)
    at = _end_record_at(tail)
    if at is None:
        return None
    (count,) = struct.unpack("<H", tail[at + 10 : at + 12])
    locator = at - 20
    if count == 0xFFFF and locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
        (offset,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
        stream.seek(offset)
        record = stream.read(56)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            (count,) = struct.unpack("<Q", record[32:40])
    return int(count)


def _end_record_at(tail: bytes) -> int | None:
    """Where the end record starts: the last signature whose comment length reaches the end."""
    at = len(tail)
    while (at := tail.rfind(b"PK\x05\x06", 0, at)) >= 0:
        if at + 22 <= len(tail):
            (comment_length,) = struct.unpack("<H", tail[at + 20 : at + 22])
            if at + 22 + comment_length == len(tail):
                return at
    return None


def read_wheel(path: Path, name_part: str, version_part: str) -> Archive:
    """The METADATA of a wheel whose filename starts ``<name_part>-<version_part>-``."""
    with path.open("rb") as stream:
        count = zip_entry_count(stream)
    if count is not None and count > MAX_MEMBERS:
        raise _too_many_members(path, count)
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise DistributionError(
            f"not a valid wheel: the file is not a zip archive ({exc})",
            "rebuild it with `python -m build`; the file may be truncated or corrupt",
            path=path,
        ) from exc
    with zf:
        listed = zf.namelist()
        if len(listed) > MAX_MEMBERS:
            raise _too_many_members(path, len(listed))
        for name in listed:
            check_member_name(path, name)
        _check_unique(path, listed)
        names = frozenset(listed)
        _check_single_dist_info(path, names)
        dist_info = _find_dist_info(path, names, name_part, version_part)
        for required in ("WHEEL", "RECORD"):
            if f"{dist_info}/{required}" not in names:
                raise DistributionError(
                    f"the wheel has no {dist_info}/{required} file", REBUILD_HINT, path=path
                )
        member = f"{dist_info}/METADATA"
        size = path.stat().st_size
        limit = decompression_limit(size)
        if zf.getinfo(member).file_size > limit:
            raise _too_large(path, member, size)
        with zf.open(member) as stream:
            data = read_bounded(stream, path, member, limit, size)
    return Archive(data, "METADATA", names, f"{dist_info}/licenses/")


def _check_single_dist_info(path: Path, names: frozenset[str]) -> None:
    """Installers refuse a wheel with two top-level ``.dist-info`` directories."""
    tops = sorted(
        {
            n.split("/", 1)[0]
            for n in names
            if "/" in n and n.split("/", 1)[0].endswith(".dist-info")
        }
    )
    if len(tops) > 1:
        raise DistributionError(
            f"Wheel '{path.name}' contains multiple .dist-info directories ({', '.join(tops[:3])})",
            REBUILD_HINT,
            path=path,
        )


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


def read_sdist(path: Path, visit: SdistVisitor | None = None) -> Archive:
    """The PKG-INFO of a ``.tar.gz`` sdist: ``<top>/PKG-INFO`` under its single top directory.

    The tar stream is read forward only, once, and no further than ``sdist_read_limit``;
    ``visit`` is shown each member on the way.
    """
    with path.open("rb") as stream:
        magic = stream.read(2)
    if magic != b"\x1f\x8b":
        raise DistributionError(
            "not a valid sdist: the file is not gzip-compressed",
            "an sdist must be a gzip-compressed tar archive; rebuild it with `python -m build`",
            path=path,
        )
    limit = sdist_read_limit(path.stat().st_size)
    with path.open("rb") as raw, gzip.GzipFile(fileobj=raw) as unzipped:
        bounded = cast("IO[bytes]", _BoundedStream(unzipped, limit, path))
        try:
            tf = tarfile.open(fileobj=bounded, mode="r:")  # noqa: SIM115 (closed below)
        except tarfile.TarError as exc:
            raise DistributionError(
                f"not a valid sdist: not a readable tar.gz archive ({exc})",
                REBUILD_HINT,
                path=path,
            ) from exc
        with tf:
            data, names = _scan_sdist(tf, path, visit)
    return _sdist_archive(path, names, data)


def _scan_sdist(
    tf: tarfile.TarFile, path: Path, visit: SdistVisitor | None
) -> tuple[bytes | None, set[str]]:
    data: bytes | None = None
    names: set[str] = set()
    while (member := tf.next()) is not None:
        if len(names) >= MAX_MEMBERS:
            raise _too_many_members(path, len(names) + 1)
        _check_tar_member(path, member)
        if _is_pkg_info(member.name):
            if data is not None or member.name in names:
                raise DistributionError(
                    f"the sdist holds more than one {member.name}", REBUILD_HINT, path=path
                )
            data = _read_tar_member(tf, member, path)
        names.add(member.name)
        if visit is not None:
            visit(tf, member)
        cast("Any", tf).members.clear()  # the names are all we keep: bounded memory
    return data, names


def _check_tar_member(path: Path, member: tarfile.TarInfo) -> None:
    check_member_name(path, member.name)
    if member.isdev():
        raise DistributionError(
            f"member '{member.name}' is a device file or FIFO", REBUILD_HINT, path=path
        )
    if member.issparse():
        raise DistributionError(
            f"member '{member.name}' is a sparse file, which PyPI refuses", REBUILD_HINT, path=path
        )
    if member.issym() or member.islnk():
        base = posixpath.dirname(member.name) if member.issym() else ""
        target = posixpath.normpath(posixpath.join(base, member.linkname))
        if member.linkname.startswith("/") or target == ".." or target.startswith("../"):
            raise DistributionError(
                f"member '{member.name}' links outside the archive (to '{member.linkname}')",
                REBUILD_HINT,
                path=path,
            )


class _BoundedStream:
    """A forward-reading view of a decompressed stream that refuses to go past ``limit`` bytes."""

    def __init__(self, stream: gzip.GzipFile, limit: int, path: Path) -> None:
        self._stream, self._limit, self._path = stream, limit, path

    def _refuse(self) -> DistributionError:
        return DistributionError(
            f"the archive holds more than {self._limit >> 20} MiB uncompressed, over"
            f" {COMPRESSION_RATIO_THRESHOLD} times its size: tpublish reads no further"
            " (a decompression bomb, or a corrupt size field)",
            REBUILD_HINT,
            path=self._path,
        )

    def read(self, size: int = -1) -> bytes:
        if size > MAX_READ:
            raise DistributionError(
                f"a tar header declares {size} bytes of extended data; refusing to read it",
                REBUILD_HINT,
                path=self._path,
            )
        room = self._limit - self._stream.tell()
        data = self._stream.read(room + 1 if size < 0 or size > room else size)
        if len(data) > room:
            raise self._refuse()
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        target = offset if whence == 0 else self._stream.tell() + offset
        if whence not in (0, 1) or target > self._limit:
            raise self._refuse()
        return self._stream.seek(target)

    def tell(self) -> int:
        return self._stream.tell()


def _is_pkg_info(name: str) -> bool:
    top, sep, rest = name.partition("/")
    return bool(top and sep) and rest == "PKG-INFO"


def _read_tar_member(tf: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> bytes:
    if not member.isreg():
        raise DistributionError(f"{member.name} is not a regular file", REBUILD_HINT, path=path)
    stream = tf.extractfile(member)
    if stream is None:  # pragma: no cover - isreg() members always have a stream
        raise DistributionError(f"cannot read {member.name}", path=path)
    with stream:  # the tar stream itself stops at sdist_read_limit
        return stream.read()


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
