"""PyPI's archive rules, one refused file and its accepted twin each (issue 13).

Zip local headers (``warehouse/utils/zipfiles.py``), RECORD and ``entry_points.txt``
(``warehouse/utils/wheel.py``), the tar+zip polyglot, the upload scanner. Every file is built
here, record by record where ``zipfile`` would not write the damage (``zipcraft``).
"""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from builders import make_sdist, make_wheel, metadata_text
from cli_helpers import tpublish
from tpublish.rules.checker import check_files
from tpublish.rules.scanner import rule_matched
from zipcraft import STORED, UTF8_FLAG, Entry, build, extra, unicode_path

DIST_INFO = "demo_pkg-1.0.0.dist-info"
WHEEL = "demo_pkg-1.0.0-py3-none-any.whl"
META = metadata_text("demo-pkg", "1.0.0", extra=[("Description-Content-Type", "text/plain")])


def findings(path: Path, **options: object) -> list[tuple[str, str, str]]:
    reports = check_files([str(path)], **options)  # type: ignore[arg-type]
    return [(f.severity, f.code, f.message) for r in reports for f in r.findings]


def framing(problem: str) -> tuple[str, str, str]:
    return (
        "error",
        "zip-framing",
        f"Invalid distribution file. ZIP archive not accepted: {problem}. See"
        " https://docs.pypi.org/archives for more information",
    )


def crafted_wheel(
    tmp_path: Path, *members: Entry, record: bytes | None = None, **build_options: object
) -> Path:
    """A wheel of ``members`` plus METADATA, WHEEL and a RECORD listing every member."""
    entries = [
        *members,
        Entry(f"{DIST_INFO}/METADATA".encode(), META.encode()),
        Entry(f"{DIST_INFO}/WHEEL".encode(), b"Wheel-Version: 1.0\nTag: py3-none-any\n"),
    ]
    names = [e.name.decode("utf-8", "replace") for e in entries] + [f"{DIST_INFO}/RECORD"]
    listed = "".join(f"{name},,\n" for name in dict.fromkeys(names)).encode()
    entries.append(Entry(f"{DIST_INFO}/RECORD".encode(), listed if record is None else record))
    path = tmp_path / WHEEL
    path.write_bytes(build(entries, **build_options))  # type: ignore[arg-type]
    return path


# -- zip local headers --------------------------------------------------------------------------


def test_a_crafted_wheel_is_clean(tmp_path: Path) -> None:
    assert findings(crafted_wheel(tmp_path, Entry(b"demo_pkg/__init__.py", b"x = 1\n"))) == []


def test_local_uncompressed_size_differs_from_the_central_directory(tmp_path: Path) -> None:
    data = b"x = 1\n" * 10
    stored = Entry(b"demo_pkg/a.py", data, method=STORED, local_sizes=(len(data), len(data) + 1))
    assert framing("Mis-matched file size") in findings(crafted_wheel(tmp_path, stored))
    twin = Entry(b"demo_pkg/a.py", data, method=STORED, local_sizes=(len(data), len(data)))
    assert findings(crafted_wheel(tmp_path, twin)) == []


def test_local_compressed_size_differs_from_the_central_directory(tmp_path: Path) -> None:
    data = b"x = 1\n" * 10
    damaged = Entry(b"demo_pkg/a.py", data, method=STORED, local_sizes=(len(data) - 1, len(data)))
    assert framing("Mis-matched data size") in findings(crafted_wheel(tmp_path, damaged))


def test_non_ascii_name_needs_the_utf8_flag_in_the_central_directory(tmp_path: Path) -> None:
    name = "demo_pkg/für.py".encode()
    flagless = Entry(name, b"", flags=0)
    assert framing("Filename not in central directory") in findings(
        crafted_wheel(tmp_path, flagless)
    )
    assert findings(crafted_wheel(tmp_path, Entry(name, b"", flags=UTF8_FLAG))) == []
    # The local header's own flag does not matter: only the central directory's.
    local_only = Entry(name, b"", flags=0, cd_flags=UTF8_FLAG)
    assert findings(crafted_wheel(tmp_path, local_only)) == []


