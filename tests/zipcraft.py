"""Write zip archives record by record, so a test can break exactly one field.

``zipfile`` writes only well-formed archives; PyPI's zip rules are about the ways local file
headers, the central directory and the end records can disagree. ``Entry`` holds one member and
the damage to do to it; ``build`` lays out local headers, data, central directory and end
records (``zip64=True`` adds a ZIP64 end record and locator) exactly as told.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

STORED, DEFLATED = 0, 8
UTF8_FLAG = 0x800


@dataclass
class Entry:
    name: bytes
    data: bytes = b""
    method: int = DEFLATED
    flags: int = UTF8_FLAG  # general-purpose flags, in both headers
    cd_flags: int | None = None  # the central directory's, when it differs
    local_extra: bytes = b""
    central_extra: bytes = b""
    local_sizes: tuple[int, int] | None = None  # (compressed, uncompressed) in the local header
    comment: bytes = b""


def extra(kind: int, body: bytes) -> bytes:
    """One extra block: id, size, data."""
    return struct.pack("<HH", kind, len(body)) + body


def unicode_path(name: bytes, stored: bytes | None = None) -> bytes:
    """An Info-ZIP Unicode Path extra (0x7075): version 1, the CRC of the name stored in the
    header (``stored``, by default ``name`` itself), then ``name``."""
    crc = zlib.crc32(name if stored is None else stored)
    return extra(0x7075, b"\x01" + struct.pack("<L", crc) + name)


def _payload(entry: Entry) -> bytes:
    if entry.method == DEFLATED:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        return compressor.compress(entry.data) + compressor.flush()
    return entry.data


def build(
    entries: Sequence[Entry],
    *,
    comment: bytes = b"",
    zip64: bool = False,
    zip64_extensible: bytes = b"",
) -> bytes:
    out = bytearray()
    central = bytearray()
    for entry in entries:
        payload = _payload(entry)
        crc = zlib.crc32(entry.data)
        compressed, uncompressed = entry.local_sizes or (len(payload), len(entry.data))
        offset = len(out)
        out += struct.pack(
            "<4s5H3L2H",
            b"PK\x03\x04",
            20,
            entry.flags,
            entry.method,
            0,
            0x21,
            crc,
            compressed,
            uncompressed,
            len(entry.name),
            len(entry.local_extra),
        )
        out += entry.name + entry.local_extra + payload
        central += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            entry.flags if entry.cd_flags is None else entry.cd_flags,
            entry.method,
            0,
            0x21,
            crc,
            len(payload),
            len(entry.data),
            len(entry.name),
            len(entry.central_extra),
            len(entry.comment),
            0,
            0,
            0,
            offset,
        )
        central += entry.name + entry.central_extra + entry.comment
    directory_at = len(out)
    out += central
    if zip64:
        end64_at = len(out)
        out += struct.pack(
            "<4sQ2H2L4Q",
            b"PK\x06\x06",
            44 + len(zip64_extensible),
            45,
            45,
            0,
            0,
            len(entries),
            len(entries),
            len(central),
            directory_at,
        )
        out += zip64_extensible
        out += struct.pack("<4sLQL", b"PK\x06\x07", 0, end64_at, 1)
    out += struct.pack(
        "<4s4H2LH",
        b"PK\x05\x06",
        0,
        0,
        len(entries),
        len(entries),
        len(central),
        directory_at,
        len(comment),
    )
    return bytes(out + comment)
