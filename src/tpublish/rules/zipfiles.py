"""The index's zip rules (protocol §7.2 step 22): compression, ratio, and record framing.

PyPI refuses a zip whose local file headers and central directory could be read differently
by two zip readers (duplicates, gaps, data descriptors, comments, trailing data, sizes that
disagree, ambiguous names): see https://docs.pypi.org/archives. ``framing_problem`` walks the
records one after another from byte 0, as a streaming reader would, and compares them with the
central directory ``zipfile`` reads, check for check as ``warehouse/utils/zipfiles.py`` does.
The end records are also checked as CPython 3.14's ``zipfile`` (the Python PyPI runs) checks
them when it opens the file (``endrecords``), whatever Python runs tpublish.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import IO

from tpublish.dists.archives import COMPRESSION_RATIO_MIN_SIZE, COMPRESSION_RATIO_THRESHOLD
from tpublish.dists.wheelfile import CENTRAL, END, END64, END64_LOCATOR, LOCAL
from tpublish.rules.endrecords import ZipRefused, end_record
from tpublish.rules.findings import Finding, error

ZIP64_EXTRA = 0x0001
UNICODE_PATH_EXTRA = 0x7075
_SENTINEL = 0xFFFFFFFF
_UNPRINTABLE = frozenset(range(32)) | {127}
_INVALID = "Invalid distribution file."

# (compressed size, uncompressed size) by the central directory's raw name, as zipfile keys it.
Sizes = dict[str, tuple[int, int]]


class _Refused(Exception):
    """A framing problem; its message is the index's words for it."""


def zip_findings(path: Path, zf: zipfile.ZipFile, size: int) -> list[Finding]:
    """Compression ratio, compression methods and record framing of an open zip."""
    infos = zf.infolist()
    findings: list[Finding] = []
    opened = cpython_open_problem(path)
    if opened is not None:
        findings.append(
            error(
                "zip-framing",
                f"{_INVALID} None (Python's zipfile, as PyPI runs it, cannot open the file:"
                f" {opened})",
            )
        )
        return findings
    total = sum(info.file_size for info in infos)
    if total > COMPRESSION_RATIO_MIN_SIZE and total / max(size, 1) > COMPRESSION_RATIO_THRESHOLD:
        findings.append(
            error(
                "zip-bomb",
                f"{_INVALID} File exceeds compression ratio of {COMPRESSION_RATIO_THRESHOLD}"
                f" ({total} bytes uncompressed in a {size}-byte file)",
            )
        )
    if any(info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in infos):
        findings.append(
            error("zip-compression", f"{_INVALID} File does not use a supported compression type")
        )
    sizes = {info.orig_filename: (info.compress_size, info.file_size) for info in infos}
    problem = framing_problem(path, sizes)
    if problem is not None:
        findings.append(
            error(
                "zip-framing",
                f"{_INVALID} ZIP archive not accepted: {problem}."
                " See https://docs.pypi.org/archives for more information",
            )
        )
    return findings


def cpython_open_problem(path: Path) -> str | None:
    """Why CPython 3.14's ``zipfile`` refuses to open ``path`` at its end records, or None."""
    with path.open("rb") as stream:
        try:
            record = end_record(stream)
        except (ZipRefused, OSError) as exc:
            return str(exc)
    return "File is not a zip file" if record is None else None


def framing_problem(path: Path, sizes: Sizes) -> str | None:
    """Why the zip's records are ambiguous (None when they are not)."""
    with path.open("rb") as stream:
        try:
            _Walk(stream, sizes).run()
        except _Refused as exc:
            return str(exc)
        end = stream.tell()
        if end != stream.seek(0, 2):
            return "Trailing data"
    return None


