"""``tpublish upload`` through the real CLI against the Warehouse-like fake index (protocol §2.4, §7).

What arrives on the wire (every form field of §7.1), what is stored, and what the user reads when the
index says no: Warehouse's own sentence, whether it travels in the reason phrase or only in the body.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from builders import make_sdist, make_wheel
from cli_helpers import Run, tpublish, tpublish_on_terminal
from fakeindex import FakeIndex, RecordedRequest
from fakeindex.pages import error_response
from tpublish.errors import EXIT_CREDENTIALS, EXIT_INPUT, EXIT_OK, EXIT_UPLOAD
from tpublish.units import human_size

FOURTEEN_DAYS = "Uploading new files to releases older than 14 days is not allowed."
README = "# Demo\n\nA package that exists to be uploaded.\n"
RICH_METADATA = (
    ("Description-Content-Type", "text/markdown"),
    ("Keywords", "upload,pypi,trusted"),
    ("Home-page", "https://example.com/home"),
    ("Author", "Ada Lovelace"),
    ("Author-email", "Ada Lovelace <ada@example.com>"),
    ("License-Expression", "MIT OR Apache-2.0"),
    ("License-File", "LICENSE"),
    ("License-File", "NOTICE"),
    ("Classifier", "Programming Language :: Python :: 3"),
    ("Classifier", "Operating System :: OS Independent"),
    ("Requires-Python", ">=3.9"),
    ("Requires-Dist", "httpx>=0.27"),
    ("Requires-Dist", "rich>=13; extra == 'cli'"),
    ("Provides-Extra", "cli"),
    ("Project-URL", "Source, https://example.com/src"),
    ("Project-URL", "Issues, https://example.com/issues"),
)
PLAIN_METADATA = (("Description-Content-Type", "text/markdown"),)


def wheel(
    directory: Path,
    version: str = "1.0.0",
    *,
    tag: str = "py3-none-any",
    extra_files: list[tuple[str, bytes]] | None = None,
) -> Path:
    return make_wheel(
        directory,
        "demo-pkg",
        version,
        tag=tag,
        extra_metadata=PLAIN_METADATA,
        extra_files=extra_files or [],
    )


def sdist(directory: Path, version: str = "1.0.0") -> Path:
    return make_sdist(directory, "demo-pkg", version, extra_metadata=PLAIN_METADATA)


def release(directory: Path) -> list[Path]:
    return [wheel(directory), sdist(directory)]


def upload(index: FakeIndex, token: str, *args: str, url: str | None = None) -> Run:
    return tpublish(
        "upload",
        "--repository-url",
        url or index.upload_url,
        "--token",
        token,
        "--no-progress",
        "--retry-backoff",
        "0.01",
        *args,
    )


def report(run: Run) -> dict[str, object]:
    document = json.loads(run.stdout)
    assert isinstance(document, dict)
    return document


def outcomes(run: Run) -> dict[str, str]:
    files = report(run)["files"]
    assert isinstance(files, list)
    return {f["filename"]: f["outcome"] for f in files}


def values(record: RecordedRequest, name: str) -> list[str]:
    return [value for key, value in record.form if key == name]


def upload_of(index: FakeIndex, filename: str) -> RecordedRequest:
    (record,) = [r for r in index.uploads if r.content_filename == filename]
    return record


def error_lines(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("error:")]


# -- the form ------------------------------------------------------------------------------------


def test_every_form_field_arrives_as_protocol_7_1_says(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    whl = make_wheel(
        dist,
        "demo-pkg",
        "1.0.0",
        extra_metadata=RICH_METADATA,
        extra_files=[
            ("demo_pkg-1.0.0.dist-info/licenses/LICENSE", b"MIT License\n"),
            ("demo_pkg-1.0.0.dist-info/licenses/NOTICE", b"Notice\n"),
        ],
    )
    data = whl.read_bytes()

    run = upload(index, token, str(whl.resolve()))

    assert run.exit_code == EXIT_OK, run.output
    record = upload_of(index, whl.name)
    assert record.form[:4] == [
        (":action", "file_upload"),
        ("protocol_version", "1"),
        ("filetype", "bdist_wheel"),
        ("pyversion", "py3"),
    ]
    single = {
        "metadata_version": "2.4",
        "name": "demo-pkg",
        "version": "1.0.0",
        "summary": "A test package",
        "description_content_type": "text/markdown",
        "keywords": "upload,pypi,trusted",
        "home_page": "https://example.com/home",
        "author": "Ada Lovelace",
        "author_email": "Ada Lovelace <ada@example.com>",
        "license_expression": "MIT OR Apache-2.0",
        "requires_python": ">=3.9",
    }
    for name, value in single.items():
        assert values(record, name) == [value], name
    assert values(record, "description") == ["Test package\n============\n\nIt works.\n"]
    assert values(record, "license_file") == ["LICENSE", "NOTICE"]
    assert values(record, "classifiers") == [
        "Programming Language :: Python :: 3",
        "Operating System :: OS Independent",
    ]
    assert values(record, "requires_dist") == ["httpx>=0.27", "rich>=13; extra == 'cli'"]
    assert values(record, "provides_extra") == ["cli"]
    assert values(record, "project_urls") == [
        "Source, https://example.com/src",
        "Issues, https://example.com/issues",
    ]
    assert values(record, "sha256_digest") == [hashlib.sha256(data).hexdigest()]
    assert values(record, "blake2_256_digest") == [
        hashlib.blake2b(data, digest_size=32).hexdigest()
    ]
    names = [key for key, _ in record.form]
    assert "md5_digest" not in names
    assert "license" not in names
    assert "UNKNOWN" not in [value for _, value in record.form]
    # The file part: the basename (not the absolute path given), octet-stream, every byte.
    assert record.content_filename == whl.name
    assert record.content_type == "application/octet-stream"
    assert record.content_size == len(data)
    assert record.headers["content-type"].startswith("multipart/form-data; boundary=")
    stored = index.files[whl.name]
    assert stored.data == data
    assert (stored.packagetype, stored.python_version) == ("bdist_wheel", "py3")


def test_sdist_says_source_and_a_multi_tag_wheel_its_python_tags(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    whl = wheel(tmp_path / "dist", tag="py2.py3-none-any")
    tar = sdist(tmp_path / "dist")

    run = upload(index, token, str(tmp_path / "dist" / "*"))

    assert run.exit_code == EXIT_OK, run.output
    assert values(upload_of(index, whl.name), "pyversion") == ["py2.py3"]
    assert values(upload_of(index, tar.name), "filetype") == ["sdist"]
    assert values(upload_of(index, tar.name), "pyversion") == ["source"]
    assert index.files[tar.name].data == tar.read_bytes()
    assert index.files[whl.name].data == whl.read_bytes()


def test_wheels_go_before_sdists_whatever_the_argument_order(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    tar = sdist(tmp_path / "dist")
    whl3 = wheel(tmp_path / "dist")
    whl2 = wheel(tmp_path / "dist", tag="py2-none-any")

    run = upload(index, token, str(tar), str(whl3), str(whl2))

    assert run.exit_code == EXIT_OK, run.output
    sent = [r.content_filename or "" for r in index.uploads]
    assert sorted(sent[:2]) == sorted([whl3.name, whl2.name])
    assert sent[2:] == [tar.name]


# -- the --json report and --dry-run ------------------------------------------------------------------


def test_json_report_describes_each_file(index: FakeIndex, token: str, tmp_path: Path) -> None:
    whl, tar = release(tmp_path / "dist")

    run = upload(index, token, "--json", str(tmp_path / "dist" / "*"))

    assert run.exit_code == EXIT_OK, run.output
    document = report(run)
    assert document["repository_url"] == index.upload_url
    assert document["exit_code"] == EXIT_OK
    assert document["interrupted"] is False
    assert document["release_urls"] == []  # only PyPI and TestPyPI have release pages
    assert isinstance(document["timestamp"], int)
    files = document["files"]
    assert isinstance(files, list)
    assert [f["filename"] for f in files] == [whl.name, tar.name]
    for entry, path in zip(files, (whl, tar), strict=True):
        data = path.read_bytes()
        assert entry == {
            "filename": path.name,
            "path": str(path),
            "name": "demo-pkg",
            "version": "1.0.0",
            "filetype": "bdist_wheel" if path is whl else "sdist",
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "blake2_256": hashlib.blake2b(data, digest_size=32).hexdigest(),
            "outcome": "uploaded",
            "note": None,
            "details": [],
            "check_by_hand": None,
            "attempts": 1,
            "attestations": [],
            "error": None,
        }


def test_dry_run_sends_nothing(index: FakeIndex, token: str, tmp_path: Path) -> None:
    whl, tar = release(tmp_path / "dist")

    run = upload(index, token, "--dry-run", "--json", str(tmp_path / "dist" / "*"))

    assert run.exit_code == EXIT_OK, run.output
    # It reads what the index holds (the project's simple page, once), and sends nothing.
    assert [(r.method, r.path) for r in index.requests] == [("GET", "/simple/demo-pkg/")]
    plan = report(run)
    assert plan["dry_run"] is True
    files = plan["files"]
    assert isinstance(files, list)
    assert [(f["filename"], f["outcome"]) for f in files] == [
        (whl.name, "would upload"),
        (tar.name, "would upload"),
    ]
    assert files[0]["sha256"] == hashlib.sha256(whl.read_bytes()).hexdigest()


# -- refusals -------------------------------------------------------------------------------------


def test_an_invalid_file_anywhere_in_the_list_means_nothing_is_uploaded(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    whl, tar = release(dist)
    broken = dist / "demo_pkg-1.0.0-py2-none-any.whl"
    broken.write_bytes(b"PK\x03\x04 this is not a zip archive")

    run = upload(index, token, str(whl), str(broken), str(tar))

    assert run.exit_code == EXIT_INPUT, run.output
    assert broken.name in run.stderr
    assert "nothing was uploaded" in run.stderr
    assert index.requests == []
    assert index.files == {}


def test_wrong_token_is_exit_3_and_not_retried(index: FakeIndex, tmp_path: Path) -> None:
    release(tmp_path / "dist")

    run = upload(index, "not-a-token-the-index-knows", str(tmp_path / "dist" / "*"))

    assert run.exit_code == EXIT_CREDENTIALS, run.output
    assert error_lines(run) == [
        "error: the index refused the credentials (403): Invalid or non-existent authentication "
        "information. See https://pypi.org/help/#invalid-auth for more information."
    ]
    assert len(index.uploads) == 1
    assert index.files == {}


def old_release(index: FakeIndex) -> None:
    index.add_project("demo-pkg", owner="alice")
    index.add_release("demo-pkg", "1.0.0", created=index.now() - 15 * 86400)


def test_400_reason_phrase_is_what_the_user_reads(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    old_release(index)
    release(tmp_path / "dist")

    run = upload(index, token, str(tmp_path / "dist" / "*"))

    assert run.exit_code == EXIT_UPLOAD
    assert error_lines(run) == [f"error: the index refused the file (400): {FOURTEEN_DAYS}"]
    assert "Bad Request" not in run.output
    assert len(index.uploads) == 1  # a 4xx is never retried
    assert index.files == {}


def test_400_without_reason_phrase_is_read_from_the_json_body(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    """As over HTTP/2: the status line says "Bad Request"; Warehouse's words are only in the body."""
    old_release(index)
    index.reason_phrases = False
    release(tmp_path / "dist")

    run = upload(index, token, str(tmp_path / "dist" / "*"))

    assert index.uploads[0].reason is None  # the fake really left the phrase out
    assert run.exit_code == EXIT_UPLOAD
    assert error_lines(run) == [f"error: the index refused the file (400): {FOURTEEN_DAYS}"]
    assert "Bad Request" not in run.output
    assert "could not comply" not in run.output


