"""``upload --attest`` when signing cannot work: every case explained, nothing uploaded.

Identity (no ``id-token: write``, a fork's pull request, a GitLab job without ``SIGSTORE_ID_TOKEN``,
no CI at all, a token Sigstore refuses), Fulcio and Rekor (refusing, failing, unreachable, silent),
the certificate expiring, a trust configuration that is not this Sigstore's, and the index refusing
an attestation whose identity is not the project's trusted publisher. Every test ends with the
index's state: nothing was stored.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from cli_helpers import Run, upload_release
from fakeindex import FakeIndex
from fakesigstore import FakeSigstore, fake_sigstore
from sign_helpers import (
    github_signing_env,
    gitlab_env,
    sign_beside,
    trust_env,
)
from tp_helpers import fork_pull_request_env, github_env
from tpublish.errors import (
    EXIT_INPUT,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_TRUSTED_PUBLISHING,
    EXIT_UPLOAD,
)

WHEEL, SDIST = "demo_pkg-1.0.0-py3-none-any.whl", "demo_pkg-1.0.0.tar.gz"


def upload(index: FakeIndex, dist: Path, *args: str, env: dict[str, str]) -> Run:
    return upload_release(index, dist, "--attest", *args, env=env)


def nothing_happened(index: FakeIndex, dist: Path) -> None:
    assert not index.uploads
    assert not index.files
    assert not list(dist.glob("*.publish.attestation"))


# -- the identity --------------------------------------------------------------------------------


def test_without_id_token_permission(index: FakeIndex, dist: Path, tmp_path: Path) -> None:
    with fake_sigstore() as sigstore:
        env = {**github_env(index), **trust_env(sigstore, tmp_path)}
        del env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"], env["ACTIONS_ID_TOKEN_REQUEST_URL"]

        run = upload(index, dist, "--token", index.add_api_token(), env=env)

        assert sigstore.requests == []
    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "error: no OIDC token for signing: GitHub: missing or insufficient OIDC token" in (
        run.stderr
    )
    assert "hint: give the publishing job `permissions: id-token: write`" in run.stderr
    nothing_happened(index, dist)


def test_fork_pull_request_cannot_sign(index: FakeIndex, dist: Path, tmp_path: Path) -> None:
    env = fork_pull_request_env(tmp_path)

    run = upload(index, dist, "--token", index.add_api_token(), env=env)

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "GitHub never gives an OIDC token to a pull request from a fork" in run.stderr
    nothing_happened(index, dist)


def test_gitlab_job_without_a_sigstore_token_stops_before_the_exchange(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    index.add_publisher("gitlab", ["demo-pkg"])
    env = {**gitlab_env(index, sigstore=False), **trust_env(sigstore, tmp_path)}

    run = upload(index, dist, env=env)

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "this GitLab job has no `sigstore` ID token (SIGSTORE_ID_TOKEN is not set)" in run.stderr
    assert "id_tokens: { SIGSTORE_ID_TOKEN: { aud: sigstore } }" in run.stderr
    # The job's one PYPI_ID_TOKEN is still unused: fixing the workflow and re-running works.
    assert not index.requests_to("/_/oidc/mint-token")
    assert sigstore.requests == []
    nothing_happened(index, dist)


def test_gitlab_sigstore_token_for_another_audience(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    index.add_publisher("gitlab", ["demo-pkg"])
    env = {
        **gitlab_env(index, sigstore_token=index.gitlab_oidc_token(aud="pypi")),
        **trust_env(sigstore, tmp_path),
    }

    run = upload(index, dist, env=env)

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "could not get an OIDC token for signing from GitLab CI/CD: " in run.stderr
    assert "Token audience claim mismatch (expected sigstore, got pypi)" in run.stderr
    assert "must be declared with `aud: sigstore`" in run.stderr
    assert sigstore.requests == []
    nothing_happened(index, dist)


def test_outside_ci_there_is_nothing_to_sign_with(index: FakeIndex, dist: Path) -> None:
    run = upload(index, dist, "--token", index.add_api_token(), env={})

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert (
        "attestations are signed with the CI job's identity, and no CI identity was found here"
        in (run.stderr)
    )
    assert "--attestations" in run.stderr  # the way to upload attestations made elsewhere
    nothing_happened(index, dist)


def test_an_expired_sigstore_token_is_refused_before_fulcio(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    index.add_publisher("gitlab", ["demo-pkg"])
    expired = index.gitlab_oidc_token(aud="sigstore", iat=1_000, nbf=1_000, exp=2_000)
    env = {**gitlab_env(index, sigstore_token=expired), **trust_env(sigstore, tmp_path)}

    run = upload(index, dist, env=env)

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "the job's `sigstore` OIDC token is not one Sigstore accepts" in run.stderr
    assert "expired" in run.stderr
    assert sigstore.requests == []
    nothing_happened(index, dist)


# -- Fulcio --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "exit_code", "expected"),
    [
        (
            {"code": 401, "message": "There was an error processing the identity token"},
            EXIT_TRUSTED_PUBLISHING,
            "refused the job's identity (401): There was an error processing the identity token",
        ),
        (
            {"code": 400, "message": "The certificate signing request could not be parsed"},
            EXIT_TRUSTED_PUBLISHING,
            "refused the certificate request (400): The certificate signing request could not",
        ),
        ({"code": 503, "message": "overloaded"}, EXIT_NETWORK, "failed (503): overloaded"),
        (
            {"code": 502, "body": "<html>bad gateway</html>"},
            EXIT_NETWORK,
            "failed (502): Bad Gateway",
        ),
        ({"kind": "drop"}, EXIT_NETWORK, "the connection was closed without an answer"),
    ],
    ids=["401", "400", "503", "html-502", "drop"],
)
def test_fulcio_failure_is_explained_and_nothing_is_uploaded(
    index: FakeIndex,
    sigstore: FakeSigstore,
    dist: Path,
    tmp_path: Path,
    fault: dict[str, object],
    exit_code: int,
    expected: str,
) -> None:
    sigstore.fail("fulcio", **fault)  # type: ignore[arg-type]

    run = upload(index, dist, env=github_signing_env(index, sigstore, tmp_path))

    assert run.exit_code == exit_code, run.output
    assert f"error: Fulcio at {sigstore.fulcio_url} " in run.stderr or (
        f"could not reach Fulcio at {sigstore.fulcio_url}" in run.stderr
    )
    assert expected in run.stderr
    assert "  nothing was signed or uploaded" in run.stderr
    assert "hint: " in run.stderr
    assert sigstore.requests_to("rekor") == []
    nothing_happened(index, dist)


def test_fulcio_down(index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    env = {**github_signing_env(index, sigstore, tmp_path), "GITHUB_STEP_SUMMARY": str(summary)}
    sigstore.take_down("fulcio")

    run = upload(index, dist, env=env)

    assert run.exit_code == EXIT_NETWORK
    message = (
        f"could not reach Fulcio at {sigstore.fulcio_url} when asked for the signing "
        "certificate: connection refused"
    )
    assert f"error: {message}" in run.stderr
    assert "hint: check the Sigstore instance named by --sigstore-trust-config" in run.stderr
    # gh-action-pypi-publish's title, on the run's page and in its summary
    assert f"::error::Attestation generation failure: {message}" in run.stdout
    assert summary.read_text().startswith(f"## Attestation generation failure\n\n{message}")
    nothing_happened(index, dist)


def test_public_instance_out_of_reach(
    index: FakeIndex, dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --sigstore-trust-config the trust root comes from Sigstore's TUF repository."""
    connect = socket.socket.connect

    def loopback_only(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in (
            "127.0.0.1",
            "::1",
        ):
            raise OSError(f"test refused a connection to {address!r}")
        connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    index.add_publisher("github", ["demo-pkg"])

    run = upload(index, dist, env=github_env(index))

    assert run.exit_code == EXIT_NETWORK
    assert (
        "could not fetch the trust root of Sigstore's public instance from "
        "https://tuf-repo-cdn.sigstore.dev" in run.stderr
    )
    assert "hint: check the job's network access to *.sigstore.dev" in run.stderr
    assert not index.requests_to("/_/oidc/mint-token")
    nothing_happened(index, dist)


def test_fulcio_that_does_not_answer(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    sigstore.fail("fulcio", kind="stall", seconds=30)

    run = upload(index, dist, "--timeout", "0.5", env=github_signing_env(index, sigstore, tmp_path))

    assert run.exit_code == EXIT_NETWORK
    assert (
        f"Fulcio at {sigstore.fulcio_url} did not answer within 0.5 s when asked for the signing "
        "certificate" in run.stderr
    )
    nothing_happened(index, dist)


# -- Rekor ---------------------------------------------------------------------------------------


def test_rekor_failing_on_the_second_file_uploads_nothing(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    sigstore.fail("rekor", code=503, message="the log is read-only", skip=1)

    run = upload(index, dist, env=github_signing_env(index, sigstore, tmp_path))

    assert run.exit_code == EXIT_NETWORK, run.output
    assert (
        f"error: Rekor at {sigstore.rekor_url}/api/v1 failed (503) when asked to log the signature "
        f"of {SDIST}: the log is read-only" in run.stderr
    )
    assert (
        "nothing was uploaded; 1 of 2 file(s) were signed first and their attestations written "
        "beside them (a re-run reuses them)" in run.stderr
    )
    assert not index.uploads and not index.files
    assert (dist / f"{WHEEL}.publish.attestation").exists()
    assert not (dist / f"{SDIST}.publish.attestation").exists()

    # The re-run signs only what is left, with a new certificate, and uploads both.
    rerun = upload(index, dist, env=github_signing_env(index, sigstore, tmp_path))

    assert rerun.exit_code == EXIT_OK, rerun.output
    assert "Signing 1 file(s)" in rerun.stderr
    assert sorted(index.files) == [WHEEL, SDIST]


def test_rekor_refusing_an_entry(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    sigstore.fail("rekor", code=400, message="could not verify envelope signature")

    run = upload(index, dist, env=github_signing_env(index, sigstore, tmp_path))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert (
        f"Rekor at {sigstore.rekor_url}/api/v1 refused to log the signature of {WHEEL} (400): "
        "could not verify envelope signature" in run.stderr
    )
    nothing_happened(index, dist)


@pytest.mark.parametrize("how", ["down", "drop", "html-500"])
def test_rekor_unreachable(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path, how: str
) -> None:
    env = github_signing_env(index, sigstore, tmp_path)
    if how == "down":
        sigstore.take_down("rekor")
    elif how == "drop":
        sigstore.fail("rekor", kind="drop")
    else:
        sigstore.fail("rekor", code=500, body="<html>upstream went away</html>")

    run = upload(index, dist, env=env)

    assert run.exit_code == EXIT_NETWORK
    expected = {
        "down": f"could not reach Rekor at {sigstore.rekor_url}/api/v1 when asked to log the "
        f"signature of {WHEEL}: connection refused",
        "drop": "the connection was closed without an answer",
        "html-500": f"Rekor at {sigstore.rekor_url}/api/v1 failed (500) when asked to log the "
        f"signature of {WHEEL}: Internal Server Error",
    }[how]
    assert expected in run.stderr
    nothing_happened(index, dist)


def test_the_certificate_expires_before_signing(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    sigstore.clock_offset = -3600  # Fulcio issues a certificate that ended before we use it

    run = upload(index, dist, env=github_signing_env(index, sigstore, tmp_path))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert f"the signing certificate expired when asked to log the signature of {WHEEL}" in (
        run.stderr
    )
    assert sigstore.requests_to("rekor") == []
    nothing_happened(index, dist)


# -- the trust configuration ---------------------------------------------------------------------


def test_trust_config_of_another_instance(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    """Another instance's root with this one's URLs: the certificate's SCT does not verify."""
    env = github_signing_env(index, sigstore, tmp_path)
    with FakeSigstore() as stranger:
        document = stranger.trust_config_document()
    ours = sigstore.trust_config_document()
    document["signingConfig"] = ours["signingConfig"]
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps(document))

    run = upload(index, dist, env={**env, "TPUBLISH_SIGSTORE_TRUST_CONFIG": str(mixed)})

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert f"the certificate from Fulcio at {sigstore.fulcio_url} does not verify against the " in (
        run.stderr
    )
    assert "check --sigstore-trust-config" in run.stderr
    nothing_happened(index, dist)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot be read: No such file or directory"),
        ("{not json", "not a Sigstore client trust configuration: Invalid JSON"),
        ("{}", "not a Sigstore client trust configuration: mediaType: Field required"),
    ],
    ids=["missing", "not-json", "empty"],
)
def test_unusable_trust_config_is_bad_input(
    index: FakeIndex, dist: Path, tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "trust.json"
    if content is not None:
        path.write_text(content)
    env = github_env(index)
    index.add_publisher("github", ["demo-pkg"])

    run = upload(index, dist, "--sigstore-trust-config", str(path), env=env)

    assert run.exit_code == EXIT_INPUT
    assert f"error: --sigstore-trust-config {path}: {expected}" in run.stderr
    assert not index.requests_to("/_/oidc/mint-token")
    nothing_happened(index, dist)


# -- the extra -----------------------------------------------------------------------------------


def test_attest_without_the_extra_says_how_to_install_it(
    index: FakeIndex, dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules is how Python says "this package cannot be imported".
    monkeypatch.setitem(sys.modules, "sigstore", None)
    monkeypatch.setitem(sys.modules, "pypi_attestations", None)

    run = upload(index, dist, env=github_env(index))

    assert run.exit_code == EXIT_INPUT
    assert "error: --attest needs the Sigstore libraries, which are not installed" in run.stderr
    assert "hint: install them with: pip install 'tpublish[attest]'" in run.stderr
    assert not index.requests_to("/_fake/github/token")
    nothing_happened(index, dist)


# -- the index refuses the identity --------------------------------------------------------------


def test_reusable_workflow_identity_is_not_the_publisher(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    """The exchange matches the reusable workflow (job_workflow_ref); Fulcio names the caller
    (workflow_ref) in the certificate; PyPI verifies against the publisher's workflow."""
    env = github_signing_env(index, sigstore, tmp_path)
    caller = "octo/demo/.github/workflows/caller.yml@refs/tags/v1.0.0"
    index.github_claims["workflow_ref"] = caller

    run = upload(index, dist, env=env)

    assert run.exit_code == EXIT_UPLOAD, run.output
    assert (
        f"error: {dist / WHEEL}: the index refused its attestations: Could not verify the uploaded "
        "artifact using the included attestation: Verification failed: Certificate's Build "
        "Config URI" in run.stderr
    )
    assert f"the attestation was signed by: https://github.com/{caller}" in run.stderr
    assert (
        "the upload's trusted publisher: octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0"
        in run.stderr
    )
    assert "hint: this job runs in a reusable workflow" in run.stderr
    assert not index.files


def test_reused_attestation_from_another_workflow_is_refused_by_the_index(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    other = "octo/demo/.github/workflows/nightly.yml@refs/heads/main"
    sign_beside(
        sigstore,
        sigstore.github_token(workflow_ref=other, job_workflow_ref=other),
        dist / WHEEL,
    )

    run = upload(index, dist, env=github_signing_env(index, sigstore, tmp_path))

    assert run.exit_code == EXIT_UPLOAD, run.output
    assert f"the attestation was signed by: https://github.com/{other}" in run.stderr
    assert f"delete {WHEEL}.publish.attestation if it was made by another workflow" in run.stderr
    assert not index.files
