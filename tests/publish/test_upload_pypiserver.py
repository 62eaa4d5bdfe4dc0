"""End to end against a real pypiserver: upload, then get the very same bytes back with pip."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from builders import make_release, make_wheel
from cli_helpers import tpublish, tpublish_process
from servers import PyPIServer, pip_download, pypiserver
from tpublish.errors import EXIT_CREDENTIALS, EXIT_OK, EXIT_UPLOAD

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PyPIServer]:
    with pypiserver(tmp_path_factory.mktemp("pypiserver")) as running:
        yield running


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def upload_args(server: PyPIServer, *extra: str) -> list[str]:
    return ["upload", "--repository-url", server.url, "-u", server.username, *extra]


def test_upload_then_pip_download_gives_identical_files(server: PyPIServer, tmp_path: Path) -> None:
    wheel, sdist = make_release(tmp_path / "dist", "roundtrip-pkg", "1.2.3")

    run = tpublish_process(
        *upload_args(server, "--no-progress"),
        str(tmp_path / "dist" / "*"),
        env={"TPUBLISH_PASSWORD": server.password},
    )

    assert run.exit_code == EXIT_OK, run.output
    progress = [line for line in run.stderr.splitlines() if not line.startswith("warning: ")]
    # A log says when each file starts (a slow link is not silence) and how it ended.
    assert [line.split()[:2] for line in progress] == [
        ["uploading", wheel.name],
        ["uploaded", wheel.name],
        ["uploading", sdist.name],
        ["uploaded", sdist.name],
    ]
    # A log gets the summary as plain columns: one line per file, no box drawing.
    title, header, *rows = run.stdout.splitlines()
    assert title == f"Release upload to {server.url}"
    assert header.split() == ["file", "outcome", "size", "sha256"]
    assert [row.split()[:2] for row in rows] == [[wheel.name, "uploaded"], [sdist.name, "uploaded"]]
    assert [row.split()[-1] for row in rows] == [sha256_of(wheel), sha256_of(sdist)]
    assert (
        len({row.index("uploaded") for row in [header.replace("outcome", "uploaded"), *rows]}) == 1
    )
    got_wheel = pip_download(server.simple_url, "roundtrip-pkg==1.2.3", tmp_path / "w", binary=True)
    got_sdist = pip_download(
        server.simple_url, "roundtrip-pkg==1.2.3", tmp_path / "s", binary=False
    )
    assert [p.read_bytes() for p in got_wheel] == [wheel.read_bytes()]
    assert [p.read_bytes() for p in got_sdist] == [sdist.read_bytes()]
    assert server.password not in run.output


def test_wrong_password_is_a_credentials_error_and_uploads_nothing(
    server: PyPIServer, tmp_path: Path
) -> None:
    make_release(tmp_path / "dist", "denied-pkg", "1.0")

    run = tpublish(
        *upload_args(server, "-p", "canary-wrong-password-41"), str(tmp_path / "dist" / "*")
    )

    assert run.exit_code == EXIT_CREDENTIALS
    assert "refused the credentials (403)" in run.stderr
    assert "Traceback" not in run.output
    assert "canary-wrong-password-41" not in run.output
    assert not list(server.packages.glob("denied_pkg*"))


def test_duplicate_needs_skip_existing_and_then_is_skipped(
    server: PyPIServer, tmp_path: Path
) -> None:
    make_release(tmp_path / "dist", "again-pkg", "2.0")
    args = [*upload_args(server, "-p", server.password), str(tmp_path / "dist" / "*")]
    assert tpublish(*args).exit_code == EXIT_OK

    second = tpublish(*args)
    skipped = tpublish(*args, "--skip-existing", "--json")

    assert second.exit_code == EXIT_UPLOAD
    assert "the same file is already on the index" in second.stderr
    assert "--skip-existing" in second.stderr
    assert skipped.exit_code == EXIT_OK, skipped.output
    report = json.loads(skipped.stdout)
    assert [f["outcome"] for f in report["files"]] == ["skipped", "skipped"]


def test_skip_existing_refuses_a_different_file_with_the_same_name(
    server: PyPIServer, tmp_path: Path
) -> None:
    make_wheel(tmp_path / "first", "changed-pkg", "1.0")
    make_wheel(
        tmp_path / "second", "changed-pkg", "1.0", extra_files=[("changed_pkg/new.py", b"x = 1\n")]
    )
    base = upload_args(server, "-p", server.password, "--skip-existing")
    assert tpublish(*base, str(tmp_path / "first" / "*.whl")).exit_code == EXIT_OK

    run = tpublish(*base, str(tmp_path / "second" / "*.whl"))

    assert run.exit_code == EXIT_UPLOAD
    assert (
        "a different file named changed_pkg-1.0-py3-none-any.whl is already on the index"
        in run.stderr
    )


def test_rerun_after_half_finished_release_completes_it(server: PyPIServer, tmp_path: Path) -> None:
    wheel, sdist = make_release(tmp_path / "dist", "half-pkg", "0.1")
    base = upload_args(server, "-p", server.password)
    assert tpublish(*base, str(wheel)).exit_code == EXIT_OK

    run = tpublish(*base, "--skip-existing", "--json", str(tmp_path / "dist" / "*"))

    assert run.exit_code == EXIT_OK, run.output
    outcomes = {f["filename"]: f["outcome"] for f in json.loads(run.stdout)["files"]}
    assert outcomes == {wheel.name: "skipped", sdist.name: "uploaded"}
    assert (server.packages / sdist.name).read_bytes() == sdist.read_bytes()
