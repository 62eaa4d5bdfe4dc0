"""One way to the CI provider's OIDC token, for the index's audience and for ``sigstore`` alike.

Both tokens of a job come through ``oidc.ci_token``: GitHub's from its token endpoint (here the
fake index's), bounded by the run's ``--timeout`` and read up to a cap; the other providers'
through the real ``id`` package. Each test ends with the index's state: nothing was stored.
"""

from __future__ import annotations

from pathlib import Path

from cli_helpers import upload_release
from fakeindex import FakeIndex
from fakesigstore import FakeSigstore
from sign_helpers import github_signing_env
from tpublish.errors import EXIT_TRUSTED_PUBLISHING


def test_a_hung_endpoint_bounds_the_signing_token_too(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    """The ``sigstore`` token is asked for before the index's: a silent endpoint is given up on
    at --timeout (1 s), not after id's four tries of 30 s each."""
    env = github_signing_env(index, sigstore, tmp_path)
    index.faults.add("/_fake/github/token", "stall", 5, seconds=60)

    run = upload_release(index, dist, "--attest", "--timeout", "1", env=env)

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING, run.output
    assert "GitHub Actions did not give an OIDC token for signing within 1 s" in run.stderr
    assert "hint: its token endpoint may be down; retry the job later" in run.stderr
    assert sigstore.requests == []
    assert not index.requests_to("/_/oidc/mint-token")
    assert not index.uploads
    assert index.files == {}


def test_the_signing_token_is_checked_as_the_index_token_is(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    """GitHub's answer for ``sigstore`` must name that audience, as id checks it."""
    env = github_signing_env(index, sigstore, tmp_path)
    wrong = index.github_oidc_token(aud="pypi")
    index.faults.add("/_fake/github/token", "status", code=200, json={"count": 1, "value": wrong})

    run = upload_release(index, dist, "--attest", env=env)

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING, run.output
    assert "could not get an OIDC token for signing from GitHub Actions: " in run.stderr
    assert "Token audience claim mismatch (expected sigstore, got pypi)" in run.stderr
    assert wrong not in run.output
    assert sigstore.requests == []
    assert not index.uploads
    assert index.files == {}
