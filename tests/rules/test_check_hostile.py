"""Hostile or broken input: one line naming the file and the cause, no traceback, bounded time.

Every archive is built here, byte by byte where a builder cannot make it.
"""

from __future__ import annotations

import io
import struct
import tarfile
import time
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from builders import make_sdist, make_wheel, metadata_text
from cli_helpers import tpublish
from tpublish.dists import archives, sdistfile, wheelfile
from tpublish.dists.distribution import read_distribution
from tpublish.errors import DistributionError
from tpublish.rules.checker import check_path

WHEEL = "demo_pkg-1.0.0-py3-none-any.whl"
SDIST = "demo_pkg-1.0.0.tar.gz"
DIST_INFO = "demo_pkg-1.0.0.dist-info"
TOP = "demo_pkg-1.0.0"
METADATA = metadata_text("demo-pkg", "1.0.0", extra=[("Description-Content-Type", "text/plain")])
TIME_BOUND = 5.0  # seconds for any one hostile file, far above what each takes


def wheel_bytes(extra: Sequence[tuple[str, bytes]] = (), metadata: bytes | None = None) -> bytes:
    members = [
        (f"{DIST_INFO}/METADATA", metadata if metadata is not None else METADATA.encode()),
        (f"{DIST_INFO}/WHEEL", b"Wheel-Version: 1.0\n"),
        *extra,
    ]
    record = "".join(f"{name},,\n" for name, _ in members) + f"{DIST_INFO}/RECORD,,\n"
    members.append((f"{DIST_INFO}/RECORD", record.encode()))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names; we want them
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members:
                zf.writestr(name, data)
    return buffer.getvalue()


def tar_member(
    name: str, data: bytes = b"", *, kind: bytes = tarfile.REGTYPE, link: str = "", size: int = -1
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if size < 0 else size
    return info, data


def sdist_bytes(*members: tuple[tarfile.TarInfo, bytes], pkg_info: bool = True) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.GNU_FORMAT) as tf:
        if pkg_info:
            info, data = tar_member(f"{TOP}/PKG-INFO", METADATA.encode())
            tf.addfile(info, io.BytesIO(data))
        for info, data in members:
            tf.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def one_line_error(path: Path) -> str:
    """Check ``path`` through the CLI: exit 2, exactly one finding, no traceback; its message."""
    start = time.monotonic()
    result = tpublish("check", str(path))
    assert time.monotonic() - start < TIME_BOUND
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    first, summary = result.stdout.splitlines()
    assert summary == "checked 1 file: 1 error, 0 warnings (1 file would be refused)"
    prefix = f"{path.name}: error: "
    assert first.startswith(prefix)
    return first[len(prefix) :]


