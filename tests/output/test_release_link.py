"""The release link ("View at: …") and the job summary's link appear only when every file of the
release is on the index: uploaded, or skipped because it is already there.

Release pages exist only on PyPI and TestPyPI, so tpublish is pointed at
``https://upload.pypi.org/legacy/`` and reaches our fake index through ``pypi_proxy``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cli_helpers import Run, tpublish, tpublish_interrupted, wait_until
from fakeindex import FakeIndex
from fault_helpers import plain_release
from pypi_proxy import PYPI_UPLOAD_URL, PyPIProxy
from tpublish.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_UPLOAD
from tpublish.output import ci
from tpublish.publish.report import FileResult, Report

LINK = "https://pypi.org/project/demo-pkg/1.0.0/"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    plain_release(tmp_path)
    return tmp_path / "dist"


def upload(env: dict[str, str], token: str, dist: Path, *args: str) -> Run:
    return tpublish(
        "upload",
        "--repository-url",
        PYPI_UPLOAD_URL,
        "--token",
        token,
        "--retry-backoff",
        "0.01",
        *args,
        str(dist / "*"),
        env=env,
    )


def in_github(summary: Path) -> dict[str, str]:
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}


def test_the_link_appears_when_every_file_is_uploaded(
    index: FakeIndex, pypi: PyPIProxy, dist: Path, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"

    run = upload({**pypi.env(), **in_github(summary)}, index.add_api_token(), dist)

    assert run.exit_code == EXIT_OK, run.output
    assert sorted(index.files) == sorted(p.name for p in dist.iterdir())
    assert f"View at: {LINK}" in run.stdout.splitlines()
    assert f"Release: [{LINK}]({LINK})" in summary.read_text()


def test_the_link_appears_when_files_were_already_there(
    index: FakeIndex, pypi: PyPIProxy, dist: Path, tmp_path: Path
) -> None:
    token = index.add_api_token()
    wheel = next(dist.glob("*.whl"))
    first = tpublish(
        "upload", "--repository-url", PYPI_UPLOAD_URL, "--token", token, str(wheel), env=pypi.env()
    )
    assert first.exit_code == EXIT_OK, first.output
    summary = tmp_path / "summary.md"

    run = upload({**pypi.env(), **in_github(summary)}, token, dist, "--skip-existing", "--json")

    assert run.exit_code == EXIT_OK, run.output
    assert '"outcome": "skipped"' in run.stdout and '"outcome": "uploaded"' in run.stdout
    assert f'"release_urls": [\n    "{LINK}"\n  ]' in run.stdout
    assert f"Release: [{LINK}]({LINK})" in summary.read_text()


def test_no_link_after_a_failure(
    index: FakeIndex, pypi: PyPIProxy, dist: Path, tmp_path: Path
) -> None:
    index.faults.add("/legacy/", "status", code=400, reason="Invalid value for classifiers.")
    summary = tmp_path / "summary.md"

    run = upload({**pypi.env(), **in_github(summary)}, index.add_api_token(), dist)

    assert run.exit_code == EXIT_UPLOAD
    assert "**failed**" in summary.read_text()  # the summary was written, without the link
    assert "pypi.org/project" not in run.output + summary.read_text()


def test_no_link_after_an_interruption(
    index: FakeIndex, pypi: PyPIProxy, dist: Path, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    index.faults.add("/legacy/", "stall", method="POST", seconds=60)  # the first file hangs
    env = {**pypi.env(), **in_github(summary), "TPUBLISH_TOKEN": index.add_api_token()}

    def started(_process: subprocess.Popen[str]) -> None:
        assert wait_until(lambda: bool(index.uploads)), "the upload never started"

    run = tpublish_interrupted(
        "upload", "--repository-url", PYPI_UPLOAD_URL, "--no-progress", str(dist / "*"),
        ready=started, env=env,
    )  # fmt: skip

    assert run.exit_code == EXIT_INTERRUPTED, run.stderr
    assert "interrupted" in summary.read_text()
    assert "pypi.org/project" not in run.output + summary.read_text()
    assert not index.files


def test_no_link_when_an_outcome_is_not_on_the_index(dist: Path) -> None:
    """Any outcome but uploaded or skipped (failed, interrupted, not attempted, or one that cannot
    be confirmed) means the release is not all there: no link in the job summary or the log."""
    from tpublish.dists.distribution import load_release
    from tpublish.output.summary import release_links

    dists = load_release([str(dist / "*")])
    for outcome in ("failed", "not attempted", "interrupted", "uncertain"):
        report = Report(
            PYPI_UPLOAD_URL,
            [FileResult(dists[0], "uploaded"), FileResult(dists[1], outcome)],
            release_urls=[LINK],
        )
        assert release_links(report) == []
        assert LINK not in ci.summary_markdown(report)
    complete = Report(
        PYPI_UPLOAD_URL, [FileResult(d, "skipped") for d in dists], release_urls=[LINK]
    )
    assert release_links(complete) == [LINK]
    assert f"Release: [{LINK}]({LINK})" in ci.summary_markdown(complete)