def test_name_that_is_not_utf8(tmp_path: Path) -> None:
    assert framing("Filename not unicode") in findings(
        crafted_wheel(tmp_path, Entry(b"demo_pkg/\xff.py", b"", flags=0))
    )


@pytest.mark.parametrize(
    ("local_extra", "problem"),
    [
        (unicode_path(b"demo_pkg/a.py") * 2, "Invalid duplicate extra in local file"),
        (unicode_path(b"demo_pkg/\x01.py"), "Invalid character in filename"),
        (unicode_path(b"demo_pkg/\xff.py"), "Filename not valid UTF-8"),
        (extra(0x0001, bytes(12)), "Malformed zip file"),  # ZIP64 extra of an invalid length
        (extra(0x0001, bytes(8)) * 2, "Invalid duplicate extra in local file"),
        (b"\x75\x70\x09", "Malformed zip file"),  # an extra block shorter than its header
    ],
)
def test_local_extra_fields(tmp_path: Path, local_extra: bytes, problem: str) -> None:
    entry = Entry(b"demo_pkg/a.py", b"", method=STORED, local_extra=local_extra)
    assert framing(problem) in findings(crafted_wheel(tmp_path, entry))


@pytest.mark.parametrize(
    "local_extra",
    [
        unicode_path(b"demo_pkg/a.py"),  # one Unicode Path extra
        extra(0xCAFE, b"") * 2,  # other extras may repeat
    ],
)
def test_local_extra_fields_accepted(tmp_path: Path, local_extra: bytes) -> None:
    entry = Entry(b"demo_pkg/a.py", b"", method=STORED, local_extra=local_extra)
    assert findings(crafted_wheel(tmp_path, entry)) == []


# Python 3.12 and later name a member by its central directory's Unicode Path field and refuse a
# damaged one; PyPI runs such a Python, so ``check`` reads them so on every Python.
@pytest.mark.parametrize(
    "central_extra",
    [
        extra(0x7075, b"\x01\x00"),  # shorter than its version and CRC
        unicode_path(b"demo_pkg/\xff.py", stored=b"demo_pkg/a.py"),  # its CRC matches, not UTF-8
    ],
    ids=["too-short", "not-utf8"],
)
def test_damaged_unicode_path_in_the_central_directory(
    tmp_path: Path, central_extra: bytes
) -> None:
    damaged = Entry(b"demo_pkg/a.py", b"", method=STORED, central_extra=central_extra)
    found = findings(crafted_wheel(tmp_path, damaged))
    assert [f[1] for f in found if f[0] == "error"] == ["bad-distribution"], found
    assert "Corrupt unicode path extra field (0x7075)" in found[0][2]


def test_unicode_path_in_the_central_directory_names_the_member(tmp_path: Path) -> None:
    """What PyPI's scanner sees is the name the Unicode Path field gives, not the stored one."""
    armored = b"x = '" + ARMOR + b"_enter__'\n"
    hidden = unicode_path(b"demo_pkg/core.py", stored=b"demo_pkg/core.txt")
    renamed_to_py = Entry(b"demo_pkg/core.txt", armored, central_extra=hidden)
    assert ("obfuscated-code", "demo_pkg/core.py") in [
        (f[1], f[2].rpartition("(in ")[2].rstrip(")"))
        for f in findings(crafted_wheel(tmp_path, renamed_to_py))
    ]
    shown = unicode_path(b"demo_pkg/core.txt", stored=b"demo_pkg/core.py")
    renamed_away = Entry(b"demo_pkg/core.py", armored, central_extra=shown)
    assert "obfuscated-code" not in [f[1] for f in findings(crafted_wheel(tmp_path, renamed_away))]
    # A field whose CRC is not the stored name's is ignored, as Python ignores it.
    stale = unicode_path(b"demo_pkg/core.txt", stored=b"demo_pkg/other.py")
    ignored = Entry(b"demo_pkg/core.py", armored, central_extra=stale)
    assert "obfuscated-code" in [f[1] for f in findings(crafted_wheel(tmp_path, ignored))]


