"""Checks on the uploaded file itself (protocol §7.2 steps 14, 22-24): filename, archive structure,
sdist (PEP 625) and wheel naming rules. Each failure raises ``UploadError(400, <Warehouse text>)``."""

from __future__ import annotations

import io
import posixpath
import re
import tarfile
import zipfile

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from .forms import UploadError

DIST_FILE_RE = re.compile(r".+?(?P<extension>\.(tar\.gz|zip|whl))$", re.IGNORECASE)
EXTENSIONS = {"sdist": {".zip", ".tar.gz"}, "bdist_wheel": {".whl"}}
RATIO_MIN_SIZE = 64 * 1024 * 1024
RATIO_THRESHOLD = 50

_PLATFORMS = {"any", "win32", "win_amd64", "win_arm64", "win_ia64", "linux_armv6l", "linux_armv7l"}
_MACOS_RE = re.compile(r"^macosx_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.*)$")
_MACOS_ARCHES = {
    "ppc",
    "ppc64",
    "i386",
    "x86_64",
    "arm64",
    "intel",
    "fat",
    "fat3",
    "fat32",
    "fat64",
    "universal",
    "universal2",
}
# PEP 600 ``manylinux_2_17_x86_64``, and the legacy ``manylinux1``/``2010``/``2014`` (no underscore).
_LINUX_RE = re.compile(
    r"^(?:(?P<libc>many|musl)linux_\d+_\d+|manylinux(?:1|2010|2014))_(?P<arch>.*)$"
)
_LINUX_ARCHES = {
    "x86_64",
    "i686",
    "aarch64",
    "armv7l",
    "ppc64",
    "ppc64le",
    "s390x",
    "riscv64",
    "loongarch64",
}
_MOBILE_RE = re.compile(
    r"^(?:ios_\d+_\d+_(?P<ios>arm64|x86_64)_iphone(?:os|simulator)|android_\d+_(?P<android>\w+))$"
)


def valid_platform_tag(tag: str) -> bool:
    if tag in _PLATFORMS or tag.startswith("pyemscripten_"):
        return True
    if match := _MACOS_RE.match(tag):
        major, minor = match["major"], match["minor"]
        version_ok = major == "10" or (
            major in {"11", "12", "13", "14", "15", "26"} and minor == "0"
        )
        return version_ok and match["arch"] in _MACOS_ARCHES
    if match := _LINUX_RE.match(tag):
        return match["arch"] in _LINUX_ARCHES
    return bool(_MOBILE_RE.match(tag))


def validate_filename(filename: str, filetype: str) -> None:
    """Step 14."""
    if any(ord(char) < 32 or ord(char) == 127 for char in filename):
        raise UploadError(
            400,
            "Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL character (ordinal 127) in the name.",
        )
    if "/" in filename or "\\" in filename:
        raise UploadError(400, "Cannot upload a file with '/' or '\\' in the name.")
    match = DIST_FILE_RE.match(filename)
    if not match:
        raise UploadError(
            400,
            "Invalid file extension: Use .tar.gz, .whl or .zip extension. See https://www.python.org/dev/peps/pep-0527 "
            "and https://peps.python.org/pep-0715/ for more information",
        )
    if match["extension"] not in EXTENSIONS[filetype]:
        raise UploadError(
            400,
            f"Invalid file extension: Extension {match['extension']} is invalid for filetype {filetype}. "
            "See https://www.python.org/dev/peps/pep-0527 for more information.",
        )


def _zip_problem(filename: str, data: bytes) -> str | None:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return "File is not a zipfile"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        expanded = sum(info.file_size for info in infos)
        if expanded > RATIO_MIN_SIZE and expanded / max(len(data), 1) > RATIO_THRESHOLD:
            return f"File exceeds compression ratio of {RATIO_THRESHOLD}"
        if any(
            info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in infos
        ):
            return "File does not use a supported compression type"
        names = set(archive.namelist())
        if filename.endswith(".zip"):
            top = posixpath.commonprefix(sorted(names))
            if top in (".", "/", ""):
                return "Incorrect number of top-level directories in sdist"
            if posixpath.join(top, "PKG-INFO") not in names:
                return f"PKG-INFO not found at {posixpath.join(top, 'PKG-INFO')}"
        else:
            try:
                name, version, _ = filename.split("-", 2)
            except ValueError:
                return "Unable to parse name and version from wheel filename"
            if f"{name}-{version}.dist-info/WHEEL" not in names:
                return f"WHEEL not found at {name}-{version}.dist-info/WHEEL"
    return None