def errors_of(path: Path) -> list[str]:
    """Check ``path`` through the CLI: exit 2, no traceback; every error's message, in order."""
    result = tpublish("check", str(path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    prefix = f"{path.name}: error: "
    return [line[len(prefix) :] for line in result.stdout.splitlines() if line.startswith(prefix)]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- wheels -------------------------------------------------------------------------------------


def test_truncated_wheel(tmp_path: Path) -> None:
    path = write(tmp_path, WHEEL, wheel_bytes()[:-40])
    assert one_line_error(path).startswith("not a valid wheel: the file is not a zip archive")


def test_wheel_that_is_not_a_zip(tmp_path: Path) -> None:
    path = write(tmp_path, WHEEL, b"\x7fELF" + bytes(200))
    assert one_line_error(path) == (
        "not a valid wheel: the file is not a zip archive (File is not a zip file)"
    )


def test_empty_file(tmp_path: Path) -> None:
    assert one_line_error(write(tmp_path, WHEEL, b"")) == "the file is empty (0 bytes)"


def test_a_directory_named_like_a_wheel(tmp_path: Path) -> None:
    directory = tmp_path / "x.whl"
    directory.mkdir()
    result = tpublish("check", str(directory))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"error: {directory} is a directory, not a distribution file"
    )
    assert "Traceback" not in result.output


def _patch_central_sizes(data: bytes, member: str, size: int) -> bytes:
    """Make the central directory declare ``size`` uncompressed bytes for ``member``."""
    at = data.index(b"PK\x01\x02")
    while True:
        (name_size,) = struct.unpack("<H", data[at + 28 : at + 30])
        if data[at + 46 : at + 46 + name_size] == member.encode():
            return data[: at + 24] + struct.pack("<L", size) + data[at + 28 :]
        at = data.index(b"PK\x01\x02", at + 4)


def test_zip_bomb_declaring_huge_sizes(tmp_path: Path) -> None:
    data = wheel_bytes([("demo_pkg/bomb.bin", b"x" * 100)])
    path = write(tmp_path, WHEEL, _patch_central_sizes(data, "demo_pkg/bomb.bin", 0xFFFFFFF0))
    ratio, framing = errors_of(path)
    assert ratio.startswith("Invalid distribution file. File exceeds compression ratio of 50 (")
    assert framing == (  # the local header says otherwise: PyPI checks that too
        "Invalid distribution file. ZIP archive not accepted: Mis-matched file size. See"
        " https://docs.pypi.org/archives for more information"
    )


def test_metadata_declaring_a_huge_size(tmp_path: Path) -> None:
    data = _patch_central_sizes(wheel_bytes(), f"{DIST_INFO}/METADATA", 0xFFFFFFF0)
    path = write(tmp_path, WHEEL, data)
    first, *rest = errors_of(path)
    assert first == (
        "Invalid distribution file. File exceeds compression ratio of 50"
        f" ({DIST_INFO}/METADATA alone is over {64 << 20} bytes uncompressed in a"
        f" {len(data)}-byte file)"
    )
    assert rest[0].startswith("Invalid distribution file. File exceeds compression ratio of 50")


def test_thousands_of_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    many = [(f"demo_pkg/m{i}.py", b"") for i in range(3000)]
    path = write(tmp_path, WHEEL, wheel_bytes(many))
    start = time.monotonic()
    check_path(path)
    assert time.monotonic() - start < TIME_BOUND
    monkeypatch.setattr(archives, "MAX_MEMBERS", 1000)
    assert one_line_error(path) == (
        "the archive has 3003 members, more than the 1000 tpublish reads"
    )


@pytest.mark.parametrize("shape", ["plain", "archive comment", "zip64 end record"])
def test_member_count_is_read_from_the_end_record(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    buffer = io.BytesIO()
    with monkeypatch.context() as patch:
        if shape == "zip64 end record":  # what a writer does past 65,535 members
            patch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 10)
        with zipfile.ZipFile(buffer, "w") as zf:
            for i in range(40):
                zf.writestr(f"m{i}.py", b"")
            if shape == "archive comment":
                zf.comment = b"built by a tool that signs its archives " * 20
    data = buffer.getvalue()
    if shape == "zip64 end record":  # the counts as a writer leaves them: "see the zip64 record"
        data = data[:-14] + b"\xff\xff\xff\xff" + data[-10:]
        assert data[-42:-38] == b"PK\x06\x07"  # the zip64 locator, in front of the record
    assert wheelfile.zip_entry_count(io.BytesIO(data)) == 40
    assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 40


@pytest.mark.parametrize("name", ["../evil.py", "/etc/evil.py", "demo_pkg/../../evil.py", "C:evil"])
def test_wheel_member_outside_the_archive(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, WHEEL, wheel_bytes([(name, b"")]))
    assert one_line_error(path) == (
        f"member '{name}' points outside the archive (an absolute path or '..'); installers"
        " refuse it"
    )


def test_metadata_not_utf8(tmp_path: Path) -> None:
    data = wheel_bytes(
        metadata=b"Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0.0\nAuthor: J\xf6rg\n"
    )
    path = write(tmp_path, WHEEL, data)
    assert one_line_error(path) == "METADATA is not valid UTF-8 (byte 0xf6 at offset 61)"


def test_wheel_without_metadata(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(f"{DIST_INFO}/WHEEL", b"")
        zf.writestr(f"{DIST_INFO}/RECORD", b"")
    path = write(tmp_path, WHEEL, buffer.getvalue())
    assert one_line_error(path) == f"the wheel has no {DIST_INFO}/METADATA"


def test_two_metadata_files_of_the_same_name(tmp_path: Path) -> None:
    path = write(tmp_path, WHEEL, wheel_bytes([(f"{DIST_INFO}/METADATA", b"Name: evil\n")]))
    assert errors_of(path) == [
        f"the archive holds '{DIST_INFO}/METADATA' more than once",
        # PyPI's words for it: the first local header's sizes are not the directory's entry's
        "Invalid distribution file. ZIP archive not accepted: Mis-matched data size. See"
        " https://docs.pypi.org/archives for more information",
    ]


def test_two_dist_info_directories(tmp_path: Path) -> None:
    other = metadata_text("evil", "6.6.6").encode()
    path = write(tmp_path, WHEEL, wheel_bytes([("evil-6.6.6.dist-info/METADATA", other)]))
    assert one_line_error(path) == (
        f"Wheel '{WHEEL}' contains multiple .dist-info directories ({DIST_INFO},"
        " evil-6.6.6.dist-info)"
    )


# -- sdists -------------------------------------------------------------------------------------


def test_sdist_without_pkg_info(tmp_path: Path) -> None:
    path = write(tmp_path, SDIST, sdist_bytes(tar_member(f"{TOP}/setup.py"), pkg_info=False))
    assert one_line_error(path) == f"the sdist has no {TOP}/PKG-INFO"


def test_sdist_with_two_pkg_info(tmp_path: Path) -> None:
    path = write(tmp_path, SDIST, sdist_bytes(tar_member(f"{TOP}/PKG-INFO", b"Name: evil\n")))
    assert one_line_error(path) == f"the sdist holds more than one {TOP}/PKG-INFO"


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (
            tar_member(f"{TOP}/passwd", kind=tarfile.SYMTYPE, link="../../etc/passwd"),
            f"member '{TOP}/passwd' links outside the archive (to '../../etc/passwd')",
        ),
        (
            tar_member(f"{TOP}/passwd", kind=tarfile.SYMTYPE, link="/etc/passwd"),
            f"member '{TOP}/passwd' links outside the archive (to '/etc/passwd')",
        ),
        (
            tar_member(f"{TOP}/hard", kind=tarfile.LNKTYPE, link="../outside"),
            f"member '{TOP}/hard' links outside the archive (to '../outside')",
        ),
        (
            tar_member(f"{TOP}/tty", kind=tarfile.CHRTYPE),
            f"member '{TOP}/tty' is a device file or FIFO",
        ),
        (
            tar_member(f"{TOP}/../../evil.py"),
            f"member '{TOP}/../../evil.py' points outside the archive (an absolute path or '..');"
            " installers refuse it",
        ),
    ],
)
def test_sdist_hostile_members(
    tmp_path: Path, member: tuple[tarfile.TarInfo, bytes], message: str
) -> None:
    path = write(tmp_path, SDIST, sdist_bytes(member))
    assert one_line_error(path) == message


