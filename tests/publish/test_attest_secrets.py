"""Canaries for the ``sigstore`` OIDC token: never shown, logged or written, whatever happens.

The GitLab job's ``SIGSTORE_ID_TOKEN`` here has no secret-like shape (its segments do not start
with ``eyJ``), so only registering it the moment it is read can mask it: a service that echoes it
back, a refusal, ``--verbose``, ``--debug`` and ``--json`` must all come out clean, and so must the
attestation files and what the index received.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import make_release
from cli_helpers import Run, tpublish
from fakeindex import FakeIndex
from fakeindex.claims import gitlab_claims
from fakesigstore import FakeSigstore
from sign_helpers import GITLAB, canary_token, gitlab_env, trust_env
from sign_helpers import verify_received as verified
from tpublish.errors import EXIT_NETWORK, EXIT_OK, EXIT_TRUSTED_PUBLISHING

MODES = {"text": (), "verbose": ("-v",), "json": ("--json",), "debug": ("-v", "--debug")}


@pytest.fixture
def token() -> str:
    return canary_token(gitlab_claims())


def forms(token: str) -> list[str]:
    """The token and each of its segments (a leaked segment is a leaked token)."""
    return [token, *token.split(".")]


def assert_clean(token: str, run: Run, index: FakeIndex, dist: Path) -> None:
    for form in forms(token):
        assert form not in run.stdout
        assert form not in run.stderr
        for written in dist.iterdir():
            assert form.encode() not in written.read_bytes()
        for request in index.requests:
            assert all(form not in value for _, value in request.form)


def run_job(
    index: FakeIndex, sigstore: FakeSigstore, tmp_path: Path, token: str, *args: str
) -> tuple[Run, Path]:
    dist = tmp_path / "dist"
    if not dist.exists():
        make_release(dist, "demo-pkg", "1.0.0")
    if not any(p.kind == "gitlab" for p in index.publishers):
        index.add_publisher("gitlab", ["demo-pkg"])
    env = {**gitlab_env(index, sigstore_token=token), **trust_env(sigstore, tmp_path)}
    run = tpublish(
        "upload", "--repository-url", index.upload_url, "--no-progress", "--attest", *args,
        str(dist / "*"), env=env,
    )  # fmt: skip
    return run, dist


def test_the_canary_signs_for_real(
    index: FakeIndex, sigstore: FakeSigstore, tmp_path: Path, token: str
) -> None:
    """The canary is a token Fulcio certifies: the clean runs below are real signing runs."""
    run, dist = run_job(index, sigstore, tmp_path, token)

    assert run.exit_code == EXIT_OK, run.output
    verified(index, sigstore, GITLAB, "demo_pkg-1.0.0.tar.gz")
    [request] = sigstore.requests_to("fulcio", "POST")
    assert request.headers["Authorization"] == f"Bearer {token}"  # it was sent, only there
    assert_clean(token, run, index, dist)


@pytest.mark.parametrize("mode", MODES)
def test_success_shows_no_token(
    index: FakeIndex, sigstore: FakeSigstore, tmp_path: Path, token: str, mode: str
) -> None:
    run, dist = run_job(index, sigstore, tmp_path, token, *MODES[mode])

    assert run.exit_code == EXIT_OK, run.output
    assert_clean(token, run, index, dist)


@pytest.mark.parametrize("mode", MODES)
def test_dry_run_shows_no_token(
    index: FakeIndex, sigstore: FakeSigstore, tmp_path: Path, token: str, mode: str
) -> None:
    run, dist = run_job(index, sigstore, tmp_path, token, "--dry-run", *MODES[mode])

    assert run.exit_code == EXIT_OK, run.output
    assert_clean(token, run, index, dist)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("service", ["fulcio", "rekor"])
def test_a_service_echoing_the_token_is_masked(
    index: FakeIndex, sigstore: FakeSigstore, tmp_path: Path, token: str, mode: str, service: str
) -> None:
    code = 401 if service == "fulcio" else 503
    sigstore.fail(service, code=code, message=f"invalid token {token} (signature {token[-8:]})")

    run, dist = run_job(index, sigstore, tmp_path, token, *MODES[mode])

    assert run.exit_code == (EXIT_TRUSTED_PUBLISHING if service == "fulcio" else EXIT_NETWORK)
    assert "invalid token ********" in run.output
    assert_clean(token, run, index, dist)
    assert not index.files


def test_a_token_sigstore_refuses_is_not_shown(
    index: FakeIndex, sigstore: FakeSigstore, tmp_path: Path
) -> None:
    expired = canary_token({**gitlab_claims(), "exp": 2_000, "iat": 1_000, "nbf": 1_000})

    run, dist = run_job(index, sigstore, tmp_path, expired, "-v", "--debug")

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert_clean(expired, run, index, dist)
