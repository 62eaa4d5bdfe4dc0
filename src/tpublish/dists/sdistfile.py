"""Read a ``.tar.gz`` sdist just far enough to get its PKG-INFO and member names (see
``archives``), in one forward pass over the tar stream that a caller may look over
(``SdistVisitor``): the upload scanner reads the Python members on the same pass.

Device files, sparse files and links that leave the archive are errors; tar headers may not ask
for more than ``MAX_READ`` bytes at once, and the stream is decompressed no further than
``sdist_read_limit``.
"""

from __future__ import annotations

import gzip
import posixpath
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

from tpublish.dists.archives import (
    COMPRESSION_RATIO_THRESHOLD,
    REBUILD_HINT,
    Archive,
    check_member_count,
    check_member_name,
    decompression_limit,
)
from tpublish.errors import DistributionError

MAX_READ = 16 << 20  # the largest single read of tar headers tpublish allows
# The least an sdist may decompress to before tpublish stops reading: PyPI's highest per-file
# limit (UPLOAD_LIMIT_CAP, 1 GiB). PyPI itself has no ratio rule for tar.gz files.
SDIST_READ_FLOOR = 1 << 30
# Shown each member of an sdist as the reader passes it (checked, and the tar stream positioned
# at it): a caller that needs the members' contents reads them in the reader's one pass.
SdistVisitor = Callable[[tarfile.TarFile, tarfile.TarInfo], None]


def sdist_read_limit(size: int) -> int:
    """How far tpublish decompresses an sdist of ``size`` bytes before it stops."""
    return max(SDIST_READ_FLOOR, decompression_limit(size))


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
        check_member_count(path, len(names) + 1)
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