def test_sdist_symlink_inside_the_archive_is_fine(tmp_path: Path) -> None:
    link = tar_member(f"{TOP}/docs/README", kind=tarfile.SYMTYPE, link="../README")
    path = write(tmp_path, SDIST, sdist_bytes(tar_member(f"{TOP}/README", b"hi"), link))
    assert check_path(path).ok


def test_pkg_info_that_is_a_symlink(tmp_path: Path) -> None:
    link = tar_member(f"{TOP}/PKG-INFO", kind=tarfile.SYMTYPE, link="/etc/passwd")
    path = write(tmp_path, SDIST, sdist_bytes(link, pkg_info=False))
    assert (
        one_line_error(path)
        == f"member '{TOP}/PKG-INFO' links outside the archive (to '/etc/passwd')"
    )


def test_tar_member_declaring_a_huge_size(tmp_path: Path) -> None:
    huge = tar_member(f"{TOP}/huge.bin", size=1 << 40)
    path = write(tmp_path, SDIST, sdist_bytes(huge, tar_member(f"{TOP}/setup.py")))
    assert one_line_error(path).startswith(
        "the archive holds more than 1024 MiB uncompressed, over 50 times its size: tpublish"
        " reads no further"
    )


def test_tar_header_declaring_huge_extended_data(tmp_path: Path) -> None:
    longname = tar_member("././@LongLink", kind=tarfile.GNUTYPE_LONGNAME, size=1 << 30)
    path = write(tmp_path, SDIST, sdist_bytes(longname, tar_member(f"{TOP}/setup.py")))
    assert one_line_error(path) == (
        f"a tar header declares {(1 << 30)} bytes of extended data; refusing to read it"
    )


def test_tar_gzip_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdistfile, "SDIST_READ_FLOOR", 1 << 20)
    monkeypatch.setattr(archives, "COMPRESSION_RATIO_MIN_SIZE", 1 << 20)
    zeros = tar_member(f"{TOP}/zeros.bin", bytes(8 << 20))
    path = write(tmp_path, SDIST, sdist_bytes(zeros))
    assert one_line_error(path).startswith("the archive holds more than 1 MiB uncompressed")