def test_zip64_extra_standing_in_for_both_sizes(tmp_path: Path) -> None:
    data = b"x = 1\n"
    zip64 = extra(0x0001, struct.pack("<QQ", len(data), len(data)))
    good = Entry(b"demo_pkg/a.py", data, method=STORED, local_extra=zip64)
    good.local_sizes = (0xFFFFFFFF, 0xFFFFFFFF)
    assert findings(crafted_wheel(tmp_path, good)) == []
    wrong = Entry(b"demo_pkg/a.py", data, method=STORED)
    wrong.local_extra = extra(0x0001, struct.pack("<QQ", len(data) + 1, len(data)))
    wrong.local_sizes = (0xFFFFFFFF, 0xFFFFFFFF)
    assert framing("Mis-matched file size") in findings(crafted_wheel(tmp_path, wrong))


def test_control_character_in_a_name(tmp_path: Path) -> None:
    entry = Entry(b"demo_pkg/a\x01.py", b"")
    assert framing("Invalid character in filename") in findings(crafted_wheel(tmp_path, entry))


def test_duplicate_member(tmp_path: Path) -> None:
    twice = [Entry(b"demo_pkg/a.py", b"one"), Entry(b"demo_pkg/a.py", b"one")]
    found = findings(crafted_wheel(tmp_path, *twice))
    assert framing("Duplicate filename in local headers") in found


def test_archive_comment_is_accepted_an_entry_comment_is_not(tmp_path: Path) -> None:
    assert findings(crafted_wheel(tmp_path, Entry(b"demo_pkg/a.py"), comment=b"signed")) == []
    commented = Entry(b"demo_pkg/a.py", comment=b"hi")
    assert framing("Comment in central directory") in findings(crafted_wheel(tmp_path, commented))


def test_zip64_end_record(tmp_path: Path) -> None:
    assert findings(crafted_wheel(tmp_path, Entry(b"demo_pkg/a.py"), zip64=True)) == []
    extensible = crafted_wheel(
        tmp_path, Entry(b"demo_pkg/a.py"), zip64=True, zip64_extensible=bytes(8)
    )
    found = findings(extensible)
    try:
        zipfile.ZipFile(extensible).close()
    except zipfile.BadZipFile:  # Python < 3.13 cannot even open it: refused all the same
        assert found[0][:2] == ("error", "bad-distribution")
    else:
        assert framing("ZIP64 extensible data not allowed") in found


def test_end_records_python_314_refuses_to_open(tmp_path: Path) -> None:
    # A ZIP64 locator pointing past its end record: CPython 3.14 refuses to open the file, and
    # PyPI answers "Invalid distribution file. None" (older Pythons open it).
    path = crafted_wheel(tmp_path, Entry(b"demo_pkg/a.py"), zip64=True)
    data = bytearray(path.read_bytes())
    locator = data.rindex(b"PK\x06\x07")
    data[locator + 8 : locator + 16] = struct.pack("<Q", locator)  # not where the record is
    path.write_bytes(bytes(data))
    assert (
        "error",
        "zip-framing",
        "Invalid distribution file. None (Python's zipfile, as PyPI runs it, cannot open the"
        " file: Corrupt zip64 end of central directory locator)",
    ) in findings(path)


# -- RECORD -------------------------------------------------------------------------------------

RECORD_MISSING = f"Wheel '{WHEEL}' does not contain the required RECORD file: {DIST_INFO}/RECORD"


def _record(text: str) -> bytes:
    names = ["demo_pkg/a.py", f"{DIST_INFO}/METADATA", f"{DIST_INFO}/WHEEL", f"{DIST_INFO}/RECORD"]
    return "".join(f"{n},{text},\n" for n in names).encode("latin-1")


def test_record_not_utf8(tmp_path: Path) -> None:
    path = crafted_wheel(tmp_path, Entry(b"demo_pkg/a.py"), record=_record("h\xe9"))
    (found,) = [f for f in findings(path) if f[1] == "wheel-record"]
    assert found[0] == "error"
    assert found[2].startswith(f"{RECORD_MISSING} (it is not UTF-8: byte 0xe9")
    twin = crafted_wheel(tmp_path, Entry(b"demo_pkg/a.py"), record=_record("he"))
    assert findings(twin) == []


