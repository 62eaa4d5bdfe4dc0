"""A zip's end records as CPython 3.14's ``zipfile`` finds and checks them.

PyPI runs CPython 3.14. Two of its verdicts depend on how that ``zipfile`` reads the end of a
file, which older Pythons read more leniently: whether a ``.tar.gz`` is also a zip archive
(``zipfile.is_zipfile``, the tar+zip polyglot rule), and whether a wheel can be opened at all
(3.13.11+ checks the ZIP64 end records; a file it refuses gets "Invalid distribution file. None").
Both are written out here so that tpublish gives PyPI's verdict on any Python.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO

from tpublish.dists.wheelfile import CENTRAL, END, END64, END64_LOCATOR

_END_SIZE = 22
_END64_SIZE = 56
_LOCATOR_SIZE = 20
_CENTRAL_SIZE = 46
_MAX_COMMENT = 0xFFFF


class ZipRefused(Exception):
    """CPython's ``zipfile.BadZipFile`` at the end records, with its message."""


@dataclass
class EndRecord:
    disk: int
    directory_disk: int
    entries: int
    size: int  # of the central directory
    offset: int  # of the central directory, as declared
    location: int  # where the end record (or the ZIP64 one) starts in the file


def end_record(stream: IO[bytes]) -> EndRecord | None:
    """The end record CPython finds (None: none found); ``ZipRefused`` where CPython raises."""
    size = stream.seek(0, 2)
    if size >= _END_SIZE:
        stream.seek(size - _END_SIZE)
        data = stream.read(_END_SIZE)
        if data[:4] == END and data[-2:] == b"\x00\x00":
            return _with_zip64(stream, size - _END_SIZE, _unpack(data, size - _END_SIZE))
    else:
        return None
    start = max(size - _MAX_COMMENT - _END_SIZE, 0)
    stream.seek(start)
    data = stream.read(_MAX_COMMENT + _END_SIZE)
    at = data.rfind(END)
    if at < 0:
        return None
    record = data[at : at + _END_SIZE]
    if len(record) != _END_SIZE:
        return None
    return _with_zip64(stream, start + at, _unpack(record, start + at))


def _unpack(data: bytes, location: int) -> EndRecord:
    disk, directory_disk, _here, entries, size, offset, _comment = struct.unpack("<4xHHHHLLH", data)
    return EndRecord(disk, directory_disk, entries, size, offset, location)


def _with_zip64(stream: IO[bytes], offset: int, record: EndRecord) -> EndRecord:
    """CPython 3.14's ``_EndRecData64``: a ZIP64 locator in front of the end record rules."""
    offset -= _LOCATOR_SIZE
    if offset < 0:
        return record
    stream.seek(offset)
    data = stream.read(_LOCATOR_SIZE)
    if len(data) != _LOCATOR_SIZE:
        raise OSError("Unknown I/O error")
    signature, disk, located, disks = struct.unpack("<4sLQL", data)
    if signature != END64_LOCATOR:
        return record
    if disk != 0 or disks > 1:
        raise ZipRefused("zipfiles that span multiple disks are not supported")
    offset -= _END64_SIZE
    if located > offset:
        raise ZipRefused("Corrupt zip64 end of central directory locator")
    stream.seek(located)
    extensible = offset - located
    data = stream.read(_END64_SIZE)
    if len(data) != _END64_SIZE:
        raise OSError("Unknown I/O error")
    if not data.startswith(END64) and located != offset:
        stream.seek(offset)  # maybe data was prepended: assume no extensible data
        extensible = 0
        data = stream.read(_END64_SIZE)
        if len(data) != _END64_SIZE:
            raise OSError("Unknown I/O error")
    if not data.startswith(END64):
        raise ZipRefused("Zip64 end of central directory record not found")
    _sig, record_size, _made, _needed, disk, directory_disk, _here, entries, size, start = (
        struct.unpack("<4sQ2H2L4Q", data)
    )
    if start + size != located or record_size + 12 != _END64_SIZE + extensible:
        raise ZipRefused("Corrupt zip64 end of central directory record")
    return EndRecord(disk, directory_disk, entries, size, start, offset - extensible)


def is_zipfile(stream: IO[bytes]) -> bool:
    """CPython 3.14's ``zipfile.is_zipfile``: an end record whose directory starts as one."""
    try:
        record = end_record(stream)
        if record is None:
            return False
        if record.entries == 0 and record.size == 0 and record.offset == 0:
            return True  # an empty zip is still a zip
        if record.disk != record.directory_disk:
            return False
        prepended = record.location - record.size - record.offset
        stream.seek(record.offset + prepended)
        if record.size < _CENTRAL_SIZE:
            return False
        data = stream.read(_CENTRAL_SIZE)
        return len(data) == _CENTRAL_SIZE and data[:4] == CENTRAL
    except (OSError, ZipRefused, ValueError):
        return False
