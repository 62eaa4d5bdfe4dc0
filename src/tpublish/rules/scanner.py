"""PyPI's upload scanner (``warehouse/utils/scanner.py`` and its ``scanner_rules/*.yar``).

PyPI refuses an upload when one Python member (``.py`` or ``.pye``, any case; regular files
only; at most 5 MiB uncompressed) holds the markers of obfuscated code (PyArmor,
SourceDefender: its acceptable-use policy) or a PyPI API token. The rules are plain
substring and pattern searches, one member at a time: markers split across two members do not
count. The scanner fails open, and so does this: a member that cannot be read is passed over.
The token itself is never shown.
"""

from __future__ import annotations

import mmap
import re
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from tpublish.dists.distribution import ARCHIVE_ERRORS
from tpublish.dists.wheelfile import LOCAL
from tpublish.errors import DistributionError
from tpublish.rules.findings import Finding, error

MAX_SCANNED = 5 << 20
SCANNED_SUFFIXES = (".py", ".pye")
_POLICY = "See https://pypi.org/policy/acceptable-use-policy/ for more information."
# The markers are written in pieces: PyPI scans tpublish's own wheel and sdist with these rules,
# and this file must not carry what it looks for.
_ARMOR = b"__py" + b"armor"
_PYE = b" PYE" + b" FILE---"
PYARMOR_MARKERS = (
    _ARMOR + b"__(__name__, __file__,",
    _ARMOR + b"_enter__",
    _ARMOR + b"_exit__",
    _ARMOR + b"_assert__",
    _ARMOR + b"_bcc__",
)
SOURCEDEFENDER_MARKERS = (b"---BEGIN" + _PYE, b"---END" + _PYE)
_PYPI_TOKEN = re.compile(rb"pypi-AgEIcHlwaS5vcmcCJ[a-zA-Z0-9\-_]{150,157}")
# Every rule needs one of these: a member holding none of them breaks no rule.
_PREFILTER = (_ARMOR + b"_", _PYE, b"pypi-AgEIcHlwaS5vcmcCJ")
# (code, PyPI's message) for each rule.
PYARMOR = ("obfuscated-code", f"PyArmor-encrypted content is not allowed. {_POLICY}")
SOURCEDEFENDER = ("obfuscated-code", f"SourceDefender-encrypted content is not allowed. {_POLICY}")
TOKEN = (
    "exposed-token",
    "We have detected a PyPI API token exposed in the uploaded file. Publishing it would allow"
    " anyone to perform actions on your behalf. For your own security, please revoke the token"
    " immediately.",
)


def rule_matched(data: bytes) -> tuple[str, str] | None:
    """The first rule one member's bytes break, as (code, message); None for none."""
    if not any(word in data for word in _PREFILTER):  # three quick scans settle most files
        return None
    if any(marker in data for marker in PYARMOR_MARKERS):
        return PYARMOR
    if all(marker in data for marker in SOURCEDEFENDER_MARKERS):
        return SOURCEDEFENDER
    if _PYPI_TOKEN.search(data):
        return TOKEN
    return None


def _scanned(name: str) -> bool:
    """``PurePosixPath(name).suffix.lower()`` is ``.py`` or ``.pye``, without building a path."""
    base = name.rstrip("/").rpartition("/")[2]
    dot = base.rfind(".")
    return 0 < dot < len(base) - 1 and base[dot:].lower() in SCANNED_SUFFIXES


def _finding(name: str, data: bytes) -> Finding | None:
    """The index's refusal for one member (``name``), or None."""
    rule = rule_matched(data)
    if rule is None:
        return None
    code, message = rule
    return error(code, f"Invalid distribution file. {message} (in {name})")


def _first_match(members: Iterable[tuple[str, bytes]]) -> list[Finding]:
    for name, data in members:
        found = _finding(name, data)
        if found is not None:
            return [found]
    return []


def zip_scan_findings(path: Path, zf: zipfile.ZipFile) -> list[Finding]:
    """The scanner's verdict on a wheel's Python members, in archive order."""
    try:
        with (
            path.open("rb") as stream,
            mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as raw,
        ):
            return _first_match(_zip_members(zf, raw))
    except (ValueError, OSError):  # a file mmap cannot map: read the members the slow way
        return _first_match(_zip_members(zf, None))


def _zip_members(zf: zipfile.ZipFile, raw: mmap.mmap | None) -> Iterator[tuple[str, bytes]]:
    for info in zf.infolist():
        if info.is_dir() or not _scanned(info.filename) or info.file_size > MAX_SCANNED:
            continue
        try:
            data = _member_bytes(raw, info) if raw is not None else None
            if data is None:
                data = zf.read(info)
        except ARCHIVE_ERRORS:
            continue  # fails open, as PyPI's scanner does
        yield info.filename, data


def _member_bytes(raw: mmap.mmap, info: zipfile.ZipInfo) -> bytes | None:
    """A stored or deflated member straight from the mapped file: thousands of small members
    cost a fraction of ``ZipFile.read``'s. None: let ``zipfile`` read it."""
    at = info.header_offset
    if raw[at : at + 4] != LOCAL:
        return None
    name_size, extra_size = struct.unpack("<HH", raw[at + 26 : at + 30])
    start = at + 30 + name_size + extra_size
    chunk = raw[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        return chunk
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return zlib.decompressobj(-15).decompress(chunk, MAX_SCANNED + 1)
    return None


class SdistScan:
    """The scanner's verdict on an sdist's Python members (regular files only), in archive order,
    reached in the reader's own pass: ``read_distribution(path, sdist_visitor=scan)``, then
    ``scan.findings``. A member that cannot be read ends the scan without a finding (the scanner
    fails open); the reader reports an archive that is unreadable as a whole."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self._over = False  # a rule matched, or a member could not be read

    def __call__(self, tf: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        if self._over or not member.isfile() or member.size > MAX_SCANNED:
            return
        if not _scanned(member.name):
            return
        try:
            data = _tar_member(tf, member)
        except (DistributionError, *ARCHIVE_ERRORS):
            self._over = True
            return
        found = None if data is None else _finding(member.name, data)
        if found is not None:
            self.findings, self._over = [found], True


def _tar_member(tf: tarfile.TarFile, member: tarfile.TarInfo) -> bytes | None:
    stream = tf.extractfile(member)
    if stream is None:  # pragma: no cover - regular files always have a stream
        return None
    with stream:
        data = stream.read(MAX_SCANNED + 1)
    return data if len(data) <= MAX_SCANNED else None
