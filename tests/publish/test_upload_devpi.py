"""End to end against a real devpi-server: its +simple/ pages, and its 200 for an identical file.

devpi answers the re-upload of an identical file to a non-volatile index with ``200 Upload of
identical file to non volatile index.``: the file was there before, nothing was stored now. It is
reported as already there (identical), as pypiserver's 409 is, never as "uploaded".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from builders import make_release, make_wheel
from cli_helpers import Run, tpublish
from servers import Devpi, UploadOnlyProxy, devpi_server, pip_download
from tpublish.errors import EXIT_OK, EXIT_UPLOAD

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def devpi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devpi]:
    with devpi_server(tmp_path_factory.mktemp("devpi")) as running:
        yield running


@pytest.fixture
def only_uploads(devpi: Devpi) -> Iterator[UploadOnlyProxy]:
    proxy = UploadOnlyProxy(devpi.url)
    try:
        yield proxy
    finally:
        proxy.close()


def upload(url: str, devpi: Devpi, *args: str) -> Run:
    return tpublish(
        "upload",
        "--repository-url",
        url,
        "-u",
        devpi.username,
        "-p",
        devpi.password,
        "--no-progress",
        "--json",
        *args,
    )


def outcomes(run: Run) -> dict[str, tuple[str, str | None]]:
    return {f["filename"]: (f["outcome"], f["note"]) for f in json.loads(run.stdout)["files"]}


def test_upload_then_pip_download_gives_identical_files(devpi: Devpi, tmp_path: Path) -> None:
    wheel, sdist = make_release(tmp_path / "dist", "devpi-roundtrip", "1.0")

    run = upload(devpi.upload_url, devpi, str(wheel), str(sdist))

    assert run.exit_code == EXIT_OK, run.output
    assert outcomes(run) == {wheel.name: ("uploaded", None), sdist.name: ("uploaded", None)}
    got = pip_download(devpi.simple_url, "devpi-roundtrip==1.0", tmp_path / "got", binary=True)
    assert [path.read_bytes() for path in got] == [wheel.read_bytes()]
    assert devpi.password not in run.output


def test_identical_reupload_is_refused_before_sending_and_skipped_with_skip_existing(
    devpi: Devpi, tmp_path: Path
) -> None:
    wheel, sdist = make_release(tmp_path / "dist", "devpi-again", "1.0")
    files = (str(wheel), str(sdist))
    assert upload(devpi.upload_url, devpi, *files).exit_code == EXIT_OK

    again = upload(devpi.upload_url, devpi, *files)
    skipped = upload(devpi.upload_url, devpi, "--skip-existing", *files)

    assert again.exit_code == EXIT_UPLOAD
    assert "the same file is already on the index" in again.stderr
    assert f"as listed at {devpi.simple_url}devpi-again/" in again.stderr
    assert "hint: use --skip-existing" in again.stderr
    assert skipped.exit_code == EXIT_OK, skipped.output
    same = ("skipped", "already on the index (same sha256)")
    assert outcomes(skipped) == {wheel.name: same, sdist.name: same}


def test_devpis_200_for_an_identical_file_is_already_there_not_uploaded(
    devpi: Devpi, only_uploads: UploadOnlyProxy, tmp_path: Path
) -> None:
    """Through a proxy that lets only uploads through, tpublish cannot look first: devpi's own
    answer, 200 "Upload of identical file", decides."""
    wheel = make_wheel(tmp_path / "dist", "devpi-identical", "1.0")
    assert upload(devpi.upload_url, devpi, str(wheel)).exit_code == EXIT_OK
    through_proxy = only_uploads.url + devpi.upload_url.removeprefix(devpi.url)

    again = upload(through_proxy, devpi, str(wheel))
    skipped = upload(through_proxy, devpi, "--skip-existing", str(wheel))

    assert only_uploads.reads >= 2  # the look-ups were tried, and failed
    assert again.exit_code == EXIT_UPLOAD, again.output
    assert outcomes(again)[wheel.name][0] == "failed"
    assert "the same file is already on the index" in again.stderr
    assert skipped.exit_code == EXIT_OK, skipped.output
    assert outcomes(skipped) == {wheel.name: ("skipped", "already on the index")}
    assert "uploaded" not in skipped.stderr


def test_a_changed_file_under_a_used_name_is_refused_naming_it(
    devpi: Devpi, tmp_path: Path
) -> None:
    first = make_wheel(tmp_path / "first", "devpi-changed", "1.0")
    second = make_wheel(
        tmp_path / "second", "devpi-changed", "1.0", extra_files=[("devpi_changed/x.py", b"x=1\n")]
    )
    assert upload(devpi.upload_url, devpi, str(first)).exit_code == EXIT_OK

    run = upload(devpi.upload_url, devpi, "--skip-existing", str(second))

    assert run.exit_code == EXIT_UPLOAD
    assert f"a different file named {first.name} is already on the index" in run.stderr
