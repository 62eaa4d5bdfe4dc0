"""Uploads to ``https://upload.pypi.org:<port>/legacy/``, served here: what only PyPI gets.

Each run sees its own ``/etc/hosts`` (a private mount namespace) in which ``upload.pypi.org`` and
``pypi.org`` are 127.0.0.1; TLS with a test CA for those names fronts the fake index. So the real
command takes its PyPI paths: the suggestion of trusted publishing after an API-token upload from
CI, with its link, and the JSON API look-up (here unreachable: the upload goes on). Skipped where ``unshare`` cannot be used.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from cli_helpers import Run
from fakeindex import FakeIndex
from hosts import SKIP_REASON, hosts_file, private_hosts_work, tpublish_seeing
from tlsfront import TLSFront, address
from tp_helpers import github_env
from tpublish.errors import EXIT_OK

pytestmark = pytest.mark.skipif(not private_hosts_work(), reason=SKIP_REASON)

NAMES = ("upload.pypi.org", "pypi.org", "test.pypi.org")
GITHUB_JOB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "octo/demo",
    "GITHUB_REPOSITORY_OWNER": "octo",
    "GITHUB_WORKFLOW_REF": "octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0",
}
MAGIC_LINK = (
    "https://pypi.org/manage/project/demo-pkg/settings/publishing/?provider=github&owner=octo"
    "&repository=demo&workflow_filename=release.yml"
)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    authority = trustme.CA()
    pem = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(pem))
    return authority, pem


@pytest.fixture
def front(ca: tuple[trustme.CA, Path], index: FakeIndex) -> Iterator[TLSFront]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca[0].issue_cert(*NAMES).configure_cert(context)
    running = TLSFront(context, address(index.url))
    try:
        yield running
    finally:
        running.close()


def upload_to_pypi(
    front: TLSFront, ca_pem: Path, tmp_path: Path, dist: Path, *args: str, env: dict[str, str]
) -> Run:
    url = f"https://upload.pypi.org:{front.port}/legacy/"
    return tpublish_seeing(
        hosts_file(tmp_path, *NAMES),
        "upload", "--repository-url", url, "--no-progress", "--retry-backoff", "0.01",
        *args, str(dist / "demo_pkg-1.0.0-py3-none-any.whl"), str(dist / "demo_pkg-1.0.0.tar.gz"),
        env={"SSL_CERT_FILE": str(ca_pem), **env},
    )  # fmt: skip


def notes(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("note: ")]


def test_an_api_token_upload_from_github_actions_suggests_trusted_publishing(
    index: FakeIndex,
    front: TLSFront,
    ca: tuple[trustme.CA, Path],
    tmp_path: Path,
    dist: Path,
) -> None:
    token = index.add_api_token()

    run = upload_to_pypi(front, ca[1], tmp_path, dist, "-t", token, env=GITHUB_JOB)

    assert run.exit_code == EXIT_OK, run.output
    assert len(index.files) == 2
    (line,) = notes(run)
    assert line.startswith("note: uploaded from GitHub Actions with a long-lived API token;")
    assert line.endswith(MAGIC_LINK)
    assert token not in run.output


def test_an_api_token_upload_from_gitlab_suggests_trusted_publishing(
    index: FakeIndex,
    front: TLSFront,
    ca: tuple[trustme.CA, Path],
    tmp_path: Path,
    dist: Path,
) -> None:
    token = index.add_api_token()

    run = upload_to_pypi(front, ca[1], tmp_path, dist, "-t", token, env={"GITLAB_CI": "true"})

    assert run.exit_code == EXIT_OK, run.output
    (line,) = notes(run)
    assert "uploaded from GitLab CI/CD with a long-lived API token" in line
    assert line.endswith("https://pypi.org/manage/project/demo-pkg/settings/publishing/")


def test_no_suggestion_with_trusted_publishing_nor_outside_ci(
    index: FakeIndex,
    front: TLSFront,
    ca: tuple[trustme.CA, Path],
    tmp_path: Path,
    dist: Path,
) -> None:
    index.add_publisher("github", ["demo-pkg"])
    token = index.add_api_token()

    # --no-attest: signing by default would reach for Sigstore's public instance
    trusted = upload_to_pypi(
        front, ca[1], tmp_path, dist, "--no-attest", env=github_env(index, **GITHUB_JOB)
    )
    outside = upload_to_pypi(front, ca[1], tmp_path, dist, "-t", token, "--skip-existing", env={})

    assert trusted.exit_code == EXIT_OK, trusted.output
    assert index.minted_tokens  # it went through trusted publishing
    assert notes(trusted) == []
    assert outside.exit_code == EXIT_OK, outside.output
    assert notes(outside) == []