@pytest.mark.parametrize("body_type", ["text/html", "application/json", "text/plain"])
def test_400_body_of_each_pyramid_format_gives_warehouses_sentence(
    index: FakeIndex, token: str, tmp_path: Path, body_type: str
) -> None:
    index.reason_phrases = False
    page = error_response(400, FOURTEEN_DAYS, accept=body_type, reason_phrases=False)
    assert page.reason is None
    index.faults.add(
        "/legacy/",
        "status",
        method="POST",
        code=400,
        body=page.body,
        content_type=page.content_type,
    )
    release(tmp_path / "dist")

    run = upload(index, token, str(tmp_path / "dist" / "*"))

    assert run.exit_code == EXIT_UPLOAD
    assert error_lines(run) == [f"error: the index refused the file (400): {FOURTEEN_DAYS}"]
    assert "Bad Request" not in run.output
    assert len(index.uploads) == 1


def test_legacy_without_slash_is_not_followed(index: FakeIndex, token: str, tmp_path: Path) -> None:
    release(tmp_path / "dist")
    url = index.url + "/legacy"

    run = upload(index, token, str(tmp_path / "dist" / "*"), url=url)

    assert run.exit_code == EXIT_INPUT  # "a bad option" in the exit-code table
    assert f"the index redirects {url} to {index.upload_url}" in run.stderr
    hint = f"hint: the repository URL is missing its trailing slash: use {index.upload_url}"
    assert hint in run.stderr
    assert [r.status for r in index.requests_to("/legacy", "POST")] == [308]
    assert index.uploads == []
    assert index.files == {}
    assert "Traceback" not in run.output


