"""The index's rules on files (protocol §7.2 steps 14, 16, 22-23): names, size, sdist layout.

Everything here looks at one ``Distribution`` that ``dists`` has already read and found
consistent; the wheel's own rules (tags, ``.dist-info``, zip framing) live in ``wheels``.
"""

from __future__ import annotations

from packaging.utils import canonicalize_name
from packaging.version import Version

from tpublish.dists.distribution import SDIST, Distribution
from tpublish.rules.endrecords import is_zipfile
from tpublish.rules.findings import Finding, error, warning
from tpublish.rules.scanner import SdistScan
from tpublish.units import human_size

DEFAULT_SIZE_LIMIT = 100 << 20  # PyPI's default per-file limit (protocol §7.2 step 16)
# PyPI stores "<filename>.metadata" beside each wheel on a filesystem whose names hold at most
# 255 bytes: a longer wheel filename fails there ("Filename is too long"), and any filename
# over 255 bytes fails before (an unhandled error: HTTP 500).
NAME_MAX = 255
WHEEL_FILENAME_MAX = NAME_MAX - len(".metadata")
_STORAGE_LIMITS = "https://docs.pypi.org/project-management/storage-limits"
# PyPI's words for a .tar.gz that is also a zip archive have not been published; this table
# entry is the one place to correct them.
POLYGLOT = "Invalid distribution file. The file is both a tar archive and a ZIP archive"


def filename_findings(name: str) -> list[Finding]:
    """Characters PyPI refuses in a filename (step 14), and names too long to store."""
    findings = []
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        findings.append(
            error(
                "filename-characters",
                "Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL"
                " character (ordinal 127) in the name.",
            )
        )
    elif "\\" in name:
        findings.append(
            error("filename-characters", "Cannot upload a file with '/' or '\\' in the name.")
        )
    length = len(name.encode("utf-8", "surrogateescape"))
    if length > NAME_MAX:
        findings.append(
            error(
                "filename-too-long",
                f"the filename is {length} bytes long: PyPI cannot store a filename over"
                f" {NAME_MAX} bytes and fails with a server error (HTTP 500)",
            )
        )
    elif name.endswith(".whl") and length > WHEEL_FILENAME_MAX:
        findings.append(
            error(
                "filename-too-long",
                f"Filename is too long: {name!r} ({length} bytes; PyPI stores a wheel's"
                f" metadata as <filename>.metadata, so a wheel's filename may have at most"
                f" {WHEEL_FILENAME_MAX})",
            )
        )
    return findings


def size_findings(dist: Distribution, limit: int = DEFAULT_SIZE_LIMIT) -> list[Finding]:
    """A file over the index's default size limit (step 16): a warning, limits can be raised."""
    if dist.size <= limit:
        return []
    return [
        warning(
            "file-too-large",
            f"the file is {human_size(dist.size)}: PyPI refuses files over"
            f" {limit >> 20} MiB unless the project's limit was raised (File too large. Limit"
            f" for project {dist.name!r} is {limit >> 20} MB. See {_STORAGE_LIMITS}"
            "#requesting-a-file-size-limit-increase for more information.)",
        )
    ]


def sdist_findings(dist: Distribution, scan: SdistScan | None) -> list[Finding]:
    """A .tar.gz that is also a zip, PEP 625's exact name (step 23), the upload scanner's verdict
    (``scan``, made as the sdist was read; None: not scanned)."""
    if dist.filetype != SDIST:
        return []
    findings = []
    with dist.path.open("rb") as stream:
        if is_zipfile(stream):
            findings.append(error("tar-zip-polyglot", POLYGLOT))
    expected = f"{_normalized(dist.name)}-{Version(dist.version)}.tar.gz"
    if dist.filename != expected:
        findings.append(
            error(
                "sdist-filename",
                f"Filename {dist.filename!r} is invalid, should be {expected!r}.",
            )
        )
    if scan is not None:
        findings += scan.findings
    return findings


def _normalized(name: str) -> str:
    return canonicalize_name(name).replace("-", "_")