def _read(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise _Refused("Malformed zip file")
    return data


def _has_unprintable(name: bytes) -> bool:
    return any(byte in _UNPRINTABLE for byte in name)


class _Walk:
    """One pass over the records, in file order, keeping what the end records must agree with."""

    def __init__(self, stream: IO[bytes], sizes: Sizes) -> None:
        self.stream, self.sizes = stream, sizes
        self.local: set[bytes] = set()
        self.central: set[bytes] = set()
        self.central_count = 0
        self.central_offset: int | None = None
        self.central_size = 0
        self.end64_at: int | None = None
        self.locator: int | None = None
        self.expected: tuple[int, int, int] | None = None  # records, size, offset (from EOCD64)

    def run(self) -> None:
        while True:
            signature = _read(self.stream, 4)
            if signature == END and self.end64_at is not None and self.locator is None:
                raise _Refused("Malformed zip file")
            if signature == CENTRAL:
                self._central()
            elif signature == LOCAL:
                name = _local_header(self.stream, self.sizes)
                if name in self.local:
                    raise _Refused("Duplicate filename in local headers")
                self.local.add(name)
            elif signature == END:
                self._end()
                break
            elif signature == END64:
                self.end64_at = self.stream.tell() - 4
                self.expected = _end64(self.stream)
            elif signature == END64_LOCATOR:
                (self.locator,) = struct.unpack("<xxxxQxxxx", _read(self.stream, 16))
            else:
                raise _Refused("Unknown record signature")
        if self.central != self.local:
            raise _Refused("Mis-matched local headers and central directory")

    def _central(self) -> None:
        if self.central_offset is None:
            self.central_offset = self.stream.tell() - 4
        self.central_count += 1
        name_size, extra_size, comment_size = struct.unpack("<HHH", _read(self.stream, 42)[24:30])
        if comment_size:
            raise _Refused("Comment in central directory")
        name = _read(self.stream, name_size)
        _read(self.stream, extra_size)
        if _has_unprintable(name):
            raise _Refused("Invalid character in filename")
        self.central_size += 46 + name_size + extra_size
        if name in self.central:
            raise _Refused("Duplicate filename in central directory")
        if name not in self.local:
            raise _Refused("Missing filename in local headers")
        self.central.add(name)

    def _end(self) -> None:
        if self.central_offset is None:  # an empty zip: the directory would start here
            self.central_offset = self.stream.tell() - 4
        on_disk, records, size, offset, comment_size = struct.unpack(
            "<xxxxHHLLH", _read(self.stream, 18)
        )
        if on_disk != records:
            raise _Refused("Malformed zip file")
        self.stream.seek(comment_size, 1)
        if self.locator is None or self.expected is None:
            self.expected = (records, size, offset)
        records, size, offset = self.expected
        if records != self.central_count:
            raise _Refused("Mismatched central directory records")
        if offset != self.central_offset:
            raise _Refused("Mismatched central directory offset")
        if size != self.central_size:
            raise _Refused("Mismatched central directory size")


def _end64(stream: IO[bytes]) -> tuple[int, int, int]:
    record_size, on_disk, records, size, offset = struct.unpack(
        "<QxxxxxxxxxxxxQQQQ", _read(stream, 52)
    )
    if on_disk != records:
        raise _Refused("Malformed zip file")
    if record_size != 44:
        raise _Refused("ZIP64 extensible data not allowed")
    return records, size, offset


def _local_header(stream: IO[bytes], sizes: Sizes) -> bytes:
    flags, method, compressed, uncompressed, name_size, extra_size = struct.unpack(
        "<xxHHxxxxxxxxLLHH", _read(stream, 26)
    )
    name = _read(stream, name_size)
    extra = _read(stream, extra_size)
    if _has_unprintable(name):
        raise _Refused("Invalid character in filename")
    compressed, uncompressed = _extras(extra, method, compressed, uncompressed)
    if flags & 0x08:
        raise _Refused("ZIP contains a data descriptor")
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused("Filename not unicode") from None
    if text not in sizes:
        raise _Refused("Filename not in central directory")
    if sizes[text][0] != compressed:
        raise _Refused("Mis-matched data size")
    if sizes[text][1] != uncompressed:
        raise _Refused("Mis-matched file size")
    stream.seek(compressed, 1)
    return name


def _extras(extra: bytes, method: int, compressed: int, uncompressed: int) -> tuple[int, int]:
    """Walk a local header's extra blocks; the sizes a ZIP64 block stands in for."""
    seen: set[int] = set()
    while extra:
        if len(extra) < 4:
            raise _Refused("Malformed zip file")
        kind, size = struct.unpack("<HH", extra[:4])
        if size + 4 > len(extra):
            raise _Refused("Malformed zip file")
        if kind in seen and kind in (ZIP64_EXTRA, UNICODE_PATH_EXTRA):
            raise _Refused("Invalid duplicate extra in local file")
        seen.add(kind)
        body = extra[4 : 4 + size]
        if kind == ZIP64_EXTRA:
            compressed, uncompressed = _zip64_sizes(body, method, compressed, uncompressed)
        elif kind == UNICODE_PATH_EXTRA:
            unicode_name = body[5:]  # after a version byte and the name's CRC-32
            if _has_unprintable(unicode_name):
                raise _Refused("Invalid character in filename")
            try:
                unicode_name.decode("utf-8")
            except UnicodeDecodeError:
                raise _Refused("Filename not valid UTF-8") from None
        extra = extra[4 + size :]
    return compressed, uncompressed


def _zip64_sizes(body: bytes, method: int, compressed: int, uncompressed: int) -> tuple[int, int]:
    if len(body) not in (0, 8, 16, 24, 28):
        raise _Refused("Malformed zip file")
    if not body:
        if _SENTINEL in (compressed, uncompressed):
            raise _Refused("Malformed zip file")
        return compressed, uncompressed
    (first,) = struct.unpack("<Q", body[:8])
    if len(body) == 8:  # one size only: both, which a stored member alone may have
        if method != zipfile.ZIP_STORED:
            raise _Refused("Malformed zip file")
        return first, first if uncompressed == _SENTINEL else uncompressed
    (second,) = struct.unpack("<Q", body[8:16])
    return second, first if uncompressed == _SENTINEL else uncompressed