def test_record_field_too_large_for_csv(tmp_path: Path) -> None:
    path = crafted_wheel(tmp_path, Entry(b"demo_pkg/a.py"), record=_record("h" * 131_073))
    (found,) = [f for f in findings(path) if f[1] == "wheel-record"]
    assert found[:2] == ("error", "wheel-record")
    assert found[2].startswith(f"{RECORD_MISSING} (it is not readable CSV: field larger than")


def test_record_with_a_blank_line(tmp_path: Path) -> None:
    record = _record("")
    blank = record.replace(b"\n", b"\n\n", 1)
    path = crafted_wheel(tmp_path, Entry(b"demo_pkg/a.py"), record=blank)
    assert (
        "error",
        "wheel-record",
        f"{DIST_INFO}/RECORD has a blank line (line 2): PyPI fails on it with a server error"
        " (HTTP 500) and stores nothing",
    ) in findings(path)
    assert findings(crafted_wheel(tmp_path, Entry(b"demo_pkg/a.py"), record=record)) == []


def test_record_errors_need_deep_checks_and_warn_only_for_another_index(tmp_path: Path) -> None:
    path = crafted_wheel(tmp_path, Entry(b"demo_pkg/a.py"), record=_record("h\xe9"))
    assert not [f for f in findings(path, deep=False) if f[1] == "wheel-record"]
    # a RECORD that is not UTF-8 breaks installers too: an error for every index
    assert [f[0] for f in findings(path, pypi=False) if f[1] == "wheel-record"] == ["error"]


# -- entry_points.txt ---------------------------------------------------------------------------


def entry_points_wheel(tmp_path: Path, text: bytes) -> Path:
    members = [(f"{DIST_INFO}/entry_points.txt", text)]
    meta = [("Description-Content-Type", "text/plain")]
    return make_wheel(tmp_path, extra_metadata=meta, extra_files=members)


@pytest.mark.parametrize(
    ("text", "accepted", "message"),
    [
        (
            b"[console_scripts]\nfoo pkg:main\n",
            b"[console_scripts]\nfoo = pkg:main\n",
            "entry_points.txt is not a valid INI file: Source contains parsing errors:",
        ),
        (
            b"[console_scripts]\na = m:f\n[console_scripts]\nb = m:g\n",
            b"[console_scripts]\na = m:f\nb = m:g\n",
            "entry_points.txt is not a valid INI file: While reading from '<string>' [line  3]:"
            " section 'console_scripts' already exists",
        ),
        (
            b"[console_scripts]\na = m:f\na = m:g\n",
            b"[console_scripts]\na = m:f\nb = m:g\n",
            "entry_points.txt is not a valid INI file: While reading from '<string>' [line  3]:"
            " option 'a' in section 'console_scripts' already exists",
        ),
        (
            b"[console_scripts]\nmy tool = m:f\n",
            b"[console_scripts]\nmy-tool = m:f\n",
            "Invalid entry point name 'my tool' in 'console_scripts'",
        ),
        (
            b"[gui_scripts]\nbin/tool = m:f\n",
            b"[gui_scripts]\ntool = m:f\n",
            "Invalid entry point name 'bin/tool' in 'gui_scripts'",
        ),
        (
            "[console_scripts]\nw\xe9 = m:f\n".encode("latin-1"),
            "[console_scripts]\nw\xe9 = m:f\n".encode(),
            "entry_points.txt is not decodable as UTF-8",
        ),
        (
            b"\xef\xbb\xbf[console_scripts]\na = m:f\n",
            b"[console_scripts]\na = m:f\n",
            "entry_points.txt is not a valid INI file: File contains no section headers.",
        ),
    ],
)
def test_entry_points(tmp_path: Path, text: bytes, accepted: bytes, message: str) -> None:
    refused = [f for f in findings(entry_points_wheel(tmp_path / "r", text)) if f[0] == "error"]
    assert len(refused) == 1
    assert refused[0][1] == "wheel-entry-points"
    assert refused[0][2].startswith(message)
    assert findings(entry_points_wheel(tmp_path / "a", accepted)) == []


def test_entry_point_names_outside_the_script_groups_are_free(tmp_path: Path) -> None:
    text = b"[my.plugins]\nsome name = m:f\n[Console_Scripts]\nbad name = m:f\n"
    assert findings(entry_points_wheel(tmp_path, text)) == []


