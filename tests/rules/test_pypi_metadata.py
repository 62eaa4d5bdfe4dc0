"""PyPI's rules on metadata, names and sizes: a refused file and its accepted twin each (issue 13).

The false refusals the issue lists (URLs PyPI accepts, platform tags, a 5 MiB description,
the packaging version, descriptions for private indexes) each get an "accepted" test; every
missed rejection gets the file PyPI refuses, with the finding's code and PyPI's words.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from builders import make_sdist, make_wheel, metadata_text
from cli_helpers import tpublish
from tpublish.rules.checker import check_files
from tpublish.rules.files import filename_findings
from tpublish.rules.links import is_valid_url
from tpublish.rules.platforms import valid_platform_tag

DCT = ("Description-Content-Type", "text/plain")


def findings(*paths: Path, **options: object) -> list[tuple[str, str, str]]:
    reports = check_files([str(p) for p in paths], **options)  # type: ignore[arg-type]
    return [(f.severity, f.code, f.message) for r in reports for f in r.findings]


def wheel(tmp_path: Path, *extra: tuple[str, str], **kwargs: object) -> Path:
    """A wheel with ``extra`` headers, and a plain-text Description-Content-Type unless given."""
    given = any(header == DCT[0] for header, _ in extra)
    headers = [*extra] if given else [DCT, *extra]
    return make_wheel(tmp_path, extra_metadata=headers, **kwargs)  # type: ignore[arg-type]


# -- URLs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/docs/für-alle",
        "https://example.com/releases/{version}",
        "https://example.com/my project",
        "https://example.com/a%5Bb%5D",
        "https://example.com/#frag[1]",
        "HTTPS://Example.COM/",
        "https://example.com/ ",  # trailing space: encoded, accepted
        "https:relative",  # no authority required
        "https://exa mple.com/",
    ],
)
def test_urls_pypi_accepts(tmp_path: Path, url: str) -> None:
    path = wheel(
        tmp_path, ("Home-page", url), ("Download-URL", url), ("Project-URL", f"Docs, {url}")
    )
    assert findings(path) == []


@pytest.mark.parametrize(
    ("header", "url"),
    [
        ("Home-page", "https://example.com/a[b]"),
        ("Download-URL", "ftp://example.com/x"),
        ("Home-page", "https://example.com:99999/"),
        ("Download-URL", "example.com"),
        ("Home-page", "//example.com/x"),
    ],
)
def test_urls_pypi_refuses(tmp_path: Path, header: str, url: str) -> None:
    path = wheel(tmp_path, (header, url))
    assert findings(path) == [("error", "invalid-url", f"{header}: {url!r} is not a valid url.")]


def test_leading_space_in_a_url() -> None:
    # METADATA's header parser drops it, so only a value sent as it is can carry one.
    assert not is_valid_url(" https://example.com/")
    assert is_valid_url("https://example.com/ ")


def test_project_url_with_brackets_in_the_query(tmp_path: Path) -> None:
    refused = wheel(tmp_path / "r", ("Project-URL", "Docs, https://example.com/?q=[1]"))
    assert findings(refused) == [
        (
            "error",
            "invalid-project-url",
            "Project-URL: 'https://example.com/?q=[1]' is not a valid url",
        )
    ]
    assert (
        findings(wheel(tmp_path / "a", ("Project-URL", "Docs, https://example.com/?q=%5B1%5D")))
        == []
    )


def test_project_url_label_and_split(tmp_path: Path) -> None:
    long = wheel(tmp_path / "l", ("Project-URL", f"{'x' * 33}, https://example.com/"))
    assert findings(long) == [
        (
            "error",
            "invalid-project-url",
            f"Project-URL: {'x' * 33!r} must be 32 characters or less.",
        )
    ]
    exact = wheel(tmp_path / "e", ("Project-URL", f"{'x' * 32}, https://example.com/"))
    assert findings(exact) == []
    no_space = wheel(tmp_path / "n", ("Project-URL", "Docs,https://x.org"))  # split at the comma
    assert findings(no_space) == []


# -- e-mail addresses ---------------------------------------------------------------------------

SPECIAL = (
    "The part after the @-sign is a special-use or reserved name that cannot be used with email."
)


@pytest.mark.parametrize(
    ("value", "address", "problem", "twin"),
    [
        (
            "jane@Janes-MacBook-Pro.local",
            "jane@Janes-MacBook-Pro.local",
            SPECIAL,
            "jane@example.com",
        ),
        ("a@b.test", "a@b.test", SPECIAL, "a@b.example"),
        (
            "a@foo_bar.com",
            "a@foo_bar.com",
            "The part after the @-sign contains invalid characters: '_'.",
            "a@foo-bar.com",
        ),
        ("Jane", "Jane", "An email address must have an @-sign.", "Jane <jane@example.com>"),
        ("Jane <jane@x.local>", "jane@x.local", SPECIAL, "Jane <jane@x.internal>"),
    ],
)
def test_emails(tmp_path: Path, value: str, address: str, problem: str, twin: str) -> None:
    for header in ("Author-email", "Maintainer-email"):
        refused = wheel(tmp_path / header / "r", (header, value))
        assert findings(refused) == [
            (
                "error",
                "invalid-email",
                f"{header}: {address!r} is not a valid email address: {problem}",
            )
        ]
        assert findings(wheel(tmp_path / header / "a", (header, twin))) == []


def test_several_addresses_are_not_validated(tmp_path: Path) -> None:
    # PyPI's parseaddr (strict, CPython 3.14) yields nothing for two addresses: accepted.
    value = "Jane <jane@x.local>, Bob <bob@example.com>"
    assert findings(wheel(tmp_path, ("Author-email", value))) == []


# -- platform tags ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("refused", "accepted"),
    [
        ("macosx_11_1_arm64", "macosx_11_0_arm64"),
        ("macosx_16_0_arm64", "macosx_26_0_universal2"),
        ("ios_13_0_arm64_iphoneos_extra", "ios_13_0_arm64_iphoneos"),
        ("musllinux_1_2_ppc64", "manylinux_2_17_ppc64"),
        ("linux_x86_64", "linux_armv7l"),
        ("pyemscripten_2026_0_wasm64", "pyemscripten_2026_0_wasm32"),
        ("android_21_mips", "android_21_arm64_v8a"),
        ("freebsd_14_0_amd64", "musllinux_1_2_riscv64"),
    ],
)
def test_platform_tags(tmp_path: Path, refused: str, accepted: str) -> None:
    bad = wheel(tmp_path / "r", tag=f"cp312-cp312-{refused}")
    assert findings(bad) == [
        (
            "error",
            "wheel-platform-tag",
            f"Binary wheel '{bad.name}' has an unsupported platform tag '{refused}'.",
        )
    ]
    assert findings(wheel(tmp_path / "a", tag=f"cp312-cp312-{accepted}")) == []


def test_platform_tag_in_capitals_is_checked_in_lower_case(tmp_path: Path) -> None:
    assert findings(wheel(tmp_path, tag="cp312-cp312-MacOSX_10_9_X86_64")) == []


@pytest.mark.parametrize(
    "tag",
    [
        *(
            f"macosx_10_{minor}_{arch}"
            for minor in (4, 9, 15)
            for arch in ("x86_64", "intel", "fat3", "universal")
        ),
        *(
            f"macosx_{major}_0_{arch}"
            for major in (11, 12, 13, 14, 15, 26)
            for arch in ("arm64", "universal2", "x86_64")
        ),
        *(
            f"manylinux_2_{minor}_{arch}"
            for minor in (5, 17, 28, 39)
            for arch in (
                "x86_64",
                "i686",
                "aarch64",
                "armv7l",
                "ppc64",
                "ppc64le",
                "s390x",
                "riscv64",
            )
        ),
        *(
            f"musllinux_1_{minor}_{arch}"
            for minor in (1, 2)
            for arch in ("x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64")
        ),
        *(
            f"manylinux2014_{arch}"
            for arch in ("x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x")
        ),
        "manylinux1_x86_64",
        "manylinux1_i686",
        "manylinux2010_x86_64",
        "manylinux2010_i686",
        "win32",
        "win_amd64",
        "win_arm64",
        "win_ia64",
        "any",
        "linux_armv6l",
        "ios_13_0_x86_64_iphonesimulator",
        "android_24_x86",
        "android_21_armeabi_v7a",
    ],
)
def test_every_tag_pypi_accepts_is_accepted(tag: str) -> None:
    assert valid_platform_tag(tag)


# -- metadata size, packaging versions ----------------------------------------------------------


def test_a_5_mib_description_is_accepted(tmp_path: Path) -> None:
    meta = metadata_text("demo-pkg", "1.0.0", extra=[DCT], description="z" * (5 << 20))
    assert findings(make_wheel(tmp_path, metadata=meta)) == []


def test_summary_with_a_form_feed_follows_pypis_packaging(tmp_path: Path) -> None:
    accepted = make_wheel(
        tmp_path / "a", metadata=metadata_text("demo-pkg", "1.0.0", summary="A\fB", extra=[DCT])
    )
    assert findings(accepted) == [
        (
            "warning",
            "packaging-drift",
            "Summary 'A\\x0cB': accepted by PyPI (packaging 26.2); packaging 26.3 and later refuse"
            " it ('\\x0c' is a line break: 'summary' must be a single line)",
        )
    ]


def test_description_content_type_charset_follows_pypis_packaging(tmp_path: Path) -> None:
    lower = wheel(tmp_path / "l", ("Description-Content-Type", "text/markdown; charset=utf-8"))
    assert findings(lower) == [
        (
            "error",
            "invalid-description-content-type",
            "'description-content-type' can only specify the UTF-8 charset, not 'utf-8'",
        ),
        (
            "warning",
            "packaging-drift",
            "Description-Content-Type 'text/markdown; charset=utf-8': refused by PyPI (packaging"
            " 26.2); packaging 26.3 and later accept it",
        ),
    ]
    assert (
        findings(
            wheel(tmp_path / "u", ("Description-Content-Type", "text/markdown; charset=UTF-8"))
        )
        == []
    )


def test_description_content_type_defect_is_accepted_as_pypi_accepts_it(tmp_path: Path) -> None:
    path = wheel(tmp_path, ("Description-Content-Type", "text/plain; foo"))
    assert [f[:2] for f in findings(path)] == [("warning", "packaging-drift")]


@pytest.mark.parametrize("value", ["text/plain;\n charset=UTF-8", "text/markdown;\n variant=GFM"])
def test_description_content_type_with_a_line_break_is_invalid_metadata(
    tmp_path: Path, value: str
) -> None:
    """PyPI refuses it as metadata and never renders the description; neither does check (the
    renderer's header parser raised, and the file was reported as an unreadable archive)."""
    path = wheel(tmp_path, ("Description-Content-Type", value))
    (finding,) = findings(path)
    assert finding[:2] == ("error", "invalid-description-content-type")
    assert finding[2].startswith(f"{value!r} is not a valid content type")


# -- the description, for PyPI and for other indexes --------------------------------------------

BROKEN_RST = "Demo\n====\n\n.. image::\n"


def test_description_that_does_not_render_only_warns_for_another_index(tmp_path: Path) -> None:
    meta = metadata_text(
        "demo-pkg",
        "1.0.0",
        description=BROKEN_RST,
        extra=[("Description-Content-Type", "text/x-rst")],
    )
    path = make_wheel(tmp_path, metadata=meta)
    assert [f[:2] for f in findings(path)] == [("error", "description-render")]
    (other,) = findings(path, pypi=False)
    assert other[:2] == ("warning", "description-render")
    assert other[2].endswith("(PyPI refuses this; this index may accept it)")
    upload = ("upload", "--dry-run", "--non-interactive", "--token", "pypi-test-token")
    result = tpublish(*upload, "--repository-url", "http://127.0.0.1:9/legacy/", str(path))
    assert result.exit_code == 0, result.output
    result = tpublish(*upload, "--repository-url", "https://test.pypi.org/legacy/", str(path))
    assert result.exit_code == 2


# -- names and sizes ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tomllib", "future", "os-path", "urllib2"])
def test_standard_library_name_is_a_warning(tmp_path: Path, name: str) -> None:
    path = make_wheel(tmp_path, name, extra_metadata=[DCT])
    assert findings(path) == [
        (
            "warning",
            "stdlib-name",
            f"The name {name!r} isn't allowed (conflict with Python Standard Library module name)."
            " See https://pypi.org/help/#project-name for more information. (PyPI refuses this"
            " name when the upload would create the project; an existing project keeps it)",
        )
    ]


def test_a_name_near_a_module_is_fine(tmp_path: Path) -> None:
    assert findings(make_wheel(tmp_path, "tomlkit", extra_metadata=[DCT])) == []


def test_standard_library_names_are_warehouses_set() -> None:
    """The check expands only the modules that can give a name; the verdict is always whether
    the name is in the set Warehouse builds (every normalised dotted prefix of every module)."""
    import stdlib_list
    from packaging.utils import canonicalize_name

    from tpublish.rules.names import is_stdlib_name

    modules = {m for v in stdlib_list.short_versions for m in stdlib_list.stdlib_list(v)}
    prefixes = {
        m[:end] for m in modules for end in range(1, len(m) + 1) if end == len(m) or m[end] == "."
    }
    warehouse = {re.sub(r"[-_.]+", "-", p.strip("-_.")).lower() for p in prefixes}
    sample = sorted(warehouse)[::7]  # each name costs ~1 ms to judge
    near = {variant for name in sample for variant in (name + "x", name[:-1], "x" + name)}
    candidates = {*sample, *near, *(canonicalize_name(m) for m in sorted(modules)[::7]), "tomlkit"}
    assert [n for n in sorted(candidates) if is_stdlib_name(n) != (n in warehouse)] == []
    assert len(warehouse) > 2000 and not near <= warehouse


def test_post_release_sdist_named_the_legacy_way(tmp_path: Path) -> None:
    meta = metadata_text("foo", "1.0.0.post1", extra=[DCT])
    legacy = make_sdist(
        tmp_path / "l", "foo", "1.0.0.post1", filename="foo-1.0.0-1.tar.gz", metadata=meta
    )
    assert findings(legacy) == [
        (
            "error",
            "sdist-filename",
            "Filename 'foo-1.0.0-1.tar.gz' is invalid, should be 'foo-1.0.0.post1.tar.gz'.",
        )
    ]
    assert findings(make_sdist(tmp_path / "p", "foo", "1.0.0.post1", metadata=meta)) == []


def test_wheel_filename_too_long_to_store(tmp_path: Path) -> None:
    # "<filename>.metadata" must fit PyPI's 255-byte file names: 246 bytes is the longest wheel.
    tail = "-1.0.0-py3-none-any.whl"
    refused = make_wheel(tmp_path / "r", "a" * (247 - len(tail)), extra_metadata=[DCT])
    assert len(refused.name) == 247
    assert findings(refused)[0][:2] == ("error", "filename-too-long")
    assert findings(refused)[0][2].startswith(f"Filename is too long: {refused.name!r}")
    accepted = make_wheel(tmp_path / "a", "a" * (246 - len(tail)), extra_metadata=[DCT])
    assert findings(accepted) == []


def test_filename_over_255_bytes() -> None:
    (found,) = filename_findings("a" * 250 + "-1.0.tar.gz")
    assert (found.severity, found.code) == ("error", "filename-too-long")
    assert filename_findings("a" * 244 + "-1.0.tar.gz") == []


def _pad_to(path: Path, size: int) -> Path:
    """Grow a wheel to exactly ``size`` bytes with an archive comment (PyPI allows one)."""
    with zipfile.ZipFile(path, "a") as zf:
        zf.comment = b""
    missing = size - path.stat().st_size
    with zipfile.ZipFile(path, "a") as zf:
        zf.comment = b"x" * missing
    assert path.stat().st_size == size
    return path


def test_file_over_the_size_limit_is_a_warning_in_pypis_words(tmp_path: Path) -> None:
    limit = 1 << 20
    over = _pad_to(wheel(tmp_path / "o", payload_size=limit - 2000), limit + 1)
    assert findings(over, size_limit=limit) == [
        (
            "warning",
            "file-too-large",
            "the file is 1.0 MiB: PyPI refuses files over 1 MiB unless the project's limit was"
            " raised (File too large. Limit for project 'demo-pkg' is 1 MB. See"
            " https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-"
            "limit-increase for more information.)",
        )
    ]
    exact = _pad_to(wheel(tmp_path / "e", payload_size=limit - 2000), limit)
    assert findings(exact, size_limit=limit) == []


@pytest.mark.parametrize(
    ("header", "value", "code"),
    [
        ("Home-page", "https://example.com/docs/[1]", "invalid-url"),
        ("Project-URL", "Docs, https://example.com/?q=[1]", "invalid-project-url"),
        ("Author-email", "jane@Janes-MacBook-Pro.local", "invalid-email"),
        ("Classifier", "Programming Language :: Klingon", "invalid-classifier"),
        ("Requires-Dist", "demo @ https://example.com/demo.tar.gz", "direct-dependency"),
    ],
)
def test_warehouse_field_rules_only_warn_for_another_index(
    tmp_path: Path, header: str, value: str, code: str
) -> None:
    """pypiserver and devpi take these values as they are: PyPI's field rules only warn there."""
    path = make_wheel(tmp_path, extra_metadata=[DCT, (header, value)])
    assert [f[:2] for f in findings(path)] == [("error", code)]
    (other,) = findings(path, pypi=False)
    assert other[:2] == ("warning", code)
    upload = ("upload", "--dry-run", "--non-interactive", "--token", "pypi-test-token")
    result = tpublish(*upload, "--repository-url", "http://127.0.0.1:9/legacy/", str(path))
    assert result.exit_code == 0, result.output
    result = tpublish(*upload, "--repository-url", "https://test.pypi.org/legacy/", str(path))
    assert result.exit_code == 2
