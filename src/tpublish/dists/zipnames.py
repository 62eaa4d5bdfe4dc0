"""Opening a wheel so that its members bear the names PyPI's Python gives them.

Since Python 3.12, ``zipfile`` names a member by the Info-ZIP Unicode Path extra field (0x7075)
of its central-directory entry when that field's CRC matches the stored name, and refuses the
whole archive when the field is too short or not UTF-8. Python 3.11 ignores the field. PyPI runs
a current Python, so its upload scanner, its RECORD and entry-point look-ups and its "is this a
valid distribution" verdict all see those names: so must ``check``, whatever Python runs it.
"""

from __future__ import annotations

import os
import struct
import sys
import zipfile
import zlib
from pathlib import Path

UNICODE_PATH = 0x7075
UTF8_NAME_FLAG = 0x800


def open_zip(path: Path) -> zipfile.ZipFile:
    """``zipfile.ZipFile(path)``, reading Unicode Path fields as Python 3.12 and later do."""
    zf = zipfile.ZipFile(path)
    if sys.version_info < (3, 12):
        try:
            _rename_members(zf)
        except BaseException:
            zf.close()
            raise
    return zf


def _rename_members(zf: zipfile.ZipFile) -> None:
    renamed = False
    for info in zf.infolist():
        name = unicode_path(info)
        if name is not None:
            info.filename = name
            renamed = True
    if renamed:  # the look-up table, rebuilt as ``zipfile`` builds it: by name, the last one wins
        zf.NameToInfo = {info.filename: info for info in zf.infolist()}


def unicode_path(info: zipfile.ZipInfo) -> str | None:
    """The name a Unicode Path field gives this member, if any; ``BadZipFile`` if it is damaged."""
    # The CRC covers the name as stored: undo the decoding ``zipfile`` did (cp437 when the
    # UTF-8 flag is clear, which encodes back byte for byte).
    encoding = "utf-8" if info.flag_bits & UTF8_NAME_FLAG else "cp437"
    stored_crc = zlib.crc32(info.orig_filename.encode(encoding))
    name = None
    extra = info.extra
    while len(extra) >= 4:
        kind, size = struct.unpack("<HH", extra[:4])
        if size + 4 > len(extra):  # ``zipfile`` refused such a field when it opened the archive
            break
        if kind == UNICODE_PATH:
            data = extra[4 : size + 4]
            if len(data) < 5:
                raise zipfile.BadZipFile("Corrupt unicode path extra field (0x7075)")
            version, name_crc = struct.unpack("<BL", data[:5])
            if version == 1 and name_crc == stored_crc:
                try:
                    decoded = data[5:].decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise zipfile.BadZipFile(
                        "Corrupt unicode path extra field (0x7075): invalid utf-8 bytes"
                    ) from exc
                if decoded:
                    name = _sanitize(decoded)
        extra = extra[size + 4 :]
    return name


def _sanitize(name: str) -> str:
    """What ``zipfile`` does to every member name: cut at a NUL, ``/`` for the OS separators."""
    if (nul := name.find("\0")) >= 0:
        name = name[:nul]
    for separator in (os.sep, os.altsep):
        if separator and separator != "/":
            name = name.replace(separator, "/")
    return name
