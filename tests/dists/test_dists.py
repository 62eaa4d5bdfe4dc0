"""Finding distributions, reading their metadata, checking them, and the upload form fields."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import make_release, make_sdist, make_wheel, metadata_text
from tpublish.dists import archives
from tpublish.dists.distribution import (
    Distribution,
    InvalidDistributions,
    collect,
    load_release,
    read_distribution,
    release_url,
)
from tpublish.dists.metadata import safe_name
from tpublish.errors import DistributionError, InputError
from tpublish.index.multipart import Digests, hash_file

DIST_INFO = "demo_pkg-1.0.0.dist-info"


def write_zip(path: Path, members: Sequence[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def write_tar_gz(path: Path, members: Sequence[tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def raw_wheel(tmp_path: Path, metadata: bytes, *, wheel: bool = True) -> Path:
    """demo_pkg-1.0.0-py3-none-any.whl with METADATA given as raw bytes."""
    members = [(f"{DIST_INFO}/METADATA", metadata), (f"{DIST_INFO}/RECORD", b"")]
    if wheel:
        members.append((f"{DIST_INFO}/WHEEL", b"Wheel-Version: 1.0\n"))
    return write_zip(tmp_path / "demo_pkg-1.0.0-py3-none-any.whl", members)


def error_of(path: Path) -> DistributionError:
    with pytest.raises(DistributionError) as info:
        read_distribution(path)
    assert info.value.path == path
    return info.value


# -- collect ------------------------------------------------------------------------------------


def test_collect_puts_wheels_first_each_group_in_the_order_given(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "alpha")
    wheel_b = make_wheel(tmp_path, "beta")
    wheel_a = make_wheel(tmp_path, "alpha")
    assert collect([str(sdist), str(wheel_b), str(wheel_a)]) == [wheel_b, wheel_a, sdist]


def test_collect_expands_globs_sorted_and_passes_over_side_files(tmp_path: Path) -> None:
    wheel, sdist = make_release(tmp_path)
    wheel_z = make_wheel(tmp_path, "zeta")
    for suffix in (".asc", ".sig", ".sigstore", ".sigstore.json", ".publish.attestation"):
        Path(f"{wheel}{suffix}").write_text("side")
    (tmp_path / "build.intoto.jsonl").write_text("{}")
    assert collect([str(tmp_path / "*")]) == [wheel, wheel_z, sdist]


def test_collect_passes_over_side_files_named_explicitly(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    signature = Path(f"{wheel}.asc")
    signature.write_text("sig")
    assert collect([str(wheel), str(signature)]) == [wheel]


def test_collect_deduplicates_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel, sdist = make_release(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert collect([wheel.name, str(wheel), str(tmp_path / "*"), f"./{sdist.name}"]) == [
        Path(wheel.name),
        tmp_path / sdist.name,
    ]


def test_collect_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope-1.0-py3-none-any.whl"
    with pytest.raises(InputError, match="no such file or directory") as info:
        collect([str(missing)])
    assert str(info.value) == f"no such file or directory: {missing}"
    assert info.value.hint == "build the distributions first: `python -m build`"


def test_collect_glob_matching_nothing(tmp_path: Path) -> None:
    pattern = str(tmp_path / "dist" / "*")
    with pytest.raises(InputError) as info:
        collect([pattern])
    assert str(info.value) == f"no files match {pattern}"


def test_collect_glob_matching_only_side_files(tmp_path: Path) -> None:
    (tmp_path / "x.whl.asc").write_text("sig")
    pattern = str(tmp_path / "*")
    with pytest.raises(InputError) as info:
        collect([pattern])
    assert str(info.value) == f"{pattern} matches only signatures or attestations, no distributions"


def test_collect_only_side_files_named(tmp_path: Path) -> None:
    side = tmp_path / "x.whl.sigstore.json"
    side.write_text("{}")
    with pytest.raises(InputError) as info:
        collect([str(side)])
    assert str(info.value) == "no distribution files given (only signatures or attestations)"


def test_collect_nothing_named() -> None:
    with pytest.raises(InputError, match=r"^no distribution files given$"):
        collect([])


@pytest.mark.parametrize("name", ["dist", "demo-1.0-py3-none-any.whl"])
def test_collect_refuses_a_directory(tmp_path: Path, name: str) -> None:
    directory = tmp_path / name
    directory.mkdir()
    with pytest.raises(InputError) as info:
        collect([str(directory)])
    assert not isinstance(info.value, DistributionError)
    assert str(info.value) == f"{directory} is a directory, not a distribution file"
    assert info.value.hint == f"name the files inside it, e.g. `{directory}/*`"


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        (
            "demo-1.0.zip",
            "PyPI no longer accepts .zip sdists (PEP 625); an sdist must be a .tar.gz",
        ),
        (
            "demo-1.0-py3.11.egg",
            "eggs (.egg) are no longer accepted by PyPI; upload a wheel instead",
        ),
        (
            "demo-1.0.win32.exe",
            "Windows installers are not accepted by PyPI; upload a wheel instead",
        ),
        ("demo-1.0.tar.bz2", "an sdist must be a gzip-compressed tar named *.tar.gz"),
        ("notes.txt", "not a distribution: expected a wheel (.whl) or an sdist (.tar.gz)"),
    ],
)
def test_collect_refuses_other_file_types(tmp_path: Path, filename: str, message: str) -> None:
    path = tmp_path / filename
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(DistributionError) as info:
        collect([str(path)])
    assert info.value.path == path
    assert str(info.value) == f"{path}: {message}"  # the path as given, not only its name
    assert info.value.hint == "build a wheel and a .tar.gz sdist with `python -m build`"


# -- reading: good files ------------------------------------------------------------------------


def test_read_wheel(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    dist = read_distribution(wheel)
    assert dist == Distribution(
        path=wheel,
        filename="demo_pkg-1.0.0-py3-none-any.whl",
        filetype="bdist_wheel",
        pyversion="py3",
        name="demo-pkg",
        version="1.0.0",
        metadata_version="2.4",
        size=wheel.stat().st_size,
        fields=(
            ("metadata_version", "2.4"),
            ("name", "demo-pkg"),
            ("version", "1.0.0"),
            ("summary", "A test package"),
            ("description", "Test package\n============\n\nIt works.\n"),
        ),
        warnings=(),
    )


@pytest.mark.parametrize(
    ("tag", "pyversion"),
    [("py2.py3-none-any", "py2.py3"), ("cp312-cp312-manylinux_2_17_x86_64", "cp312")],
)
def test_wheel_pyversion_is_the_python_tag(tmp_path: Path, tag: str, pyversion: str) -> None:
    assert read_distribution(make_wheel(tmp_path, tag=tag)).pyversion == pyversion


def test_wheel_with_a_build_tag(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, filename="demo_pkg-1.0.0-1-py3-none-any.whl")
    assert read_distribution(wheel).pyversion == "py3"


def test_read_sdist(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "Demo.Pkg", "2.0rc1")
    dist = read_distribution(sdist)
    assert (dist.filename, dist.filetype, dist.pyversion) == (
        "demo_pkg-2.0rc1.tar.gz",
        "sdist",
        "source",
    )
    assert (dist.name, dist.version, dist.size) == ("Demo.Pkg", "2.0rc1", sdist.stat().st_size)
    assert dist.fields[:3] == (
        ("metadata_version", "2.4"),
        ("name", "Demo.Pkg"),
        ("version", "2.0rc1"),
    )
    assert dist.warnings == ()


def test_version_compared_as_a_version(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, version="1.0", metadata=metadata_text("demo-pkg", "1.0.0"))
    dist = read_distribution(wheel)
    assert dist.version == "1.0.0"


def test_all_metadata_24_fields_in_protocol_order(tmp_path: Path) -> None:
    extra = [
        ("Description-Content-Type", "text/markdown"),
        ("Keywords", "upload, pypi,trusted publishing"),
        ("Home-page", "https://example.org"),
        ("Download-URL", "https://example.org/download"),
        ("Author", "Ann"),
        ("Author-email", "Ann <ann@example.org>"),
        ("Maintainer", "Bob"),
        ("Maintainer-email", "bob@example.org"),
        ("License-Expression", "MIT OR Apache-2.0"),
        ("Requires-Python", ">=3.10"),
        ("Classifier", "Programming Language :: Python :: 3"),
        ("Classifier", "Operating System :: OS Independent"),
        ("Platform", "any"),
        ("Supported-Platform", "linux"),
        ("License-File", "LICENSE"),
        ("License-File", "licenses/NOTICE.txt"),
        ("Requires-Dist", "httpx>=0.27"),
        ("Requires-Dist", "rich; extra == 'fancy'"),
        ("Requires-External", "libcurl"),
        ("Project-URL", "Homepage, https://example.org"),
        ("Project-URL", "Source Code, https://example.org/src"),
        ("Provides-Extra", "fancy"),
        ("Provides-Dist", "demo"),
        ("Obsoletes-Dist", "old-demo"),
        ("Dynamic", "Requires-Dist"),
    ]
    licenses = [
        (f"{DIST_INFO}/licenses/LICENSE", b"MIT"),
        (f"{DIST_INFO}/licenses/licenses/NOTICE.txt", b"n"),
    ]
    wheel = make_wheel(tmp_path, extra_metadata=extra, extra_files=licenses)
    assert read_distribution(wheel).fields == (
        ("metadata_version", "2.4"),
        ("name", "demo-pkg"),
        ("version", "1.0.0"),
        ("summary", "A test package"),
        ("description", "Test package\n============\n\nIt works.\n"),
        ("description_content_type", "text/markdown"),
        ("keywords", "upload,pypi,trusted publishing"),
        ("home_page", "https://example.org"),
        ("download_url", "https://example.org/download"),
        ("author", "Ann"),
        ("author_email", "Ann <ann@example.org>"),
        ("maintainer", "Bob"),
        ("maintainer_email", "bob@example.org"),
        ("license_expression", "MIT OR Apache-2.0"),
        ("requires_python", ">=3.10"),
        ("classifiers", "Programming Language :: Python :: 3"),
        ("classifiers", "Operating System :: OS Independent"),
        ("platform", "any"),
        ("supported_platform", "linux"),
        ("license_file", "LICENSE"),
        ("license_file", "licenses/NOTICE.txt"),
        ("requires_dist", "httpx>=0.27"),
        ("requires_dist", "rich; extra == 'fancy'"),
        ("requires_external", "libcurl"),
        ("project_urls", "Homepage, https://example.org"),
        ("project_urls", "Source Code, https://example.org/src"),
        ("provides_extra", "fancy"),
        ("provides_dist", "demo"),
        ("obsoletes_dist", "old-demo"),
        ("dynamic", "Requires-Dist"),
    )


def test_legacy_fields_and_license(tmp_path: Path) -> None:
    meta = metadata_text(
        "demo-pkg",
        "1.0.0",
        metadata_version="1.1",
        extra=[("License", "BSD"), ("Requires", "os"), ("Provides", "demo"), ("Obsoletes", "old")],
    )
    fields = read_distribution(make_wheel(tmp_path, metadata=meta)).fields
    assert fields[5:] == (
        ("license", "BSD"),
        ("requires", "os"),
        ("provides", "demo"),
        ("obsoletes", "old"),
    )


def test_metadata_25_import_names(tmp_path: Path) -> None:
    meta = metadata_text(
        "demo-pkg",
        "1.0.0",
        metadata_version="2.5",
        extra=[
            ("Import-Name", "demo_pkg"),
            ("Import-Name", "demo_pkg._ext; private"),
            ("Import-Namespace", "demo"),
        ],
    )
    dist = read_distribution(make_wheel(tmp_path, metadata=meta))
    assert dist.fields[-3:] == (
        ("import_name", "demo_pkg"),
        ("import_name", "demo_pkg._ext; private"),
        ("import_namespace", "demo"),
    )
    assert dist.warnings == ()


def test_unknown_and_empty_values_are_dropped(tmp_path: Path) -> None:
    meta = metadata_text(
        "demo-pkg",
        "1.0.0",
        metadata_version="2.1",
        summary="UNKNOWN",
        description="UNKNOWN\n",
        extra=[
            ("Home-page", "UNKNOWN"),
            ("Author", " UNKNOWN "),
            ("Author-email", ""),
            ("Keywords", ""),
            ("License", "UNKNOWN"),
            ("Platform", "UNKNOWN"),
            ("Platform", "linux"),
            ("Classifier", "  "),
        ],
    )
    assert read_distribution(make_wheel(tmp_path, metadata=meta)).fields == (
        ("metadata_version", "2.1"),
        ("name", "demo-pkg"),
        ("version", "1.0.0"),
        ("platform", "linux"),
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Foo.Bar_baz", "Foo.Bar-baz"),
        ("a__b--c", "a-b-c"),
        ("plain", "plain"),
        ("zope.ifc", "zope.ifc"),
    ],
)
def test_name_field_is_the_safe_name(tmp_path: Path, name: str, expected: str) -> None:
    assert safe_name(name) == expected
    dist = read_distribution(make_wheel(tmp_path, name))
    assert dist.name == name
    assert ("name", expected) in dist.fields


def test_license_file_dropped_below_metadata_24(tmp_path: Path) -> None:
    meta = metadata_text(
        "demo-pkg", "1.0.0", metadata_version="2.3", extra=[("License-File", "LICENSE")]
    )
    dist = read_distribution(make_wheel(tmp_path, metadata=meta))
    assert all(field != "license_file" for field, _ in dist.fields)
    assert dist.warnings == ("License-File needs Metadata-Version 2.4 (this is 2.3); not sent",)


# -- reading: warnings --------------------------------------------------------------------------


def test_sdist_filename_not_pep_625_is_a_warning(tmp_path: Path) -> None:
    dist = read_distribution(make_sdist(tmp_path, filename="demo-pkg-1.0.0.tar.gz"))
    assert dist.warnings == (
        "the filename is not PEP 625 compliant, expected 'demo_pkg-1.0.0.tar.gz':"
        " private indexes accept it, PyPI rejects it",
    )


def test_sdist_filename_with_unnormalised_version_is_a_warning(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "demo-pkg", "1.0RC1")
    assert read_distribution(sdist).warnings == (
        "the filename is not PEP 625 compliant, expected 'demo_pkg-1.0rc1.tar.gz':"
        " private indexes accept it, PyPI rejects it",
    )


def test_wheel_filename_with_unnormalised_name_is_a_warning(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, filename="Demo_Pkg-1.0.0-py3-none-any.whl")
    assert read_distribution(wheel).warnings == (
        "the filename should start with the normalised name 'demo_pkg', not 'Demo_Pkg':"
        " private indexes accept it, PyPI rejects it",
    )


def test_local_version_is_a_warning(tmp_path: Path) -> None:
    dist = read_distribution(make_wheel(tmp_path, version="1.0.0+ubuntu1"))
    assert dist.warnings == (
        "version 1.0.0+ubuntu1 has a local part ('+ubuntu1'): private indexes accept it,"
        " PyPI rejects it",
    )


def test_metadata_version_pypi_does_not_accept_is_a_warning(tmp_path: Path) -> None:
    meta = metadata_text("demo-pkg", "1.0.0", metadata_version="2.0")
    assert read_distribution(make_wheel(tmp_path, metadata=meta)).warnings == (
        "Metadata-Version 2.0 is not one PyPI accepts (1.0, 1.1, 1.2, 2.1, 2.2, 2.3, 2.4, 2.5);"
        " private indexes may accept it",
    )


def test_repeated_single_use_field_is_a_warning_and_not_sent(tmp_path: Path) -> None:
    meta = metadata_text("demo-pkg", "1.0.0", extra=[("Summary", "again"), ("X-Custom", "ok")])
    dist = read_distribution(make_wheel(tmp_path, metadata=meta))
    assert dist.warnings == (
        "Summary is repeated or malformed; not sent (PyPI would reject the file)",
    )
    assert all(field != "summary" for field, _ in dist.fields)


def test_description_in_header_and_body_is_a_warning(tmp_path: Path) -> None:
    meta = metadata_text("demo-pkg", "1.0.0", extra=[("Description", "header")])
    dist = read_distribution(make_wheel(tmp_path, metadata=meta))
    assert dist.warnings == (
        "Description is given twice (as a header and as the body) or is unreadable; not sent",
    )


# -- reading: errors ----------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "demo_pkg-1.0.0-py3-none-any.whl"
    path.write_bytes(b"")
    assert str(error_of(path)) == f"{path}: the file is empty (0 bytes)"


def test_wheel_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "demo_pkg-1.0.0-py3-none-any.whl"
    path.write_bytes(b"this is not a zip archive")
    error = error_of(path)
    assert (
        error.message == "not a valid wheel: the file is not a zip archive (File is not a zip file)"
    )
    assert error.hint is not None


def test_truncated_wheel(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    wheel.write_bytes(wheel.read_bytes()[:-30])
    assert error_of(wheel).message.startswith("not a valid wheel: the file is not a zip archive")


def test_wheel_with_a_corrupt_member(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, metadata=metadata_text("demo-pkg", "1.0.0", description="x" * 500))
    data = bytearray(wheel.read_bytes())
    offset = data.index(b"METADATA") + len("METADATA") + 20  # inside the compressed METADATA
    data[offset : offset + 8] = b"\xff" * 8
    wheel.write_bytes(bytes(data))
    assert error_of(wheel).message.startswith("cannot read the archive: ")


def test_wheel_without_metadata(tmp_path: Path) -> None:
    wheel = write_zip(tmp_path / "demo_pkg-1.0.0-py3-none-any.whl", [(f"{DIST_INFO}/WHEEL", b"x")])
    assert str(error_of(wheel)) == (f"{wheel}: the wheel has no demo_pkg-1.0.0.dist-info/METADATA")


def test_wheel_whose_dist_info_does_not_match_the_filename(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "other", "2.0", filename="demo_pkg-1.0.0-py3-none-any.whl")
    assert error_of(wheel).message == (
        "the wheel has no demo_pkg-1.0.0.dist-info/METADATA; found other-2.0.dist-info/METADATA"
    )


def test_wheel_without_record(tmp_path: Path) -> None:
    assert error_of(make_wheel(tmp_path, record=False)).message == (
        f"the wheel has no {DIST_INFO}/RECORD file"
    )


def test_wheel_without_wheel_file(tmp_path: Path) -> None:
    wheel = raw_wheel(tmp_path, metadata_text("demo-pkg", "1.0.0").encode(), wheel=False)
    assert error_of(wheel).message == f"the wheel has no {DIST_INFO}/WHEEL file"


def test_invalid_wheel_filename(tmp_path: Path) -> None:
    error = error_of(make_wheel(tmp_path, filename="demo_pkg-1.0.0.whl"))
    assert error.message == (
        "invalid wheel filename: Invalid wheel filename (wrong number of parts): 'demo_pkg-1.0.0'"
    )
    assert (
        error.hint == "a wheel is named {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl"
    )


def test_sdist_that_is_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "demo_pkg-1.0.0.tar.gz"
    write_zip(path, [("demo_pkg-1.0.0/PKG-INFO", b"Metadata-Version: 2.4\n")])
    assert str(error_of(path)) == (f"{path}: not a valid sdist: the file is not gzip-compressed")


def test_sdist_that_is_gzip_but_not_tar(tmp_path: Path) -> None:
    path = tmp_path / "demo_pkg-1.0.0.tar.gz"
    path.write_bytes(gzip.compress(b"just some text, not a tar archive" * 30))
    assert error_of(path).message.startswith("not a valid sdist: not a readable tar.gz archive")


def test_truncated_sdist(tmp_path: Path) -> None:
    sdist = make_sdist(
        tmp_path, metadata=metadata_text("demo-pkg", "1.0.0", description="y" * 4000)
    )
    sdist.write_bytes(sdist.read_bytes()[:-60])
    assert error_of(sdist).message.startswith("cannot read the archive: ")


def test_sdist_without_pkg_info(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, include_pkg_info=False)
    assert str(error_of(sdist)) == f"{sdist}: the sdist has no demo_pkg-1.0.0/PKG-INFO"


def test_sdist_with_several_top_level_directories(tmp_path: Path) -> None:
    meta = metadata_text("demo-pkg", "1.0.0").encode()
    path = write_tar_gz(
        tmp_path / "demo_pkg-1.0.0.tar.gz",
        [("demo_pkg-1.0.0/PKG-INFO", meta), ("setup.py", b""), ("other/x.py", b"")],
    )
    assert error_of(path).message == (
        "an sdist must hold a single top-level directory; found demo_pkg-1.0.0, other, setup.py"
    )


def test_invalid_sdist_filename(tmp_path: Path) -> None:
    error = error_of(make_sdist(tmp_path, filename="demo.tar.gz"))
    assert error.message.startswith("invalid sdist filename: ")
    assert error.hint == "an sdist is named {name}-{version}.tar.gz (PEP 625)"


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_a_5_mib_description_is_read(tmp_path: Path, kind: str) -> None:
    # PyPI has no limit on METADATA or the description: a 5 MiB one uploads there.
    big = metadata_text("demo-pkg", "1.0.0", description="z" * (5 << 20))
    path = (
        make_wheel(tmp_path, metadata=big)
        if kind == "wheel"
        else make_sdist(tmp_path, metadata=big)
    )
    dist = read_distribution(path)
    assert len(dict(dist.fields)["description"]) == 5 << 20


def test_metadata_beyond_the_compression_ratio_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only a METADATA that alone breaks PyPI's ratio rule (> 64 MiB and > 50 x the file) is
    # refused, in PyPI's words; the floor is lowered here to keep the test small.
    monkeypatch.setattr(archives, "COMPRESSION_RATIO_MIN_SIZE", 1 << 20)
    big = metadata_text("demo-pkg", "1.0.0", description="z" * (2 << 20))
    path = make_wheel(tmp_path, metadata=big)
    size = path.stat().st_size
    assert error_of(path).message == (
        "Invalid distribution file. File exceeds compression ratio of 50"
        f" ({DIST_INFO}/METADATA alone is over {1 << 20} bytes uncompressed in a {size}-byte"
        " file)"
    )


def test_metadata_not_utf8(tmp_path: Path) -> None:
    wheel = raw_wheel(
        tmp_path, b"Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0.0\nAuthor: J\xf6rg\n"
    )
    error = error_of(wheel)
    assert error.message == "METADATA is not valid UTF-8 (byte 0xf6 at offset 61)"
    assert error.hint == "core metadata must be UTF-8; rebuild with a current build backend"


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("Name: demo-pkg\nVersion: 1.0.0\n", "METADATA has no Metadata-Version"),
        ("Metadata-Version: 2.4\nVersion: 1.0.0\n", "METADATA has no Name"),
        ("Metadata-Version: 2.4\nName: demo-pkg\n", "METADATA has no Version"),
        ("Metadata-Version: 2.4\nName: demo-pkg\nVersion: \n", "METADATA has no Version"),
        (
            "Metadata-Version: 2.4\nName: demo-pkg\nName: demo\nVersion: 1.0.0\n",
            "METADATA has more than one Name field",
        ),
        (
            "Metadata-Version: two\nName: demo-pkg\nVersion: 1.0.0\n",
            "METADATA has Metadata-Version 'two', which is not a metadata version",
        ),
        (
            "Metadata-Version: 2.4\nName: demo pkg!\nVersion: 1.0.0\n",
            "METADATA has Name 'demo pkg!', which is not a valid project name",
        ),
        (
            "Metadata-Version: 2.4\nName: demo-pkg\nVersion: one point oh\n",
            "METADATA has Version 'one point oh', which is not a valid PEP 440 version",
        ),
    ],
)
def test_bad_core_metadata(tmp_path: Path, metadata: str, message: str) -> None:
    error = error_of(make_wheel(tmp_path, metadata=metadata))
    assert str(error) == f"{error.path}: {message}"


def test_bad_core_metadata_in_an_sdist_names_pkg_info(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, metadata="Metadata-Version: 2.4\nName: demo-pkg\n")
    assert str(error_of(sdist)) == f"{sdist}: PKG-INFO has no Version"


@pytest.mark.parametrize("maker", ["wheel", "sdist"])
def test_name_in_filename_differs_from_metadata(tmp_path: Path, maker: str) -> None:
    meta = metadata_text("other-pkg", "1.0.0")
    path = (
        make_wheel(tmp_path, metadata=meta)
        if maker == "wheel"
        else make_sdist(tmp_path, metadata=meta)
    )
    label = "METADATA" if maker == "wheel" else "PKG-INFO"
    error = error_of(path)
    assert (
        error.message == f"the filename names project 'demo-pkg' but {label} has Name 'other-pkg'"
    )
    assert error.hint == "the filename and the metadata must agree; rebuild the distribution"


@pytest.mark.parametrize("maker", ["wheel", "sdist"])
def test_version_in_filename_differs_from_metadata(tmp_path: Path, maker: str) -> None:
    meta = metadata_text("demo-pkg", "1.0.1")
    path = (
        make_wheel(tmp_path, metadata=meta)
        if maker == "wheel"
        else make_sdist(tmp_path, metadata=meta)
    )
    label = "METADATA" if maker == "wheel" else "PKG-INFO"
    assert error_of(path).message == (
        f"the filename has version '1.0.0' but {label} has Version '1.0.1'"
    )


def test_license_file_missing_from_wheel(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, extra_metadata=[("License-File", "LICENSE")])
    assert error_of(wheel).message == (
        f"METADATA names License-File 'LICENSE', but {DIST_INFO}/licenses/LICENSE is not in the"
        " archive"
    )


def test_license_file_in_sdist(tmp_path: Path) -> None:
    meta = metadata_text("demo-pkg", "1.0.0", extra=[("License-File", "LICENSE")]).encode()
    members = [("demo_pkg-1.0.0/PKG-INFO", meta)]
    missing = write_tar_gz(tmp_path / "demo_pkg-1.0.0.tar.gz", members)
    assert error_of(missing).message == (
        "PKG-INFO names License-File 'LICENSE', but demo_pkg-1.0.0/LICENSE is not in the archive"
    )
    present = write_tar_gz(missing, [*members, ("demo_pkg-1.0.0/LICENSE", b"MIT")])
    assert ("license_file", "LICENSE") in read_distribution(present).fields


def test_unsupported_type_read_directly(tmp_path: Path) -> None:
    path = tmp_path / "demo-1.0.zip"
    path.write_bytes(b"PK")
    assert error_of(path).message.startswith("PyPI no longer accepts .zip sdists (PEP 625)")


def test_missing_file_read_directly(tmp_path: Path) -> None:
    error = error_of(tmp_path / "demo_pkg-1.0.0-py3-none-any.whl")
    assert error.message == "cannot read the file: No such file or directory"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_damaged_archives_only_ever_raise_distribution_errors(
    tmp_path: Path, data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from(["wheel", "sdist"]))
    base = tmp_path / "base"
    base.mkdir(exist_ok=True)
    original = (make_wheel(base) if kind == "wheel" else make_sdist(base)).read_bytes()
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    damaged = damaged[: data.draw(st.integers(1, len(damaged)))]
    target = tmp_path / (
        "demo_pkg-1.0.0-py3-none-any.whl" if kind == "wheel" else "demo_pkg-1.0.0.tar.gz"
    )
    target.write_bytes(bytes(damaged))
    try:
        read_distribution(target)
    except DistributionError as exc:
        assert exc.path == target


# -- load_release -------------------------------------------------------------------------------


def test_load_release(tmp_path: Path) -> None:
    wheel, sdist = make_release(tmp_path)
    dists = load_release([str(tmp_path / "*")])
    assert [dist.path for dist in dists] == [wheel, sdist]


def test_load_release_reports_every_bad_file(tmp_path: Path) -> None:
    make_release(tmp_path)
    empty = tmp_path / "empty_pkg-1.0-py3-none-any.whl"
    empty.write_bytes(b"")
    old = tmp_path / "old-1.0.zip"
    old.write_bytes(b"PK")
    no_record = make_wheel(tmp_path, "norecord", record=False)
    with pytest.raises(InvalidDistributions) as info:
        load_release([str(tmp_path / "*")])
    assert isinstance(info.value, InputError)
    assert str(info.value) == "3 of 5 files are invalid; nothing was uploaded"
    assert [str(err) for err in info.value.errors] == [
        f"{old}: PyPI no longer accepts .zip sdists (PEP 625); an sdist must be a .tar.gz",
        f"{empty}: the file is empty (0 bytes)",
        f"{no_record}: the wheel has no norecord-1.0.0.dist-info/RECORD file",
    ]


def test_load_release_one_bad_file(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, record=False)
    with pytest.raises(
        InvalidDistributions, match=r"^1 of 1 file is invalid; nothing was uploaded$"
    ):
        load_release([str(wheel)])
    make_sdist(tmp_path)
    with pytest.raises(
        InvalidDistributions, match=r"^1 of 2 files is invalid; nothing was uploaded$"
    ):
        load_release([str(tmp_path / "*")])


def test_load_release_bad_argument_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_release([str(tmp_path / "missing.whl")])
    assert not isinstance(info.value, InvalidDistributions)


# -- digests and release URLs -------------------------------------------------------------------


def test_hash_file(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, payload_size=3 << 20)
    data = wheel.read_bytes()
    assert hash_file(wheel) == Digests(
        sha256=hashlib.sha256(data).hexdigest(),
        blake2_256=hashlib.blake2b(data, digest_size=32).hexdigest(),
    )


def test_compute_digests_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DistributionError, match="cannot read the file: No such file or directory"):
        hash_file(tmp_path / "gone.whl")


@pytest.mark.parametrize(
    ("upload_url", "expected"),
    [
        ("https://upload.pypi.org/legacy/", "https://pypi.org/project/Demo.Pkg-x/1.0.0/"),
        ("https://upload.pypi.org:443/legacy/", "https://pypi.org/project/Demo.Pkg-x/1.0.0/"),
        ("https://test.pypi.org/legacy/", "https://test.pypi.org/project/Demo.Pkg-x/1.0.0/"),
        ("http://127.0.0.1:8080/legacy/", None),
        ("https://pypi.example.com/legacy/", None),
        ("http://upload.pypi.org/legacy/", None),
    ],
)
def test_release_url(tmp_path: Path, upload_url: str, expected: str | None) -> None:
    dist = read_distribution(make_wheel(tmp_path, "Demo.Pkg_x"))
    assert release_url(upload_url, dist) == expected