def test_entry_points_only_warn_for_another_index(tmp_path: Path) -> None:
    wheel = entry_points_wheel(tmp_path, b"[console_scripts]\nmy tool = m:f\n")
    assert findings(wheel, pypi=False) == [
        (
            "warning",
            "wheel-entry-points",
            "Invalid entry point name 'my tool' in 'console_scripts' (PyPI refuses this; this"
            " index may accept it)",
        )
    ]


# -- a .tar.gz that is also a zip ---------------------------------------------------------------

POLYGLOT = "Invalid distribution file. The file is both a tar archive and a ZIP archive"


def small_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("x.txt", b"hello")
    return buffer.getvalue()


def test_tar_gz_with_a_zip_appended(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, extra_metadata=[("Description-Content-Type", "text/plain")])
    assert findings(sdist) == []
    sdist.write_bytes(sdist.read_bytes() + small_zip())
    assert ("error", "tar-zip-polyglot", POLYGLOT) in findings(sdist)


def test_end_record_signature_alone_does_not_make_a_zip(tmp_path: Path) -> None:
    # Stored (level 0) gzip: a member's bytes appear as they are, end-record signature included.
    # CPython 3.14 (PyPI's) checks where the directory would start; older Pythons said "zip".
    path = tmp_path / "demo_pkg-1.0.0.tar.gz"
    members = [
        ("demo_pkg-1.0.0/PKG-INFO", META.encode()),
        ("demo_pkg-1.0.0/data.bin", b"PK\x05\x06" + bytes([1] * 18)),
    ]
    with tarfile.open(path, "w:gz", compresslevel=0) as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    assert b"PK\x05\x06" in path.read_bytes()[-65_557:]
    assert findings(path) == []


def test_polyglot_only_warns_for_another_index(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, extra_metadata=[("Description-Content-Type", "text/plain")])
    sdist.write_bytes(sdist.read_bytes() + small_zip())
    severities = {f[0] for f in findings(sdist, pypi=False) if f[1] == "tar-zip-polyglot"}
    assert severities == {"warning"}


# -- the upload scanner -------------------------------------------------------------------------

PYARMOR = (
    "PyArmor-encrypted content is not allowed. See"
    " https://pypi.org/policy/acceptable-use-policy/ for more information."
)
SOURCEDEFENDER = (
    "SourceDefender-encrypted content is not allowed. See"
    " https://pypi.org/policy/acceptable-use-policy/ for more information."
)
# In pieces, as in the scanner itself: this file is in tpublish's sdist, which PyPI scans.
ARMOR = b"__py" + b"armor"
BEGIN, END = b"---BEGIN" + b" PYE FILE---", b"---END" + b" PYE FILE---"
ARMORED = b"from pytransform import pyarmor\n" + ARMOR + b"__(__name__, __file__, b'\\x50\\x59')\n"
PYE = BEGIN + b"\nabcd\n" + END + b"\n"


def scanned_wheel(tmp_path: Path, members: Sequence[tuple[str, bytes]]) -> Path:
    meta = [("Description-Content-Type", "text/plain")]
    return make_wheel(tmp_path, extra_metadata=meta, extra_files=members)


def scanned_sdist(tmp_path: Path, members: Sequence[tuple[str, bytes]]) -> Path:
    path = make_sdist(tmp_path, extra_metadata=[("Description-Content-Type", "text/plain")])
    added = []
    for name, data in members:
        info = tarfile.TarInfo(f"demo_pkg-1.0.0/{name}")
        info.size = len(data)
        added.append((info, data))
    return append_to_sdist(path, added)


def append_to_sdist(path: Path, added: Sequence[tuple[tarfile.TarInfo, bytes]]) -> Path:
    """Rewrite the sdist at ``path`` with ``added`` members after its own."""
    with tarfile.open(path, "r:gz") as tf:
        existing = [
            (m, tf.extractfile(m).read() if m.isfile() else b"")  # type: ignore[union-attr]
            for m in tf.getmembers()
        ]
    with tarfile.open(path, "w:gz") as tf:
        for info, data in [*existing, *added]:
            tf.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("build_file", [scanned_wheel, scanned_sdist])
