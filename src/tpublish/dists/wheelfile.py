"""Read a wheel just far enough to get its METADATA and its member names (see ``archives``).

The member count the zip's end record declares bounds the reading before ``zipfile`` parses the
central directory; names must stay inside the archive and be unique, and there must be exactly
one ``.dist-info`` directory, the one the filename names, holding WHEEL, RECORD and METADATA.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tpublish.dists.archives import (
    COMPRESSION_RATIO_THRESHOLD,
    REBUILD_HINT,
    Archive,
    check_member_count,
    check_member_name,
    decompression_limit,
)
from tpublish.dists.zipnames import open_zip
from tpublish.errors import DistributionError

# The zip record signatures (PKWARE's APPNOTE, 4.3), for every module that reads zip records.
LOCAL = b"PK\x03\x04"
CENTRAL = b"PK\x01\x02"
END = b"PK\x05\x06"
END64 = b"PK\x06\x06"
END64_LOCATOR = b"PK\x06\x07"


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


def _check_unique(path: Path, names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DistributionError(
                f"the archive holds '{name}' more than once", REBUILD_HINT, path=path
            )
        seen.add(name)


def zip_entry_count(stream: IO[bytes]) -> int | None:
    """The member count the zip's end-of-central-directory record declares (None: no record)."""
    size = stream.seek(0, 2)
    # Almost every zip ends with a comment-less, non-zip64 record: read those 22 bytes before
    # the whole 64 kB a comment may take (and the zip64 locator in front of the record).
    tail_length = min(size, 22)
    stream.seek(size - tail_length)
    tail = stream.read(tail_length)
    if not tail.startswith(END) or tail[10:12] == b"\xff\xff":
        tail_length = min(size, 22 + 0xFFFF)
        stream.seek(size - tail_length)
        tail = stream.read(tail_length)
    at = _end_record_at(tail)
    if at is None:
        return None
    (count,) = struct.unpack("<H", tail[at + 10 : at + 12])
    locator = at - 20
    if count == 0xFFFF and locator >= 0 and tail[locator : locator + 4] == END64_LOCATOR:
        (offset,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
        stream.seek(offset)
        record = stream.read(56)
        if len(record) == 56 and record[:4] == END64:
            (count,) = struct.unpack("<Q", record[32:40])
    return int(count)


def _end_record_at(tail: bytes) -> int | None:
    """Where the end record starts: the last signature whose comment length reaches the end."""
    at = len(tail)
    while (at := tail.rfind(END, 0, at)) >= 0:
        if at + 22 <= len(tail):
            (comment_length,) = struct.unpack("<H", tail[at + 20 : at + 22])
            if at + 22 + comment_length == len(tail):
                return at
    return None


def read_wheel(path: Path, name_part: str, version_part: str) -> Archive:
    """The METADATA of a wheel whose filename starts ``<name_part>-<version_part>-``."""
    with path.open("rb") as stream:
        count = zip_entry_count(stream)
    if count is not None:
        check_member_count(path, count)
    try:
        zf = open_zip(path)
    except zipfile.BadZipFile as exc:
        raise DistributionError(
            f"not a valid wheel: the file is not a zip archive ({exc})",
            "rebuild it with `python -m build`; the file may be truncated or corrupt",
            path=path,
        ) from exc
    with zf:
        listed = zf.namelist()
        check_member_count(path, len(listed))
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
