"""The index's rules on a wheel's ``.dist-info`` (``warehouse/utils/wheel.py``, ``legacy.py``).

PyPI finds the ``.dist-info`` by the filename's raw text (``<name>-<version>`` before the second
``-``), requires WHEEL, RECORD and METADATA there, reads RECORD as UTF-8 CSV and, since May 2026,
``entry_points.txt`` as UTF-8 INI. RECORD listing other files than the wheel holds is not a
refusal: PyPI e-mails the project's owners instead.
"""

from __future__ import annotations

import configparser
import csv
import re
import sys
import zipfile

from packaging.utils import canonicalize_name, parse_wheel_filename

from tpublish.dists.archives import decompression_limit
from tpublish.dists.distribution import WHEEL, Distribution
from tpublish.dists.zipnames import open_zip
from tpublish.rules.findings import Finding, error, warning
from tpublish.rules.platforms import valid_platform_tag
from tpublish.rules.scanner import zip_scan_findings
from tpublish.rules.zipfiles import zip_findings

# Entry-point names an installer turns into files: the specification's suggested pattern.
_SCRIPT_NAME = re.compile(r"[\w.-]+")
_SCRIPT_GROUPS = ("console_scripts", "gui_scripts")
# Python 3.10's csv refuses NUL; the Python PyPI runs (3.14) reads it as a character.
_CSV_READS_NUL = sys.version_info >= (3, 11)


class _CaseSensitiveParser(configparser.ConfigParser):
    def optionxform(self, optionstr: str) -> str:
        return optionstr


def wheel_findings(dist: Distribution, *, deep: bool = True) -> list[Finding]:
    """Platform tags, normalised name, exact ``.dist-info`` layout, zip rules, RECORD (step 24).

    ``deep=False`` (``--no-check``) leaves out RECORD, entry points and the upload scanner.
    """
    if dist.filetype != WHEEL:
        return []
    findings = [
        error(
            "wheel-platform-tag",
            f"Binary wheel '{dist.filename}' has an unsupported platform tag '{tag}'.",
        )
        for tag in sorted({t.platform for t in parse_wheel_filename(dist.filename)[3]})
        if not valid_platform_tag(tag)
    ]
    name_part, version_part = dist.filename.split("-", 2)[:2]
    normalized = canonicalize_name(dist.name).replace("-", "_")
    if name_part != normalized:
        findings.append(
            error(
                "wheel-filename",
                f"Filename {dist.filename!r} should contain the normalized project name"
                f" {normalized!r}, not {name_part!r}.",
            )
        )
    dist_info = f"{name_part}-{version_part}.dist-info"
    with open_zip(dist.path) as zf:
        findings += layout_findings(dist, set(zf.namelist()), dist_info)
        findings += zip_findings(dist.path, zf, dist.size)
        if deep:
            findings += record_findings(dist, zf, dist_info)
            findings += entry_points_findings(dist, zf, dist_info)
            findings += zip_scan_findings(dist.path, zf)
    return findings


def layout_findings(dist: Distribution, names: set[str], dist_info: str) -> list[Finding]:
    """WHEEL, RECORD and METADATA must sit in the ``.dist-info`` the raw filename names."""
    findings = []
    if f"{dist_info}/WHEEL" not in names:
        findings.append(
            error(
                "wheel-layout", f"Invalid distribution file. WHEEL not found at {dist_info}/WHEEL"
            )
        )
    for required in ("RECORD", "METADATA"):
        if f"{dist_info}/{required}" not in names:
            findings.append(
                error(
                    "wheel-layout",
                    f"Wheel '{dist.filename}' does not contain the required {required} file:"
                    f" {dist_info}/{required}",
                )
            )
    return findings


def _read(zf: zipfile.ZipFile, member: str, limit: int) -> bytes | None:
    """A member's bytes; None when it is absent or larger than any file PyPI takes could hold."""
    try:
        info = zf.getinfo(member)
    except KeyError:
        return None
    if info.file_size > limit:  # the compression-ratio rule refuses the wheel already
        return None
    return zf.read(info)


def record_findings(dist: Distribution, zf: zipfile.ZipFile, dist_info: str) -> list[Finding]:
    """RECORD must be UTF-8 CSV (an error otherwise); a mismatch with the files is a warning."""
    record = f"{dist_info}/RECORD"
    data = _read(zf, record, decompression_limit(dist.size))
    if data is None:
        return []
    missing = f"Wheel '{dist.filename}' does not contain the required RECORD file: {record}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        return [error("wheel-record", f"{missing} (it is not UTF-8: {at})")]
    if not _CSV_READS_NUL:
        text = text.replace("\x00", "\ufffd")
    listed: set[str] = set()
    reader = csv.reader(text.splitlines())
    try:
        for row in reader:
            if not row:
                return [
                    error(
                        "wheel-record",
                        f"{record} has a blank line (line {reader.line_num}): PyPI fails on it"
                        " with a server error (HTTP 500) and stores nothing",
                    )
                ]
            listed.add(row[0].replace("\\", "/"))
    except csv.Error as exc:
        return [error("wheel-record", f"{missing} (it is not readable CSV: {exc})")]
    exempt = {f"{record}.jws", f"{record}.p7s"}
    present = {n for n in zf.namelist() if not n.endswith(("/", "\\")) and n not in exempt}
    return _mismatch(record, sorted(present - listed), sorted(listed - present))


def _mismatch(record: str, missing: list[str], extra: list[str]) -> list[Finding]:
    if not (missing or extra):
        return []
    parts = []
    if missing:
        parts.append(f"does not list {len(missing)} file(s) in the wheel (e.g. {missing[0]})")
    if extra:
        parts.append(f"lists {len(extra)} file(s) the wheel lacks (e.g. {extra[0]})")
    return [
        warning(
            "wheel-record",
            f"{record} {' and '.join(parts)}: PyPI accepts the wheel but emails the project's"
            " owners; installers may refuse it",
        )
    ]


def entry_points_findings(dist: Distribution, zf: zipfile.ZipFile, dist_info: str) -> list[Finding]:
    """``entry_points.txt``: UTF-8, an INI file with ``=`` only, script names without paths."""
    data = _read(zf, f"{dist_info}/entry_points.txt", decompression_limit(dist.size))
    if data is None:
        return []
    problem = entry_points_problem(data)
    return [] if problem is None else [error("wheel-entry-points", problem)]


def entry_points_problem(data: bytes) -> str | None:
    """Why PyPI refuses this ``entry_points.txt`` (its words), or None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "entry_points.txt is not decodable as UTF-8"
    parser = _CaseSensitiveParser(delimiters=("=",))
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return f"entry_points.txt is not a valid INI file: {exc!r}"
    for group in _SCRIPT_GROUPS:
        if not parser.has_section(group):
            continue
        for name in parser[group]:  # keys from [DEFAULT] count too, as PyPI iterates them
            if _SCRIPT_NAME.fullmatch(name) is None:
                return f"Invalid entry point name {name!r} in {group!r}"
    return None