# -- re-uploads -----------------------------------------------------------------------------------


def test_identical_reupload_is_refused_before_the_first_byte_without_skip_existing(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    whl, tar = release(tmp_path / "dist")
    args = ("--json", str(tmp_path / "dist" / "*"))
    assert upload(index, token, *args).exit_code == EXIT_OK

    again = upload(index, token, *args)

    assert again.exit_code == EXIT_UPLOAD, again.output
    assert outcomes(again) == {whl.name: "failed", tar.name: "failed"}
    assert [r.status for r in index.uploads] == [200, 200]  # the first run's; none since
    assert "the same file is already on the index" in again.stderr
    assert "hint: use --skip-existing" in again.stderr


def test_identical_reupload_the_index_could_not_list_is_a_200_and_counts_as_uploaded(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    whl, tar = release(tmp_path / "dist")
    args = ("--json", str(tmp_path / "dist" / "*"))
    assert upload(index, token, *args).exit_code == EXIT_OK
    index.faults.add("/simple/", "status", code=503)  # the pre-flight look-up cannot read it

    again = upload(index, token, *args)

    assert again.exit_code == EXIT_OK, again.output
    assert outcomes(again) == {whl.name: "uploaded", tar.name: "uploaded"}
    assert [r.status for r in index.uploads] == [200, 200, 200, 200]
    assert sorted(index.files) == sorted([whl.name, tar.name])


def changed_wheel(tmp_path: Path) -> tuple[Path, Path]:
    """The wheel as first uploaded, and a rebuilt one of the same name with other bytes."""
    first = wheel(tmp_path / "first")
    second = wheel(tmp_path / "second", extra_files=[("demo_pkg/new.py", b"x = 1\n")])
    assert first.name == second.name and first.read_bytes() != second.read_bytes()
    return first, second


@pytest.mark.parametrize("skip_existing", [False, True])
def test_changed_reupload_is_refused_before_the_first_byte_naming_both_digests(
    index: FakeIndex, token: str, tmp_path: Path, skip_existing: bool
) -> None:
    first, second = changed_wheel(tmp_path)
    assert upload(index, token, str(first)).exit_code == EXIT_OK
    extra = ["--skip-existing"] if skip_existing else []

    run = upload(index, token, *extra, str(second))

    assert run.exit_code == EXIT_UPLOAD
    assert f"a different file named {first.name} is already on the index" in run.stderr
    assert f"the index's sha256: {hashlib.sha256(first.read_bytes()).hexdigest()}" in run.stderr
    assert f"this file's sha256:  {hashlib.sha256(second.read_bytes()).hexdigest()}" in run.stderr
    assert "hint: an index never lets a file name be reused" in run.stderr
    assert len(index.uploads) == 1  # the first run's: nothing of the second was sent
    assert index.files[first.name].data == first.read_bytes()


@pytest.mark.parametrize("skip_existing", [False, True])
def test_changed_reupload_the_index_could_not_list_is_refused_by_its_answer(
    index: FakeIndex, token: str, tmp_path: Path, skip_existing: bool
) -> None:
    first, second = changed_wheel(tmp_path)
    assert upload(index, token, str(first)).exit_code == EXIT_OK
    index.faults.add("/simple/", "status", code=503)  # only the pre-flight look-up fails
    extra = ["--skip-existing"] if skip_existing else []

    run = upload(index, token, *extra, str(second))

    assert run.exit_code == EXIT_UPLOAD
    assert f"a different file named {first.name} is already on the index" in run.stderr
    assert f"the index said: File already exists ('{first.name}'" in run.stderr
    assert "hint: an index never lets a file name be reused" in run.stderr
    assert index.uploads[-1].status == 400
    # First run: no such project yet; then the failed look-up; then, after the answer, the
    # simple API gives the verdict by hash.
    assert [r.status for r in index.requests_to("/simple/demo-pkg/", "GET")] == [404, 503, 200]
    assert index.files[first.name].data == first.read_bytes()


def already_exists_answer(index: FakeIndex, filename: str) -> None:
    """An index that answers an identical re-upload with "File already exists" (as PyPI once did)."""
    index.faults.add(
        "/legacy/",
        "status",
        method="POST",
        code=400,
        reason=f"File already exists ('{filename}', with blake2_256 hash '0'). See "
        "https://pypi.org/help/#file-name-reuse for more information.",
    )


def test_skip_existing_skips_a_file_the_index_has_with_the_same_hash(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    whl, tar = release(tmp_path / "dist")
    assert upload(index, token, str(whl)).exit_code == EXIT_OK

    run = upload(index, token, "--skip-existing", "--json", str(tmp_path / "dist" / "*"))

    assert run.exit_code == EXIT_OK, run.output
    files = report(run)["files"]
    assert isinstance(files, list)
    assert [(f["outcome"], f["note"]) for f in files] == [
        ("skipped", "already on the index (same sha256)"),
        ("uploaded", None),
    ]
    assert index.requests_to("/simple/demo-pkg/", "GET")
    assert [r.content_filename for r in index.uploads] == [whl.name, tar.name]  # once each
    assert index.files[tar.name].data == tar.read_bytes()


def test_without_skip_existing_an_existing_identical_file_is_an_error_with_a_hint(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    """The index's answer decides when it could not be listed before the release."""
    whl = wheel(tmp_path / "dist")
    assert upload(index, token, str(whl)).exit_code == EXIT_OK
    index.faults.add("/simple/", "status", code=503)
    already_exists_answer(index, whl.name)

    run = upload(index, token, str(whl))

    assert run.exit_code == EXIT_UPLOAD
    assert "the same file is already on the index" in run.stderr
    assert "hint: use --skip-existing" in run.stderr
    assert index.uploads[-1].status == 400


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
REDRAW = re.compile(r"(?:\x1b\[2K\x1b\[1A)*\x1b\[2K")  # how rich's live display starts a frame


def test_progress_on_a_terminal_draws_only_the_files_in_flight(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    platforms = ["manylinux_2_17_x86_64", "win_amd64", "macosx_11_0_arm64"]
    wheels = [
        wheel(
            tmp_path, tag=f"{py}-{py}-{platform}", extra_files=[("demo_pkg/data.bin", b"x" * 9000)]
        )
        for py in ("cp311", "cp312", "cp313", "cp314")
        for platform in platforms
    ]
    index.faults.add("/legacy/", "status", code=503)  # one retry: its bytes are not counted twice
    index.faults.add("/legacy/", "stall", times=len(wheels), seconds=0.3)  # keep each in flight

    run = tpublish_on_terminal(
        "upload",
        "--repository-url",
        index.upload_url,
        "--token",
        token,
        "--concurrency",
        "2",
        "--retry-backoff",
        "0.01",
        *map(str, wheels),
    )

    assert run.exit_code == EXIT_OK, run.stdout
    assert token not in run.stdout
    live, _, summary = run.stdout.partition("Release upload to")
    frames = [ANSI.sub("", frame).replace("\r", "") for frame in REDRAW.split(live)]
    bars = [[line for line in frame.splitlines() if "━" in line] for frame in frames]
    # One bar for the release and one per upload in flight, however many files there are.
    assert max(len(drawn) for drawn in bars) == 3
    total = human_size(sum(w.stat().st_size for w in wheels)).split()
    # The last frame says what the table says: every file uploaded, every byte on the index.
    assert [line.split()[:3] for line in bars[-1]] == [["done:", "12", "uploaded"]]
    assert bars[-1][0].endswith(f"━ {total[0]}/{total[0]} {total[1]}")
    assert "warning: " in live and "attempt 1 failed" in live
    done = [row.split()[1] for row in summary.splitlines() if "│ uploaded │" in row]
    assert sorted(done) == sorted(w.name for w in wheels)
