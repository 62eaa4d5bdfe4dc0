"""The index's rules on files (protocol §7.2 steps 14, 16, 22-24): names, tags, size, layout.

Everything here looks at one ``Distribution`` that ``dists`` has already read and found
consistent; only the wheel rules open the archive again (its central directory and RECORD).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from tpublish.dists.archives import MAX_METADATA_BYTES
from tpublish.dists.distribution import SDIST, WHEEL, Distribution
from tpublish.rules.findings import Finding, error, warning
from tpublish.rules.zipfiles import zip_findings

DEFAULT_SIZE_LIMIT = 100 << 20  # PyPI's default per-file limit (protocol §7.2 step 16)
MAX_RECORD_BYTES = 4 * MAX_METADATA_BYTES
_STORAGE_LIMITS = "https://docs.pypi.org/project-management/storage-limits"

# Wheel platform tags PyPI accepts (protocol §7.2 step 24).
_PLATFORMS = frozenset(
    {
        "any",
        "win32",
        "win_arm64",
        "win_amd64",
        "win_ia64",
        "manylinux1_x86_64",
        "manylinux1_i686",
        "manylinux2010_x86_64",
        "manylinux2010_i686",
        "linux_armv6l",
        "linux_armv7l",
        *(
            f"manylinux2014_{arch}"
            for arch in ("x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x")
        ),
    }
)
_MACOS = re.compile(r"macosx_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.*)")
_MACOS_ARCHES = frozenset(
    {"ppc", "ppc64", "i386", "x86_64", "arm64", "intel", "fat", "fat3", "fat64", "universal"}
    | {"universal2"}
)
_MACOS_MAJORS = frozenset({"11", "12", "13", "14", "15", "26"})
_LINUX = re.compile(r"(?P<libc>many|musl)linux_\d+_\d+_(?P<arch>.*)")
_LINUX_ARCHES = frozenset({"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"})
_IOS = re.compile(r"ios_\d+_\d+_(?P<arch>.*)_(?:iphoneos|iphonesimulator)")
_ANDROID = re.compile(r"android_\d+_(?P<arch>.*)")
_ANDROID_ARCHES = frozenset({"armeabi_v7a", "arm64_v8a", "x86", "x86_64"})
_EMSCRIPTEN = re.compile(r"pyemscripten_\d+_\d+_wasm32")


def valid_platform_tag(tag: str) -> bool:
    """Whether PyPI accepts wheels for platform ``tag``."""
    if tag in _PLATFORMS or _EMSCRIPTEN.fullmatch(tag):
        return True
    if m := _MACOS.fullmatch(tag):
        major_ok = m["major"] == "10" or (m["major"] in _MACOS_MAJORS and m["minor"] == "0")
        return major_ok and m["arch"] in _MACOS_ARCHES
    if m := _LINUX.fullmatch(tag):
        extra = {"ppc64"} if m["libc"] == "many" else set()
        return m["arch"] in _LINUX_ARCHES | extra
    if m := _IOS.fullmatch(tag):
        return m["arch"] in ("arm64", "x86_64")
    if m := _ANDROID.fullmatch(tag):
        return m["arch"] in _ANDROID_ARCHES
    return False


def filename_findings(name: str) -> list[Finding]:
    """Characters PyPI refuses in a filename (step 14)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return [
            error(
                "filename-characters",
                "Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL"
                " character (ordinal 127) in the name.",
            )
        ]
    if "\\" in name:
        return [error("filename-characters", "Cannot upload a file with '/' or '\\' in the name.")]
    return []


def size_findings(dist: Distribution, limit: int = DEFAULT_SIZE_LIMIT) -> list[Finding]:
    """A file over the index's default size limit (step 16): a warning, limits can be raised."""
    if dist.size <= limit:
        return []
    return [
        warning(
            "file-too-large",
            f"the file is {dist.size / (1 << 20):.1f} MiB, over the index's default limit of"
            f" {limit >> 20} MiB per file: PyPI refuses it unless the project's limit was raised"
            f" ({_STORAGE_LIMITS}#requesting-a-file-size-limit-increase)",
        )
    ]


def sdist_findings(dist: Distribution) -> list[Finding]:
    """PEP 625: exactly ``<normalized_name>-<version>.tar.gz`` (step 23)."""
    if dist.filetype != SDIST:
        return []

    expected = f"{_normalized(dist.name)}-{Version(dist.version)}.tar.gz"
    if dist.filename == expected:
        return []
    return [
        error("sdist-filename", f"Filename '{dist.filename}' is invalid, should be '{expected}'.")
    ]


def wheel_findings(dist: Distribution, *, deep: bool = True) -> list[Finding]:
    """Platform tags, normalised name, exact ``.dist-info`` layout, zip rules, RECORD (step 24)."""
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
    normalized = _normalized(dist.name)
    if name_part != normalized:
        findings.append(
            error(
                "wheel-filename",
                f"Filename '{dist.filename}' should contain the normalized project name"
                f" '{normalized}', not '{name_part}'.",
            )
        )
    with zipfile.ZipFile(dist.path) as zf:
        findings += _layout_findings(dist, zf, f"{name_part}-{version_part}.dist-info")
        findings += zip_findings(dist.path, zf, dist.size)
        if deep:
            findings += record_findings(zf, f"{name_part}-{version_part}.dist-info/RECORD")
    return findings


def _layout_findings(dist: Distribution, zf: zipfile.ZipFile, dist_info: str) -> list[Finding]:
    names = set(zf.namelist())
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


def record_findings(zf: zipfile.ZipFile, record: str) -> list[Finding]:
    """RECORD should list every file in the wheel: PyPI accepts a mismatch but emails the owners."""
    try:
        info = zf.getinfo(record)
    except KeyError:
        return []
    if info.file_size > MAX_RECORD_BYTES:
        return []
    text = zf.read(info).decode("utf-8", "replace")
    try:
        listed = {row[0] for row in csv.reader(io.StringIO(text)) if row}
    except csv.Error as exc:
        return [warning("wheel-record", f"{record} is not a readable CSV file ({exc})")]
    present = {n for n in zf.namelist() if not n.endswith("/")}
    signatures = {record + ".jws", record + ".p7s"}
    missing = sorted(present - listed - signatures - {record})
    extra = sorted(listed - present)
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


def _normalized(name: str) -> str:
    return canonicalize_name(name).replace("-", "_")