@pytest.mark.parametrize(
    ("members", "code", "message"),
    [
        ([("demo_pkg/core.py", ARMORED)], "obfuscated-code", PYARMOR),
        ([("demo_pkg/core.PY", b"x = '" + ARMOR + b"_enter__'\n")], "obfuscated-code", PYARMOR),
        ([("demo_pkg/core.pye", PYE)], "obfuscated-code", SOURCEDEFENDER),
    ],
)
def test_obfuscated_code(
    tmp_path: Path, build_file: object, members: list[tuple[str, bytes]], code: str, message: str
) -> None:
    path = build_file(tmp_path, members)  # type: ignore[operator]
    where = members[0][0] if path.name.endswith(".whl") else f"demo_pkg-1.0.0/{members[0][0]}"
    assert findings(path) == [("error", code, f"Invalid distribution file. {message} (in {where})")]


@pytest.mark.parametrize("build_file", [scanned_wheel, scanned_sdist])
@pytest.mark.parametrize(
    "members",
    [
        [("demo_pkg/data.json", ARMORED)],  # not a Python member: not scanned
        [("demo_pkg/core.pye", BEGIN + b"\nabcd\n")],  # one marker of two
        [("demo_pkg/a.py", b"x = '" + ARMOR + b"_'\n"), ("demo_pkg/b.py", b"enter__\n")],  # split
        [("demo_pkg/big.py", ARMOR + b"_enter__\n" + b"#" * (5 << 20))],  # over 5 MiB: skipped
    ],
)
def test_scanner_accepted_twins(
    tmp_path: Path, build_file: object, members: list[tuple[str, bytes]]
) -> None:
    assert findings(build_file(tmp_path, members)) == []  # type: ignore[operator]


@pytest.mark.parametrize("build_file", [scanned_wheel, scanned_sdist])
def test_scanner_reports_the_first_member_and_is_off_with_no_check(
    tmp_path: Path, build_file: object
) -> None:
    members = [("demo_pkg/a.pye", PYE), ("demo_pkg/b.py", ARMORED)]
    path = build_file(tmp_path, members)  # type: ignore[operator]
    where = "demo_pkg/a.pye" if path.name.endswith(".whl") else "demo_pkg-1.0.0/demo_pkg/a.pye"
    message = f"Invalid distribution file. {SOURCEDEFENDER} (in {where})"
    assert findings(path) == [("error", "obfuscated-code", message)]
    assert not [f for f in findings(path, deep=False) if f[1] == "obfuscated-code"]


def test_symlink_member_is_not_scanned(tmp_path: Path) -> None:
    link = tarfile.TarInfo("demo_pkg-1.0.0/" + (ARMOR + b"_enter__.py").decode())
    link.type = tarfile.SYMTYPE
    link.linkname = "pyproject.toml"
    path = append_to_sdist(scanned_sdist(tmp_path, []), [(link, b"")])
    assert findings(path) == []


def test_pypi_token_in_a_python_file(tmp_path: Path) -> None:
    token = "pypi-AgEIcHlwaS5vcmcCJ" + "a1b2-c3_d" * 18
    path = scanned_wheel(tmp_path, [("demo_pkg/settings.py", f"TOKEN = '{token}'\n".encode())])
    result = tpublish("check", str(path))
    assert result.exit_code == 2
    assert (
        f"{WHEEL}: error: Invalid distribution file. We have detected a PyPI API token exposed in"
        " the uploaded file. Publishing it would allow anyone to perform actions on your behalf."
        " For your own security, please revoke the token immediately. (in demo_pkg/settings.py)"
    ) in result.stdout.splitlines()
    assert token not in result.output
    short = scanned_wheel(tmp_path / "s", [("demo_pkg/settings.py", token[:-30].encode())])
    assert findings(short) == []


def test_tpublish_itself_passes_the_scanner() -> None:
    """PyPI scans tpublish's own wheel and sdist: no source of this project may carry a marker."""
    root = Path(__file__).resolve().parents[2]
    sources = [*(root / "src").rglob("*.py"), *(root / "tests").rglob("*.py")]
    sources += (root / "benchmarks").rglob("*.py")
    assert len(sources) > 100
    assert [path for path in sources if rule_matched(path.read_bytes())] == []
