"""The index's zip rules (protocol §7.2 step 22): compression, ratio, and record framing.

PyPI refuses a zip whose local file headers and central directory could be read differently
by two zip readers (duplicates, gaps, data descriptors, comments, trailing data): see
https://docs.pypi.org/archives. ``framing_problem`` walks the records one after another, as a
streaming reader would, and compares them with the central directory ``zipfile`` reads.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import IO

from tpublish.dists.archives import COMPRESSION_RATIO_MIN_SIZE, COMPRESSION_RATIO_THRESHOLD
from tpublish.rules.findings import Finding, error

LOCAL = b"PK\x03\x04"
CENTRAL = b"PK\x01\x02"
END = b"PK\x05\x06"
END64 = b"PK\x06\x06"
END64_LOCATOR = b"PK\x06\x07"
_UNPRINTABLE = frozenset(range(32)) | {127}
_INVALID = "Invalid distribution file."


class _Refused(Exception):
    """A framing problem; its message is the index's words for it."""


def zip_findings(path: Path, zf: zipfile.ZipFile, size: int) -> list[Finding]:
    """Compression ratio, compression methods and record framing of an open zip."""
    infos = zf.infolist()
    findings: list[Finding] = []
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
    problem = framing_problem(path, {info.orig_filename: info.compress_size for info in infos})
    if problem is not None:
        findings.append(
            error(
                "zip-framing",
                f"{_INVALID} ZIP archive not accepted: {problem}."
                " See https://docs.pypi.org/archives for more information",
            )
        )
    return findings


def framing_problem(path: Path, sizes: dict[str, int]) -> str | None:
    """Why the zip's records are ambiguous (None when they are not)."""
    with path.open("rb") as stream:
        try:
            _walk(stream, sizes)
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


def _walk(stream: IO[bytes], sizes: dict[str, int]) -> None:
    local: set[bytes] = set()
    central: set[bytes] = set()
    seen_end64 = False
    while True:
        signature = _read(stream, 4)
        if seen_end64 and signature not in (END64_LOCATOR, END):
            raise _Refused("Malformed zip file")
        if signature == LOCAL:
            name = _local_header(stream, sizes)
            if name in local:
                raise _Refused("Duplicate filename in local headers")
            local.add(name)
        elif signature == CENTRAL:
            name = _central_header(stream)
            if name in central:
                raise _Refused("Duplicate filename in central directory")
            if name not in local:
                raise _Refused("Missing filename in local headers")
            central.add(name)
        elif signature == END64:
            (record_size,) = struct.unpack("<Q", _read(stream, 8))
            stream.seek(record_size, 1)
            seen_end64 = True
        elif signature == END64_LOCATOR:
            _read(stream, 16)
        elif signature == END:
            _end_record(stream, len(central))
            break
        else:
            raise _Refused("Unknown record signature")
    if central != local:
        raise _Refused("Mis-matched local headers and central directory")


def _check_name(name: bytes) -> str:
    if any(byte in _UNPRINTABLE for byte in name):
        raise _Refused("Invalid character in filename")
    try:
        return name.decode("utf-8")
    except UnicodeDecodeError:
        return name.decode("cp437")


def _local_header(stream: IO[bytes], sizes: dict[str, int]) -> bytes:
    flags, method, compressed, name_size, extra_size = struct.unpack(
        "<xxHHxxxxxxxxLxxxxHH", _read(stream, 26)
    )
    name = _read(stream, name_size)
    extra = _read(stream, extra_size)
    text = _check_name(name)
    if flags & 0x08:
        raise _Refused("ZIP contains a data descriptor")
    if compressed == 0xFFFFFFFF:
        compressed = _zip64_compressed_size(extra, method)
    if text not in sizes:
        raise _Refused("Filename not in central directory")
    if sizes[text] != compressed:
        raise _Refused("Mis-matched data size")
    stream.seek(compressed, 1)
    return name


def _zip64_compressed_size(extra: bytes, method: int) -> int:
    while len(extra) >= 4:
        kind, size = struct.unpack("<HH", extra[:4])
        if kind == 0x0001:
            body = extra[4 : 4 + size]
            if len(body) >= 16:
                return int(struct.unpack("<Q", body[8:16])[0])
            if len(body) == 8 and method == zipfile.ZIP_STORED:
                return int(struct.unpack("<Q", body[:8])[0])
            break
        extra = extra[4 + size :]
    raise _Refused("Malformed zip file")


def _central_header(stream: IO[bytes]) -> bytes:
    name_size, extra_size, comment_size = struct.unpack("<HHH", _read(stream, 42)[24:30])
    if comment_size:
        raise _Refused("Comment in central directory")
    name = _read(stream, name_size)
    _read(stream, extra_size)
    _check_name(name)
    return name


def _end_record(stream: IO[bytes], central_count: int) -> None:
    on_disk, total, _size, _offset, comment_size = struct.unpack("<xxxxHHLLH", _read(stream, 18))
    if on_disk != total:
        raise _Refused("Malformed zip file")
    if total not in (central_count, 0xFFFF):
        raise _Refused("Mismatched central directory records")
    stream.seek(comment_size, 1)