def _tar_problem(data: bytes) -> str | None:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            names = archive.getnames()
    except (tarfile.TarError, EOFError, OSError):
        return "File is not a tarfile"
    top = posixpath.commonprefix(names)
    if top in (".", "/", ""):
        return "Incorrect number of top-level directories in sdist"
    target = posixpath.join(top, "PKG-INFO")
    return None if target in names else f"PKG-INFO not found at {target}"


def validate_archive(filename: str, data: bytes) -> None:
    """Step 22: is it a sane zip/tar with the files a dist must have?"""
    problem = (
        _zip_problem(filename, data) if filename.endswith((".zip", ".whl")) else _tar_problem(data)
    )
    if problem is not None:
        raise UploadError(400, f"Invalid distribution file. {problem}")


def validate_sdist_name(filename: str, project_name: str, version: Version) -> None:
    """Step 23: the name part must be the project; PEP 625 demands the exact normalised filename."""
    try:
        name, _ = parse_sdist_filename(filename)
    except InvalidSdistFilename:
        raise UploadError(400, f"Invalid source distribution filename: {filename}") from None
    normalized = canonicalize_name(project_name)
    if version.is_postrelease and name != normalized and filename.count("-") >= 2:
        candidate = filename.rpartition("-")[0].rpartition("-")[0]
        try:
            Version(filename[len(candidate) + 1 : -len(".tar.gz")])
            name = canonicalize_name(candidate)
        except InvalidVersion:
            pass
    if canonicalize_name(name) != normalized:
        raise UploadError(
            400, f"Start filename for {project_name!r} with {normalized.replace('-', '_')!r}."
        )
    expected = f"{normalized.replace('-', '_')}-{version}.tar.gz"
    if filename != expected:
        raise UploadError(400, f"Filename {filename!r} is invalid, should be {expected!r}.")


def validate_wheel(
    filename: str,
    data: bytes,
    project_name: str,
    meta_name: str,
    version: Version,
    license_files: list[str],
) -> None:
    """Step 24: tags, name and version of the filename; RECORD, METADATA and License-File members."""
    try:
        name, wheel_version, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise UploadError(400, str(exc)) from None
    for tag in sorted(tags, key=str):
        if not valid_platform_tag(tag.platform):
            raise UploadError(
                400, f"Binary wheel '{filename}' has an unsupported platform tag '{tag.platform}'."
            )
    canonical = canonicalize_name(meta_name)
    if canonical != name:
        raise UploadError(
            400, f"Start filename for {project_name!r} with {canonical.replace('-', '_')!r}."
        )
    from_filename = filename.split("-", 1)[0]
    normalized = canonicalize_name(project_name).replace("-", "_")
    if from_filename != normalized:
        raise UploadError(
            400,
            f"Filename {filename!r} should contain the normalized project name {normalized!r}, not {from_filename!r}.",
        )
    if version != wheel_version:
        raise UploadError(
            400, f"Version in filename should be {str(version)!r} not {str(wheel_version)!r}."
        )
    dist_name, dist_version, _ = filename.split("-", 2)
    dist_info = f"{dist_name}-{dist_version}.dist-info"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
    for license_file in license_files:
        target = f"{dist_info}/licenses/{license_file}"
        if target not in names:
            raise UploadError(
                400,
                f"License-File {license_file} does not exist in distribution file {filename} at {target}",
            )
    if f"{dist_info}/RECORD" not in names:
        raise UploadError(
            400, f"Wheel '{filename}' does not contain the required RECORD file: {dist_info}/RECORD"
        )
    if f"{dist_info}/METADATA" not in names:
        raise UploadError(
            400,
            f"Wheel '{filename}' does not contain the required METADATA file: {dist_info}/METADATA",
        )


def sdist_license_files_present(filename: str, data: bytes, license_files: list[str]) -> None:
    if not license_files or not filename.endswith(".tar.gz"):
        return
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        names = archive.getnames()
    top = posixpath.commonprefix(names)
    for license_file in license_files:
        target = posixpath.join(top, license_file)
        if target not in names:
            raise UploadError(
                400,
                f"License-File {license_file} does not exist in distribution file {filename} at {target}",
            )
