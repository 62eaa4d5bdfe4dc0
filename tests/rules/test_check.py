"""``tpublish check``: one failing fixture per index rule, and the message a user sees."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from trove_classifiers import deprecated_classifiers

from builders import make_release, make_sdist, make_wheel, metadata_text
from cli_helpers import tpublish
from tpublish.rules import zipfiles as rules_zip
from tpublish.rules.checker import check_files
from tpublish.rules.platforms import valid_platform_tag

WHEEL = "demo_pkg-1.0.0-py3-none-any.whl"
SDIST = "demo_pkg-1.0.0.tar.gz"
DIST_INFO = "demo_pkg-1.0.0.dist-info"
RST = "Description-Content-Type"


def findings(*paths: Path, **options: object) -> list[tuple[str, str, str]]:
    """(severity, code, message) of every finding, over all files, in order."""
    reports = check_files([str(p) for p in paths], **options)  # type: ignore[arg-type]
    return [(f.severity, f.code, f.message) for r in reports for f in r.findings]


def errors(*paths: Path, **options: object) -> list[str]:
    return [message for severity, _, message in findings(*paths, **options) if severity == "error"]


def warnings(*paths: Path, **options: object) -> list[str]:
    return [m for severity, _, m in findings(*paths, **options) if severity == "warning"]


def clean_wheel(
    tmp_path: Path, *extra: tuple[str, str], name: str = "demo-pkg", **kwargs: object
) -> Path:
    """A wheel with a Description-Content-Type (so no warning) and ``extra`` headers."""
    meta = [(RST, "text/x-rst"), *extra]
    return make_wheel(tmp_path, name, extra_metadata=meta, **kwargs)  # type: ignore[arg-type]


def wheel_of(tmp_path: Path, metadata: str, **kwargs: object) -> Path:
    return make_wheel(tmp_path, metadata=metadata, **kwargs)  # type: ignore[arg-type]


def write_zip(
    path: Path, members: Sequence[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED
) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def wheel_members(metadata: str | None = None) -> list[tuple[str, bytes]]:
    meta = metadata or metadata_text("demo-pkg", "1.0.0", extra=[(RST, "text/x-rst")])
    return [
        ("demo_pkg/__init__.py", b""),
        (f"{DIST_INFO}/METADATA", meta.encode()),
        (f"{DIST_INFO}/WHEEL", b"Wheel-Version: 1.0\n"),
        (f"{DIST_INFO}/RECORD", f"demo_pkg/__init__.py,,\n{DIST_INFO}/METADATA,,\n".encode()),
    ]


def full_record(members: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    names = "\n".join(f"{name},," for name, _ in members if not name.endswith("/RECORD"))
    record = f"{names}\n{DIST_INFO}/RECORD,,\n".encode()
    return [(n, d) if not n.endswith("/RECORD") else (n, record) for n, d in members]


# -- a good release -----------------------------------------------------------------------------


def test_a_good_release_has_no_findings(tmp_path: Path) -> None:
    clean_wheel(tmp_path)
    make_sdist(tmp_path, extra_metadata=[(RST, "text/x-rst")])
    result = tpublish("check", str(tmp_path / "*"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{WHEEL}: ok",
        f"{SDIST}: ok",
        "checked 2 files: no problems found",
    ]


def test_every_rule_is_quiet_on_a_complete_modern_wheel(tmp_path: Path) -> None:
    extra = [
        (RST, "text/markdown"),
        ("Keywords", "upload, pypi"),
        ("Author-email", "Ann <ann@example.org>"),
        ("Maintainer-email", "bob@example.org"),
        ("License-Expression", "MIT OR Apache-2.0"),
        ("License-File", "LICENSE"),
        ("Requires-Python", ">=3.10"),
        ("Classifier", "Programming Language :: Python :: 3"),
        ("Requires-Dist", "httpx>=0.27"),
        ("Requires-Dist", "rich; extra == 'fancy'"),
        ("Provides-Extra", "fancy"),
        ("Project-URL", "Homepage, https://example.org"),
        ("Project-URL", "Source, https://example.org:8443/src?x=1#top"),
        ("Dynamic", "Requires-Dist"),
    ]
    licenses = [(f"{DIST_INFO}/licenses/LICENSE", b"MIT")]
    wheel = make_wheel(
        tmp_path, extra_metadata=extra, extra_files=licenses, tag="cp312-abi3-manylinux_2_17_x86_64"
    )
    assert findings(wheel) == []


# -- metadata version, name, version ------------------------------------------------------------


def test_metadata_version_the_index_does_not_accept(tmp_path: Path) -> None:
    wheel = wheel_of(tmp_path, metadata_text("demo-pkg", "1.0.0", metadata_version="2.0"))
    assert ("error", "metadata-version", "'2.0' is not a valid metadata version") in findings(wheel)
    assert not any("PyPI accepts" in w for w in warnings(wheel))  # restated, not repeated


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("Metadata-Version: 2.4\nVersion: 1.0.0\n", "METADATA has no Name"),
        ("Metadata-Version: 2.4\nName: demo-pkg\n", "METADATA has no Version"),
        (
            "Metadata-Version: 2.4\nName: demo pkg!\nVersion: 1.0.0\n",
            "METADATA has Name 'demo pkg!', which is not a valid project name",
        ),
        (
            "Metadata-Version: 2.4\nName: demo-pkg\nVersion: one\n",
            "METADATA has Version 'one', which is not a valid PEP 440 version",
        ),
    ],
)
def test_required_fields_name_and_version(tmp_path: Path, metadata: str, message: str) -> None:
    result = tpublish("check", str(wheel_of(tmp_path, metadata)))
    assert result.exit_code == 2
    assert f"{WHEEL}: error: {message}" in result.stdout.splitlines()


def test_local_version(tmp_path: Path) -> None:
    wheel = clean_wheel(tmp_path, version="1.0.0+ubuntu1")
    assert findings(wheel) == [
        ("error", "local-version", "The use of local versions in '1.0.0+ubuntu1' is not allowed.")
    ]


def test_local_version_only_warns_for_another_index(tmp_path: Path) -> None:
    wheel = clean_wheel(tmp_path, version="1.0.0+ubuntu1")
    assert findings(wheel, pypi=False) == [
        (
            "warning",
            "local-version",
            "The use of local versions in '1.0.0+ubuntu1' is not allowed."
            " (PyPI refuses this; this index may accept it)",
        )
    ]


# -- filenames ----------------------------------------------------------------------------------


def test_sdist_filename_must_follow_pep_625(tmp_path: Path) -> None:
    sdist = make_sdist(
        tmp_path, filename="demo-pkg-1.0.0.tar.gz", extra_metadata=[(RST, "text/x-rst")]
    )
    assert findings(sdist) == [
        (
            "error",
            "sdist-filename",
            "Filename 'demo-pkg-1.0.0.tar.gz' is invalid, should be 'demo_pkg-1.0.0.tar.gz'.",
        )
    ]


def test_zip_sdist(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "demo_pkg-1.0.0.zip", [("demo_pkg-1.0.0/PKG-INFO", b"x")])
    result = tpublish("check", str(path))
    assert result.exit_code == 2
    assert result.stdout.splitlines()[0] == (
        "demo_pkg-1.0.0.zip: error: PyPI no longer accepts .zip sdists (PEP 625); an sdist must"
        " be a .tar.gz"
    )


def test_wheel_filename_must_hold_the_normalised_name(tmp_path: Path) -> None:
    wheel = clean_wheel(tmp_path, filename="Demo_Pkg-1.0.0-py3-none-any.whl")
    assert (
        "Filename 'Demo_Pkg-1.0.0-py3-none-any.whl' should contain the normalized project name"
        " 'demo_pkg', not 'Demo_Pkg'."
    ) in errors(wheel)


def test_filename_disagrees_with_metadata(tmp_path: Path) -> None:
    wheel = wheel_of(tmp_path, metadata_text("other-pkg", "1.0.0"))
    assert errors(wheel) == [
        "the filename names project 'demo-pkg' but METADATA has Name 'other-pkg'"
    ]


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        (
            "demo_pkg-1.0.0-py3-none-any\x7f.whl",
            "Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL"
            " character (ordinal 127) in the name.",
        ),
        ("demo_pkg-1.0.0-py3-none-\\any.whl", "Cannot upload a file with '/' or '\\' in the name."),
    ],
)
def test_filename_characters(tmp_path: Path, filename: str, message: str) -> None:
    wheel = clean_wheel(tmp_path).rename(tmp_path / filename)
    assert errors(wheel)[0] == message


def test_unsupported_platform_tag(tmp_path: Path) -> None:
    wheel = clean_wheel(tmp_path, tag="cp312-cp312-linux_x86_64")
    assert findings(wheel) == [
        (
            "error",
            "wheel-platform-tag",
            f"Binary wheel '{wheel.name}' has an unsupported platform tag 'linux_x86_64'.",
        )
    ]
    assert findings(wheel, pypi=False)[0][0] == "warning"


@pytest.mark.parametrize(
    ("tag", "valid"),
    [
        ("any", True),
        ("win_amd64", True),
        ("win_arm64", True),
        ("manylinux1_x86_64", True),
        ("manylinux2014_aarch64", True),
        ("manylinux_2_28_riscv64", True),
        ("manylinux_2_17_ppc64", True),
        ("musllinux_1_2_x86_64", True),
        ("musllinux_1_2_ppc64", False),
        ("macosx_10_9_x86_64", True),
        ("macosx_11_0_arm64", True),
        ("macosx_26_0_universal2", True),
        ("macosx_11_1_arm64", False),
        ("macosx_16_0_arm64", False),
        ("ios_13_0_arm64_iphoneos", True),
        ("ios_13_0_x86_64_iphonesimulator", True),
        ("android_21_arm64_v8a", True),
        ("android_21_mips", False),
        ("pyemscripten_2026_0_wasm32", True),
        ("linux_armv7l", True),
        ("linux_x86_64", False),
        ("freebsd_14_amd64", False),
    ],
)
def test_platform_tags(tag: str, valid: bool) -> None:
    assert valid_platform_tag(tag) is valid


def test_wheel_dist_info_must_match_the_filename_exactly(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        version="1.0.0",
        filename="demo_pkg-1.0-py3-none-any.whl",
        extra_metadata=[(RST, "text/x-rst")],
    )
    assert errors(wheel) == [
        "Invalid distribution file. WHEEL not found at demo_pkg-1.0.dist-info/WHEEL",
        f"Wheel '{wheel.name}' does not contain the required RECORD file:"
        " demo_pkg-1.0.dist-info/RECORD",
        f"Wheel '{wheel.name}' does not contain the required METADATA file:"
        " demo_pkg-1.0.dist-info/METADATA",
    ]


# -- size, release-wide rules -------------------------------------------------------------------


def test_file_over_the_size_limit_is_a_warning_naming_the_limit(tmp_path: Path) -> None:
    wheel = clean_wheel(tmp_path, payload_size=(2 << 20) + 1000)
    assert warnings(wheel, size_limit=1 << 20) == [
        "the file is 2.0 MiB: PyPI refuses files over 1 MiB unless the project's limit was"
        " raised (File too large. Limit for project 'demo-pkg' is 1 MB. See"
        " https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-limit-"
        "increase for more information.)"
    ]
    assert warnings(wheel) == []  # the default limit is 100 MiB


def test_only_one_sdist_per_release(tmp_path: Path) -> None:
    first = make_sdist(tmp_path / "a", extra_metadata=[(RST, "text/x-rst")])
    second = make_sdist(tmp_path / "b", version="1.0", extra_metadata=[(RST, "text/x-rst")])
    assert findings(first, second) == [
        (
            "error",
            "one-sdist",
            "Only one sdist may be uploaded per release."
            f" ({first.name} is an sdist of demo-pkg 1.0 too)",
        )
    ]


def test_the_same_filename_twice(tmp_path: Path) -> None:
    first = clean_wheel(tmp_path / "a")
    second = clean_wheel(tmp_path / "b")
    assert errors(first, second) == [
        f"another file given has the same name ({first}): the index takes one file per name"
    ]


def test_files_of_several_releases(tmp_path: Path) -> None:
    clean_wheel(tmp_path)
    make_sdist(tmp_path, extra_metadata=[(RST, "text/x-rst")])
    old = clean_wheel(tmp_path, version="0.9")
    other = clean_wheel(tmp_path, name="other")
    result = check_files([str(tmp_path / "*")])
    by_file = {r.filename: [f.message for f in r.findings] for r in result}
    assert by_file[old.name] == [
        "this file is demo-pkg 0.9, but 2 of the 4 files given are demo-pkg 1.0.0: a stale file"
        " in dist/?"
    ]
    assert by_file[other.name] == [
        "this file is other 1.0.0, but 2 of the 4 files given are demo-pkg 1.0.0: a stale file"
        " in dist/?"
    ]
    assert by_file[WHEEL] == by_file[SDIST] == []


# -- metadata fields ----------------------------------------------------------------------------


def test_summary_longer_than_512(tmp_path: Path) -> None:
    wheel = wheel_of(
        tmp_path, metadata_text("demo-pkg", "1.0.0", summary="s" * 513, extra=[(RST, "text/x-rst")])
    )
    assert errors(wheel) == ["'summary' field must be 512 characters or less. It has 513."]


def test_invalid_and_deprecated_classifiers(tmp_path: Path) -> None:
    deprecated, instead = next((c, i) for c, i in deprecated_classifiers.items() if i)
    wheel = clean_wheel(
        tmp_path,
        ("Classifier", "Programming Language :: Python :: 3"),
        ("Classifier", "Programming Language :: Cobol :: 3"),
        ("Classifier", deprecated),
    )
    assert errors(wheel) == [
        "'Programming Language :: Cobol :: 3' is not a valid classifier.",
        f"The classifier '{deprecated}' has been deprecated, use one of {instead} instead.",
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            [("License-Expression", "MIT OR Foo")],
            "'MIT OR Foo' is invalid for 'license-expression': Unknown license: 'foo'",
        ),
        (
            [("License", "MIT"), ("License-Expression", "MIT")],
            "License is deprecated when License-Expression is present. Only License-Expression"
            " should be present.",
        ),
    ],
)
def test_license_expression_errors(
    tmp_path: Path, extra: list[tuple[str, str]], message: str
) -> None:
    assert errors(clean_wheel(tmp_path, *extra)) == [message]


def test_license_expression_needs_metadata_24(tmp_path: Path) -> None:
    meta = metadata_text(
        "demo-pkg",
        "1.0.0",
        metadata_version="2.1",
        extra=[("License-Expression", "MIT"), (RST, "text/x-rst")],
    )
    assert errors(wheel_of(tmp_path, meta)) == [
        "license-expression introduced in metadata version 2.4, not 2.1"
    ]


def test_license_expression_warnings(tmp_path: Path) -> None:
    wheel = clean_wheel(
        tmp_path,
        ("License-Expression", "mit"),
        ("Classifier", "License :: OSI Approved :: MIT License"),
    )
    assert findings(wheel) == [
        (
            "warning",
            "license-expression-form",
            "License-Expression 'mit' is not in its canonical form 'MIT'",
        ),
        (
            "warning",
            "license-classifier",
            "License classifiers ('License :: OSI Approved :: MIT License') are deprecated when"
            " License-Expression is present (PEP 639): remove them",
        ),
    ]


def test_urls(tmp_path: Path) -> None:
    wheel = clean_wheel(
        tmp_path,
        ("Home-page", "ftp://example.org"),
        ("Download-URL", "https://example.org/a[b]"),
        ("Project-URL", "A label that is longer than 32 chars, https://example.org"),
        ("Project-URL", "Docs, example.org/docs"),
        ("Project-URL", "Issues"),
        ("Project-URL", "Source, https://example.org/src"),
    )
    assert errors(wheel) == [
        "Home-page: 'ftp://example.org' is not a valid url.",
        "Download-URL: 'https://example.org/a[b]' is not a valid url.",
        "Project-URL: 'A label that is longer than 32 chars' must be 32 characters or less.",
        "Project-URL: 'example.org/docs' is not a valid url",
        "Project-URL: Must have a URL",
    ]


def test_emails(tmp_path: Path) -> None:
    wheel = clean_wheel(
        tmp_path, ("Author-email", "Bob <bob@localhost>"), ("Maintainer-email", "ann@example.org")
    )
    assert errors(wheel) == [
        "Author-email: 'bob@localhost' is not a valid email address: The part after the @-sign"
        " is not valid. It should have a period."
    ]


def test_requires_python_and_requires_dist_must_parse(tmp_path: Path) -> None:
    wheel = clean_wheel(
        tmp_path,
        ("Requires-Python", ">=3.x"),
        ("Requires-Dist", "foo>=>1"),
        ("Requires-Dist", "bar @ https://example.org/bar-1.0-py3-none-any.whl"),
        ("Provides-Dist", "baz >="),
    )
    assert errors(wheel) == [
        "'>=3.x' is invalid for 'requires-python': Invalid specifier: '>=3.x'",
        "'foo>=>1' is invalid for 'requires-dist': Expected semicolon (after name with no version"
        " specifier) or end",
        "Provides-Dist: 'baz >=' is invalid: Expected semicolon (after name with no version"
        " specifier) or end",
        "Requires-Dist: Can't have direct dependency:"
        " bar @ https://example.org/bar-1.0-py3-none-any.whl",
    ]


def test_dynamic_fields(tmp_path: Path) -> None:
    wheel = clean_wheel(tmp_path, ("Dynamic", "Version"), ("Dynamic", "Colour"))
    assert errors(wheel) == [
        "'version' is not allowed as a dynamic field",
        "Dynamic field 'colour' is not a valid dynamic field.",
    ]


def test_repeated_single_use_field_is_a_warning(tmp_path: Path) -> None:
    wheel = clean_wheel(tmp_path, ("Summary", "again"))
    assert findings(wheel) == [
        (
            "warning",
            "metadata-warning",
            "Summary is repeated or malformed; not sent (PyPI would reject the file)",
        )
    ]


# -- the long description -----------------------------------------------------------------------

BROKEN_RST = "Demo\n====\n\nSee `the docs`_ for more.\n"


def test_description_that_does_not_render_names_the_line(tmp_path: Path) -> None:
    wheel = wheel_of(tmp_path, metadata_text("demo-pkg", "1.0.0", description=BROKEN_RST))
    result = tpublish("check", str(wheel))
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{WHEEL}: warning: Description-Content-Type is missing: the index renders the"
        " description as reStructuredText (text/x-rst)",
        f"{WHEEL}: error: The description failed to render in the default format of"
        ' reStructuredText. line 4: Error: Unknown target name: "the docs". See'
        " https://pypi.org/help/#description-content-type for more information.",
        "checked 1 file: 1 error, 1 warning (1 file would be refused)",
    ]


def test_description_with_an_explicit_rst_type(tmp_path: Path) -> None:
    meta = metadata_text(
        "demo-pkg", "1.0.0", description=BROKEN_RST, extra=[(RST, "text/x-rst; charset=UTF-8")]
    )
    assert errors(wheel_of(tmp_path, meta)) == [
        "The description failed to render for 'text/x-rst; charset=UTF-8'. line 4: Error:"
        ' Unknown target name: "the docs". See https://pypi.org/help/#description-content-type'
        " for more information."
    ]


@pytest.mark.parametrize(
    "content_type", ["text/markdown", "text/plain", "text/markdown; variant=CommonMark"]
)
def test_markdown_and_plain_text_render(tmp_path: Path, content_type: str) -> None:
    meta = metadata_text("demo-pkg", "1.0.0", description=BROKEN_RST, extra=[(RST, content_type)])
    assert findings(wheel_of(tmp_path, meta)) == []


MARKDOWN_CASES = {
    "fenced code": "# T\n\n```python\nprint('x')\n```\n\n```bash\necho $HOME\n```\n\n"
    "```no-such-language\nx\n```\n\n```\nplain\n```\n",
    "html only": '<div align="center"><img src="x.png"></div>\n',
    "a script only": "<script>alert(1)</script>\n",
    "an html comment only": "<!-- nothing -->\n",
    "link definitions only": "[a]: https://example.com\n[b]: https://example.org\n",
    "footnotes and a table": "a[^1]\n\n[^1]: note\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    "in-page links": "# Head\n\n[go](#head) [note](#fn-1)\n",
    "an alert and tasks": "> [!NOTE]\n> x\n\n- [x] done\n",
}


@pytest.mark.parametrize("variant", ["", "GFM", "CommonMark", "NoSuchVariant"])
@pytest.mark.parametrize("name", list(MARKDOWN_CASES))
def test_markdown_verdict_is_readme_renderers(tmp_path: Path, name: str, variant: str) -> None:
    """Markdown is judged by readme_renderer's own steps less its syntax highlighting: whether it
    fails (an unknown variant, nothing rendered) is always what ``render`` itself says."""
    import readme_renderer.markdown

    description = MARKDOWN_CASES[name]
    content_type = f"text/markdown; variant={variant}" if variant else "text/markdown"
    meta = metadata_text("demo-pkg", "1.0.0", description=description, extra=[(RST, content_type)])
    verdict = readme_renderer.markdown.render(description, variant=variant or "GFM")
    expected = (
        []
        if verdict is not None
        else [
            f"The description failed to render for '{content_type}'. "
            "See https://pypi.org/help/#description-content-type for more information."
        ]
    )
    found = findings(wheel_of(tmp_path, meta))
    assert [m for _, code, m in found if code == "description-render"] == expected
    assert (verdict is None) == (variant == "NoSuchVariant" or name == "link definitions only")


def test_missing_description_and_content_type_are_warnings(tmp_path: Path) -> None:
    meta = metadata_text("demo-pkg", "1.0.0", description=None)
    result = tpublish("check", str(wheel_of(tmp_path, meta)))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{WHEEL}: warning: Description-Content-Type is missing: the index renders the"
        " description as reStructuredText (text/x-rst)",
        f"{WHEEL}: warning: the long description (Description) is missing: the project page will"
        " be empty",
        "checked 1 file: 0 errors, 2 warnings",
    ]


# -- zip rules ----------------------------------------------------------------------------------


def test_unsupported_compression(tmp_path: Path) -> None:
    wheel = write_zip(tmp_path / WHEEL, full_record(wheel_members()), compression=zipfile.ZIP_BZIP2)
    assert errors(wheel) == [
        "Invalid distribution file. File does not use a supported compression type"
    ]


def test_compression_ratio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules_zip, "COMPRESSION_RATIO_MIN_SIZE", 1 << 20)
    members = [*wheel_members(), ("demo_pkg/zeros.bin", bytes(4 << 20))]
    wheel = write_zip(tmp_path / WHEEL, full_record(members), compression=zipfile.ZIP_DEFLATED)
    (message,) = errors(wheel)
    assert message.startswith("Invalid distribution file. File exceeds compression ratio of 50 (")


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        ("trailing", "Trailing data"),
        ("prefix", "Unknown record signature"),
        ("comment", "Comment in central directory"),
        ("descriptor", "ZIP contains a data descriptor"),
    ],
)
def test_zip_framing(tmp_path: Path, damage: str, problem: str) -> None:
    members = full_record(wheel_members())
    buffer = io.BytesIO()
    target: io.BytesIO | _Unseekable = _Unseekable(buffer) if damage == "descriptor" else buffer
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name)
            if damage == "comment":
                info.comment = b"hi"
            if damage == "descriptor":
                with zf.open(info, "w") as out:
                    out.write(data)
            else:
                zf.writestr(info, data, zipfile.ZIP_DEFLATED)
    data = buffer.getvalue()
    data = data + b"junk" if damage == "trailing" else data
    data = b"MZ" + data if damage == "prefix" else data
    wheel = tmp_path / WHEEL
    wheel.write_bytes(data)
    assert errors(wheel) == [
        f"Invalid distribution file. ZIP archive not accepted: {problem}. See"
        " https://docs.pypi.org/archives for more information"
    ]


class _Unseekable(io.RawIOBase):
    """A write-only stream without seek: zipfile then writes data descriptors."""

    def __init__(self, buffer: io.BytesIO) -> None:
        self.buffer = buffer

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self.buffer.write(data)

    def flush(self) -> None:
        pass


def test_record_that_misses_a_file_is_a_warning(tmp_path: Path) -> None:
    members = [*wheel_members(), ("demo_pkg/extra.py", b"")]
    wheel = write_zip(tmp_path / WHEEL, members)
    assert findings(wheel) == [
        (
            "warning",
            "wheel-record",
            f"{DIST_INFO}/RECORD does not list 3 file(s) in the wheel (e.g. {DIST_INFO}/RECORD):"
            " PyPI accepts the wheel but emails the project's owners; installers may refuse it",
        )
    ]


# -- output, --strict, --json -------------------------------------------------------------------


def test_strict_turns_warnings_into_errors(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)  # no Description-Content-Type: a warning
    assert tpublish("check", str(wheel)).exit_code == 0
    result = tpublish("check", "--strict", str(wheel))
    assert result.exit_code == 2
    assert result.stdout.splitlines()[0] == (
        f"{WHEEL}: error: Description-Content-Type is missing: the index renders the description"
        " as reStructuredText (text/x-rst)"
    )


def test_wheels_sharing_metadata_each_get_its_findings(tmp_path: Path) -> None:
    # The wheels of a release share METADATA, which is parsed and checked once: every wheel must
    # still carry the findings, and a wheel with other metadata must not get them.
    shared = [("Classifier", "Nope :: Nope")]
    tags = ["cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-win_amd64", "cp313-cp313-win_amd64"]
    paths = [str(clean_wheel(tmp_path, *shared, tag=tag)) for tag in tags]
    paths.append(str(clean_wheel(tmp_path, tag="py3-none-any")))

    result = tpublish("check", "--json", *paths)

    found = {
        f["filename"]: [x["code"] for x in f["findings"]]
        for f in json.loads(result.stdout)["files"]
    }
    assert found == {
        **{f"demo_pkg-1.0.0-{tag}.whl": ["invalid-classifier"] for tag in tags},
        WHEEL: [],
    }


def test_json_document(tmp_path: Path) -> None:
    wheel, sdist = make_release(tmp_path)
    bad = clean_wheel(tmp_path, ("Classifier", "Nope :: Nope"), name="other")
    result = tpublish("check", "--json", str(wheel), str(sdist), str(bad))
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    content_type = {
        "severity": "warning",
        "code": "description-content-type-missing",
        "message": "Description-Content-Type is missing: the index renders the description as"
        " reStructuredText (text/x-rst)",
    }
    assert document == {
        "files": [
            {"filename": WHEEL, "path": str(wheel), "ok": True, "findings": [content_type]},
            {
                "filename": bad.name,
                "path": str(bad),
                "ok": False,
                "findings": [
                    {
                        "severity": "error",
                        "code": "invalid-classifier",
                        "message": "'Nope :: Nope' is not a valid classifier.",
                    },
                    {
                        "severity": "warning",
                        "code": "mixed-releases",
                        "message": "this file is other 1.0.0, but 2 of the 3 files given are"
                        " demo-pkg 1.0.0: a stale file in dist/?",
                    },
                ],
            },
            {"filename": SDIST, "path": str(sdist), "ok": True, "findings": [content_type]},
        ],
        "errors": 1,
        "warnings": 3,
        "exit_code": 2,
    }
    assert result.stderr == ""


def test_nothing_to_check_is_bad_input(tmp_path: Path) -> None:
    result = tpublish("check", str(tmp_path / "dist" / "*"))
    assert result.exit_code == 2
    assert f"error: no files match {tmp_path}/dist/*" in result.stderr


# -- upload runs the same checks ----------------------------------------------------------------

UPLOAD = ("upload", "--dry-run", "--non-interactive", "--token", "pypi-test-token")


def test_upload_refuses_a_release_with_errors_before_sending_anything(tmp_path: Path) -> None:
    make_release(tmp_path)
    bad = clean_wheel(tmp_path, ("Classifier", "Nope :: Nope"), name="other")
    result = tpublish(
        *UPLOAD, "--repository-url", "https://upload.pypi.org/legacy/", str(tmp_path / "*")
    )
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert f"error: {bad}: 'Nope :: Nope' is not a valid classifier." in lines
    assert "error: 1 of 3 files has errors; nothing was uploaded" in lines
    assert any(line.startswith("hint: ") and "--no-check" in line for line in lines)
    assert "Dry run" not in result.output


def test_upload_no_check_skips_the_deep_checks_only(tmp_path: Path) -> None:
    bad = clean_wheel(tmp_path, ("Classifier", "Nope :: Nope"))
    url = ("--repository-url", "https://upload.pypi.org/legacy/")
    result = tpublish(*UPLOAD, *url, "--no-check", str(bad))
    assert result.exit_code == 0, result.output
    mismatch = wheel_of(tmp_path / "m", metadata_text("other-pkg", "1.0.0"))
    result = tpublish(*UPLOAD, *url, str(mismatch), env={"TPUBLISH_NO_CHECK": "1"})
    assert result.exit_code == 2
    assert (
        f"error: {mismatch}: the filename names project 'demo-pkg' but METADATA has Name"
        " 'other-pkg'"
    ) in result.stderr.splitlines()


def test_upload_to_another_index_only_warns_about_pypi_policy(tmp_path: Path) -> None:
    wheel = clean_wheel(tmp_path, tag="cp312-cp312-linux_x86_64")
    result = tpublish(*UPLOAD, "--repository-url", "http://127.0.0.1:9/legacy/", str(wheel))
    assert result.exit_code == 0, result.output
    assert (
        f"warning: {wheel.name}: Binary wheel '{wheel.name}' has an unsupported platform tag"
        " 'linux_x86_64'. (PyPI refuses this; this index may accept it)"
    ) in result.stderr.splitlines()


def test_sdist_with_a_tar_member_path_outside(tmp_path: Path) -> None:
    meta = metadata_text("demo-pkg", "1.0.0").encode()
    path = tmp_path / SDIST
    with tarfile.open(path, "w:gz") as tf:
        for name, data in [("demo_pkg-1.0.0/PKG-INFO", meta), ("demo_pkg-1.0.0/../../evil", b"")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    assert errors(path) == [
        "member 'demo_pkg-1.0.0/../../evil' points outside the archive (an absolute path or"
        " '..'); installers refuse it"
    ]
