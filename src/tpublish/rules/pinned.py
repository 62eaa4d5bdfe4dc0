"""The fields where packaging releases disagree, judged as the packaging PyPI runs judges them.

PyPI validates metadata with the packaging release Warehouse pins (``WAREHOUSE_PACKAGING``);
tpublish runs whatever packaging is installed. On three fields releases since 26.2 decide
differently, so these are checked here, written out as 26.2 checks them, and the installed
packaging's verdict on them is set aside. A value that a later packaging decides otherwise gets
a warning naming the versions: PyPI may change its verdict when it upgrades.

=========================== =================================== ==================================
field                       packaging 26.2 (PyPI)               later releases
=========================== =================================== ==================================
Summary                     refuses only ``\\n``                 26.3: refuses any line boundary
                                                                (``\\f``, ``\\v``, ``\\r``, ``\\x1c``...)
Description-Content-Type    charset must be exactly ``UTF-8``;  26.3: any case of ``utf-8``;
                            header defects pass                 a header defect is refused
License-File                                                    26.4: a Windows drive is refused
=========================== =================================== ==================================
"""

from __future__ import annotations

import email.message
import pathlib
import re
from collections.abc import Iterable

from packaging.metadata import RawMetadata

from tpublish.rules.findings import Finding, error, warning

WAREHOUSE_PACKAGING = "26.2"
# Fields (packaging's names) whose verdict comes from here, not from the installed packaging.
PINNED_FIELDS = frozenset({"summary", "description-content-type", "license-file"})
_LINE_BOUNDARY = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTENT_TYPES = ("text/plain", "text/x-rst", "text/markdown")
_MARKDOWN_VARIANTS = ("GFM", "CommonMark")
_DCT = "Description-Content-Type"
# The metadata version each pinned field appeared in: packaging skips an earlier one's value.
_ADDED = {"description_content_type": "2.1", "license_files": "2.4"}
_VERSIONS = ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5")  # packaging 26.2's


def pinned_findings(raw: RawMetadata) -> list[Finding]:
    """Errors as packaging 26.2 gives them on the pinned fields, and drift warnings."""
    findings: list[Finding] = []
    metadata_version = raw.get("metadata_version", "")
    late = {
        key
        for key, added in _ADDED.items()
        if metadata_version in _VERSIONS
        and _VERSIONS.index(added) > _VERSIONS.index(metadata_version)
    }
    summary = raw.get("summary")
    if summary is not None:
        findings += _summary(summary)
    content_type = raw.get("description_content_type")
    if content_type is not None and "description_content_type" not in late:
        findings += _content_type(content_type)
    if "license_files" not in late:
        findings += _license_files(raw.get("license_files", []))
    return findings


def _drift(field: str, value: str, now: str, later: str) -> Finding:
    return warning(
        "packaging-drift",
        f"{field} {value!r}: {now} by PyPI (packaging {WAREHOUSE_PACKAGING}); {later}",
    )


def _summary(value: str) -> list[Finding]:
    if "\n" in value:
        return [error("invalid-summary", "'summary' must be a single line")]
    boundary = _LINE_BOUNDARY.search(value)
    if boundary is None:
        return []
    return [
        _drift(
            "Summary",
            value,
            "accepted",
            f"packaging 26.3 and later refuse it ({boundary.group()!r} is a line break:"
            " 'summary' must be a single line)",
        )
    ]


def _content_type(value: str) -> list[Finding]:
    message = email.message.EmailMessage()
    try:
        message["content-type"] = value
    except (ValueError, IndexError) as exc:
        return [
            error(
                "invalid-description-content-type",
                f"{value!r} is not a valid content type for 'description-content-type': {exc}",
            )
        ]
    header = message["content-type"]
    kind, params = message.get_content_type().lower(), header.params
    problem = None
    if kind not in _CONTENT_TYPES or kind not in value.lower():
        problem = f"'description-content-type' must be one of {list(_CONTENT_TYPES)}, not {value!r}"
    elif params.get("charset", "UTF-8") != "UTF-8":
        charset = params["charset"]
        problem = f"'description-content-type' can only specify the UTF-8 charset, not {charset!r}"
        if charset.lower() == "utf-8":
            return [
                error("invalid-description-content-type", problem),
                _drift(_DCT, value, "refused", "packaging 26.3 and later accept it"),
            ]
    elif kind == "text/markdown" and params.get("variant", "GFM") not in _MARKDOWN_VARIANTS:
        problem = (
            f"valid Markdown variants for 'description-content-type' are"
            f" {list(_MARKDOWN_VARIANTS)}, not {params['variant']!r}"
        )
    if problem is not None:
        return [error("invalid-description-content-type", problem)]
    if header.defects:
        later = f"packaging 26.3 and later refuse it ({header.defects[0]})"
        return [_drift(_DCT, value, "accepted", later)]
    return []


def _license_files(paths: Iterable[str]) -> list[Finding]:
    for path in paths:
        problem = None
        if ".." in path:
            problem = "parent directory indicators are not allowed"
        elif "*" in path:
            problem = "paths must be resolved"
        elif (
            pathlib.PurePosixPath(path).is_absolute() or pathlib.PureWindowsPath(path).is_absolute()
        ):
            problem = "paths must be relative"
        elif pathlib.PureWindowsPath(path).as_posix() != path:
            problem = "paths must use '/' delimiter"
        if problem is not None:
            # packaging stops at the first bad path of the field.
            return [
                error("invalid-license-file", f"{path!r} is invalid for 'license-file', {problem}")
            ]
        if pathlib.PureWindowsPath(path).drive:
            later = "packaging 26.4 and later refuse it (paths must be relative)"
            return [_drift("License-File", path, "accepted", later)]
    return []