def test_sdist_with_thousands_of_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    members = [tar_member(f"{TOP}/m{i}.py") for i in range(2000)]
    path = write(tmp_path, SDIST, sdist_bytes(*members))
    assert check_path(path).ok
    monkeypatch.setattr(archives, "MAX_MEMBERS", 500)
    assert one_line_error(path) == "the archive has 501 members, more than the 500 tpublish reads"


def test_many_bad_files_each_get_their_line(tmp_path: Path) -> None:
    write(tmp_path, WHEEL, b"")
    write(tmp_path, SDIST, b"not gzip")
    write(tmp_path, "other-1.0-py3-none-any.whl", b"PK\x05\x06" + bytes(18))
    result = tpublish("check", str(tmp_path / "*"))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert lines[-1] == "checked 3 files: 3 errors, 0 warnings (3 files would be refused)"


# -- mutated archives (hypothesis) --------------------------------------------------------------

NAMES = st.sampled_from(
    [
        f"{DIST_INFO}/METADATA",
        f"{DIST_INFO}/WHEEL",
        f"{DIST_INFO}/RECORD",
        f"{TOP}/PKG-INFO",
        "../x",
        "/abs",
        "a\\..\\b",
        "demo_pkg/__init__.py",
        "x.dist-info/METADATA",
    ]
) | st.text(min_size=1, max_size=30).map(lambda s: s.replace("\x00", "") or "x")
HEADERS = st.sampled_from(
    [
        "Summary",
        "Description-Content-Type",
        "License-Expression",
        "Classifier",
        "Requires-Dist",
        "Project-URL",
        "Dynamic",
        "Author-email",
    ]
)
IDENTITY = "Metadata-Version: 2.4\nName: demo-pkg\nVersion: 1.0.0\n"
METADATA_TEXT = st.builds(
    lambda head, lines, body: head + "".join(f"{k}: {v}\n" for k, v in lines) + "\n" + body,
    st.sampled_from([IDENTITY, IDENTITY, IDENTITY, ""]),
    st.lists(st.tuples(HEADERS, st.text(max_size=40)), max_size=8),
    st.text(max_size=200) | st.sampled_from(["`x`_", "Title\n==\n", "# md\n* [x](y)"]),
)


def _mutate(data: bytes, draw: st.DrawFn) -> bytes:
    damaged = bytearray(data)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(damaged) - 1))
        damaged[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        at = draw(st.integers(0, len(damaged)))
        damaged[at:at] = draw(st.binary(max_size=64))
    return (
        bytes(damaged[: draw(st.integers(0, len(damaged)))])
        if draw(st.booleans())
        else bytes(damaged)
    )


@st.composite
def hostile_files(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["wheel", "sdist"]))
    text = draw(METADATA_TEXT | st.just(METADATA))
    members = draw(st.lists(st.tuples(NAMES, st.binary(max_size=64)), max_size=4) | st.just([]))
    if kind == "wheel":
        data = wheel_bytes(members, metadata=text.encode("utf-8", "surrogatepass"))
        name = WHEEL
    else:
        tar_members = [tar_member(f"{TOP}/PKG-INFO", text.encode("utf-8", "surrogatepass"))]
        inside = draw(st.booleans())
        tar_members += [tar_member(f"{TOP}/{n}" if inside else n, d) for n, d in members]
        data = sdist_bytes(*tar_members, pkg_info=False)
        name = SDIST
    if draw(st.integers(0, 2)) == 0:
        data = _mutate(data, draw)
    return name, data


@settings(
    max_examples=150,
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=hostile_files())
def test_mutated_archives_never_crash_the_checker(tmp_path: Path, case: tuple[str, bytes]) -> None:
    name, data = case
    path = tmp_path / name
    path.write_bytes(data)
    start = time.monotonic()
    try:
        read_distribution(path)
    except DistributionError as exc:  # our own error type, naming the file
        assert exc.path == path
    report = check_path(path)  # never raises: every problem is a finding
    event("read" if report.dist is not None else "refused by the reader")
    assert time.monotonic() - start < TIME_BOUND
    assert all(f.message and f.message.isprintable() for f in report.findings)


def test_builders_files_are_clean_for_the_fuzzer_baseline(tmp_path: Path) -> None:
    """The un-mutated inputs the fuzzer starts from are readable (so mutations test something)."""
    assert check_path(make_wheel(tmp_path)).dist is not None
    assert check_path(make_sdist(tmp_path)).dist is not None
    assert check_path(write(tmp_path / "w", WHEEL, wheel_bytes())).dist is not None
    assert check_path(write(tmp_path / "s", SDIST, sdist_bytes())).dist is not None
