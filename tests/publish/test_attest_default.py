"""Signing by default, as gh-action-pypi-publish does: trusted publishing to PyPI or TestPyPI with
``tpublish[attest]`` installed signs every file; anything else does not, unless ``--attest`` asks.

``https://upload.pypi.org/legacy/`` reaches the fake index through a local CONNECT proxy
(``tests/pypi_proxy.py``), so these runs take the decisions a run against PyPI takes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cli_helpers import Run, tpublish
from fakeindex import FakeIndex
from fakesigstore import FakeSigstore
from pypi_proxy import PYPI_UPLOAD_URL, PyPIProxy
from sign_helpers import GITHUB, github_signing_env, gitlab_env, trust_env
from sign_helpers import verify_received as verified
from tpublish.errors import EXIT_CREDENTIALS, EXIT_OK

WHEEL, SDIST = "demo_pkg-1.0.0-py3-none-any.whl", "demo_pkg-1.0.0.tar.gz"


def upload_to_pypi(pypi: PyPIProxy, dist: Path, *args: str, env: dict[str, str]) -> Run:
    return tpublish(
        "upload", "--repository-url", PYPI_UPLOAD_URL, "--no-progress", *args, str(dist / "*"),
        env={**env, **pypi.env()},
    )  # fmt: skip


def test_trusted_publishing_to_pypi_signs_by_default(
    index: FakeIndex, sigstore: FakeSigstore, pypi: PyPIProxy, dist: Path, tmp_path: Path
) -> None:
    run = upload_to_pypi(pypi, dist, env=github_signing_env(index, sigstore, tmp_path))

    assert run.exit_code == EXIT_OK, run.output
    assert "upload.pypi.org:443" in pypi.tunnels
    verified(index, sigstore, GITHUB, WHEEL)
    verified(index, sigstore, GITHUB, SDIST)
    assert (dist / f"{WHEEL}.publish.attestation").exists()


@pytest.mark.parametrize("off", [("--no-attest",), ("TPUBLISH_ATTEST", "0")], ids=["flag", "env"])
def test_no_attest_turns_the_default_off(
    index: FakeIndex,
    sigstore: FakeSigstore,
    pypi: PyPIProxy,
    dist: Path,
    tmp_path: Path,
    off: tuple[str, ...],
) -> None:
    env = github_signing_env(index, sigstore, tmp_path)
    args = off if len(off) == 1 else ()
    if len(off) == 2:
        env[off[0]] = off[1]

    run = upload_to_pypi(pypi, dist, *args, env=env)

    assert run.exit_code == EXIT_OK, run.output
    assert sorted(index.files) == [WHEEL, SDIST]
    assert all(stored.attestations is None for stored in index.files.values())
    assert sigstore.requests == []


def test_an_api_token_to_pypi_does_not_sign_by_default(
    index: FakeIndex, sigstore: FakeSigstore, pypi: PyPIProxy, dist: Path, tmp_path: Path
) -> None:
    env = github_signing_env(index, sigstore, tmp_path)
    index.add_project("demo-pkg", owner="alice")

    run = upload_to_pypi(pypi, dist, "--token", index.add_api_token(owner="alice"), env=env)

    assert run.exit_code == EXIT_OK, run.output
    assert all(stored.attestations is None for stored in index.files.values())
    assert sigstore.requests == []


def test_attest_with_an_api_token_to_pypi_stops_before_signing(
    index: FakeIndex, sigstore: FakeSigstore, pypi: PyPIProxy, dist: Path, tmp_path: Path
) -> None:
    env = github_signing_env(index, sigstore, tmp_path)

    run = upload_to_pypi(pypi, dist, "--attest", "--token", index.add_api_token(), env=env)

    assert run.exit_code == EXIT_CREDENTIALS
    assert (
        "upload.pypi.org accepts attestations only from trusted publishing, and this run uses an "
        "API token or password" in run.stderr
    )
    assert "or upload without --attest" in run.stderr
    assert sigstore.requests == []
    assert not index.files


def test_gitlab_job_without_a_sigstore_token_uploads_unsigned_with_a_warning(
    index: FakeIndex, sigstore: FakeSigstore, pypi: PyPIProxy, dist: Path, tmp_path: Path
) -> None:
    index.add_publisher("gitlab", ["demo-pkg"])
    env = {**gitlab_env(index, sigstore=False), **trust_env(sigstore, tmp_path)}

    run = upload_to_pypi(pypi, dist, env=env)

    assert run.exit_code == EXIT_OK, run.output
    assert (
        "warning: not signing attestations: this GitLab job has no `sigstore` ID token "
        "(SIGSTORE_ID_TOKEN is not set)" in run.stderr
    )
    assert "id_tokens: { SIGSTORE_ID_TOKEN: { aud: sigstore } }" in run.stderr
    assert sorted(index.files) == [WHEEL, SDIST]
    assert all(stored.attestations is None for stored in index.files.values())


def test_a_reusable_workflow_is_not_signed_by_default(
    index: FakeIndex, sigstore: FakeSigstore, pypi: PyPIProxy, dist: Path, tmp_path: Path
) -> None:
    env = github_signing_env(index, sigstore, tmp_path)
    index.github_claims["workflow_ref"] = "octo/demo/.github/workflows/caller.yml@refs/tags/v1.0.0"

    run = upload_to_pypi(pypi, dist, env=env)

    assert run.exit_code == EXIT_OK, run.output
    assert "warning: not signing attestations: in a reusable workflow" in run.stderr
    assert sigstore.requests == []
    assert all(stored.attestations is None for stored in index.files.values())


def test_without_the_extra_the_default_uploads_unsigned(
    index: FakeIndex,
    sigstore: FakeSigstore,
    pypi: PyPIProxy,
    dist: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sigstore", None)
    monkeypatch.setitem(sys.modules, "pypi_attestations", None)

    run = upload_to_pypi(pypi, dist, "-v", env=github_signing_env(index, sigstore, tmp_path))

    assert run.exit_code == EXIT_OK, run.output
    assert "attestations: not signing (the Sigstore libraries are not installed: " in run.stderr
    assert all(stored.attestations is None for stored in index.files.values())


def test_dry_run_by_default_says_it_would_sign(
    index: FakeIndex, sigstore: FakeSigstore, pypi: PyPIProxy, dist: Path, tmp_path: Path
) -> None:
    run = upload_to_pypi(pypi, dist, "--dry-run", env=github_signing_env(index, sigstore, tmp_path))

    assert run.exit_code == EXIT_OK, run.output
    assert "would sign 2 file(s) as https://github.com/octo/demo/.github/workflows/" in run.stderr
    assert sigstore.requests == []


# -- what it costs -------------------------------------------------------------------------------

_REPORT_IMPORTS = """
import atexit, sys
def report():
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("sigstore", "pypi_attestations"))
    print("HEAVY=" + ",".join(heavy), file=sys.stderr)
atexit.register(report)
from tpublish.cli.main import main
main(prog_name="tpublish")
"""


def imports_of(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    completed = subprocess.run(
        [sys.executable, "-c", _REPORT_IMPORTS, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    line = next(x for x in completed.stderr.splitlines() if x.startswith("HEAVY="))
    return completed.returncode, [m for m in line.removeprefix("HEAVY=").split(",") if m]


def test_sigstore_is_imported_only_by_a_run_that_signs(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    import os

    plain = {**os.environ, "TPUBLISH_TOKEN": "pypi-placeholder-token-for-a-dry-run"}
    files = [str(p) for p in sorted(dist.iterdir())]

    assert imports_of("upload", "--help") == (0, [])
    assert imports_of("upload", "--dry-run", *files, env=plain) == (0, [])
    code, heavy = imports_of(
        "upload", "--dry-run", "--attest", "--repository-url", index.upload_url, *files,
        env={**os.environ, **github_signing_env(index, sigstore, tmp_path)},
    )  # fmt: skip
    assert code == EXIT_OK
    assert "sigstore.oidc" in heavy  # the token checked as Sigstore checks it
