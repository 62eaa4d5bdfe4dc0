"""``upload --attest``: real wheels and sdists signed in a fake CI job against the Sigstore stand-in,
uploaded to the fake index, and the attestations it received verified with pypi-attestations.

The fake index verifies as Warehouse does (``attestation_verifier``: each attestation against the
trusted publisher that uploads), so an upload that succeeds here is one PyPI would take.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from pypi_attestations import GitHubPublisher, GitLabPublisher, VerificationError

from cli_helpers import upload_release
from fakeindex import FakeIndex, make_attestation
from fakesigstore import FakeSigstore
from sign_helpers import (
    GITHUB,
    GITLAB,
    github_signing_env,
    gitlab_env,
    sign_beside,
    trust_env,
    verify_received,
)
from tpublish.errors import EXIT_INPUT, EXIT_OK, EXIT_UPLOAD

WHEEL, SDIST = "demo_pkg-1.0.0-py3-none-any.whl", "demo_pkg-1.0.0.tar.gz"
SLSA = "https://slsa.dev/provenance/v1"
WORKFLOW_URI = "https://github.com/octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0"


def audiences_asked(index: FakeIndex) -> list[str]:
    """The audiences the job asked GitHub's token endpoint for, in order (through ``id``)."""
    return [parse_qs(r.query)["audience"][0] for r in index.requests_to("/_fake/github/token")]


def written(dist: Path, name: str) -> dict[str, object]:
    return json.loads((dist / f"{name}.publish.attestation").read_text())  # type: ignore[no-any-return]


# -- signed, uploaded, verified ------------------------------------------------------------------


def test_github_job_signs_every_file_and_the_index_verifies_them(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    env = github_signing_env(index, sigstore, tmp_path)
    run = upload_release(index, dist, "--attest", "-v", env=env)

    assert run.exit_code == EXIT_OK, run.output
    for name in (WHEEL, SDIST):
        attestation = verify_received(index, sigstore, GITHUB, name)
        assert attestation.statement["subject"][0]["name"] == name
        # What the index holds is what was written beside the file (kept as a CI artifact).
        assert index.files[name].attestations == [written(dist, name)]
        for other in (
            GitHubPublisher(repository="octo/demo", workflow="other.yml"),
            GitHubPublisher(repository="octo/other", workflow="release.yml"),
            GITLAB,
        ):
            with pytest.raises(VerificationError):
                verify_received(index, sigstore, other, name)
    # One certificate for the run, one log entry per file; a second token, for sigstore, via id.
    assert len(sigstore.requests_to("fulcio", "POST")) == 1
    assert [r.json()["kind"] for r in sigstore.requests_to("rekor", "POST")] == ["dsse", "dsse"]
    assert audiences_asked(index) == ["sigstore", "pypi"]
    assert f"Signing 2 file(s) as {WORKFLOW_URI} with the Sigstore instance of " in run.stderr
    assert (
        f"signed {WHEEL}: wrote {WHEEL}.publish.attestation (transparency log index" in run.stderr
    )


def test_gitlab_job_signs_with_its_sigstore_id_token(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    index.add_publisher("gitlab", ["demo-pkg"])
    env = {**gitlab_env(index), **trust_env(sigstore, tmp_path)}

    run = upload_release(index, dist, "--attest", env=env)

    assert run.exit_code == EXIT_OK, run.output
    for name in (WHEEL, SDIST):
        verify_received(index, sigstore, GITLAB, name)
        with pytest.raises(VerificationError, match="Build Config URI"):
            verify_received(
                index,
                sigstore,
                GitLabPublisher(repository="octo/demo", workflow_filepath="ci/release.yml"),
                name,
            )
    assert len(index.requests_to("/_/oidc/mint-token")) == 1


def test_envvar_asks_for_signing_and_the_flag_wins(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    env = {**github_signing_env(index, sigstore, tmp_path), "TPUBLISH_ATTEST": "1"}

    off = upload_release(index, dist, "--no-attest", "--dry-run", env=env)
    on = upload_release(index, dist, env=env)

    assert off.exit_code == EXIT_OK, off.output
    assert "would sign" not in off.stderr
    assert on.exit_code == EXIT_OK, on.output
    assert index.files[WHEEL].attestations is not None
    assert len(sigstore.fulcio.issued) == 1


def test_trusted_publishing_to_another_index_does_not_sign_by_default(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    """By default tpublish signs only for PyPI and TestPyPI, as gh-action-pypi-publish does."""
    run = upload_release(index, dist, "-v", env=github_signing_env(index, sigstore, tmp_path))

    assert run.exit_code == EXIT_OK, run.output
    assert (
        "attestations: not signing (by default only trusted publishing to PyPI or TestPyPI "
        "signs; --attest signs)" in run.stderr
    )
    assert all(stored.attestations is None for stored in index.files.values())
    assert sigstore.requests == []
    assert audiences_asked(index) == ["pypi"]
    assert not list(dist.glob("*.attestation"))


def test_the_json_report_names_the_attestations_the_index_took(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    run = upload_release(
        index, dist, "--attest", "--json", env=github_signing_env(index, sigstore, tmp_path)
    )

    assert run.exit_code == EXIT_OK, run.output
    files = {f["filename"]: f for f in json.loads(run.stdout)["files"]}
    assert files[WHEEL]["attestations"] == [f"{WHEEL}.publish.attestation"]
    assert files[SDIST]["attestations"] == [f"{SDIST}.publish.attestation"]
    verify_received(index, sigstore, GITHUB, SDIST)


# -- existing attestations -----------------------------------------------------------------------


def test_an_attestation_for_the_same_bytes_is_reused(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    """A retried job finds what its first attempt wrote: the file is not logged twice."""
    env = github_signing_env(index, sigstore, tmp_path)
    earlier = sign_beside(sigstore, sigstore.github_token(), dist / WHEEL)
    before = earlier.read_bytes()

    run = upload_release(index, dist, "--attest", "-v", env=env)

    assert run.exit_code == EXIT_OK, run.output
    assert earlier.read_bytes() == before
    assert index.files[WHEEL].attestations == [json.loads(before)]
    verify_received(index, sigstore, GITHUB, WHEEL)
    verify_received(index, sigstore, GITHUB, SDIST)
    assert len(sigstore.rekor.entries) == 2  # the earlier one and the sdist's
    assert f"reusing {WHEEL}.publish.attestation (made for these very bytes)" in run.stderr
    assert "Signing 1 file(s)" in run.stderr


def test_nothing_left_to_sign_needs_no_sigstore(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    for name in (WHEEL, SDIST):
        sign_beside(sigstore, sigstore.github_token(), dist / name)
    requests_before = len(sigstore.requests)
    env = github_signing_env(index, sigstore, tmp_path)

    run = upload_release(index, dist, "--attest", env=env)

    assert run.exit_code == EXIT_OK, run.output
    assert len(sigstore.requests) == requests_before
    assert audiences_asked(index) == ["pypi"]
    verify_received(index, sigstore, GITHUB, SDIST)


def test_a_stale_attestation_stops_the_run_before_anything_is_signed(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    stale = dist / f"{WHEEL}.publish.attestation"
    stale.write_text(json.dumps(make_attestation(WHEEL, "0" * 64)))

    run = upload_release(index, dist, "--attest", env=github_signing_env(index, sigstore, tmp_path))

    assert run.exit_code == EXIT_INPUT
    assert (
        f"error: {stale}: stale attestation from another build or index: "
        f"its sha256 does not match {WHEEL}" in run.stderr
    )
    assert "hint: delete it: tpublish then signs the file anew" in run.stderr
    assert "1 of 2 file(s) cannot be attested; nothing was signed or uploaded" in run.stderr
    assert sigstore.requests == []
    assert not index.requests_to("/_/oidc/mint-token")  # checked before the token exchange
    assert not index.files
    assert not (dist / f"{SDIST}.publish.attestation").exists()


def test_other_kinds_beside_the_file_go_with_the_publish_attestation(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    index.attestation_verifier = None  # the SLSA stand-in below is well-formed, not signed
    slsa = make_attestation(WHEEL, hashlib.sha256((dist / WHEEL).read_bytes()).hexdigest(),
                            predicate_type=SLSA)  # fmt: skip
    (dist / f"{WHEEL}.slsa.attestation").write_text(json.dumps(slsa))

    run = upload_release(
        index, dist, "--attest", "--attestations", env=github_signing_env(index, sigstore, tmp_path)
    )

    assert run.exit_code == EXIT_OK, run.output
    received = index.files[WHEEL].attestations
    assert received is not None
    assert received == [written(dist, WHEEL), slsa]


def test_an_unfit_companion_attestation_is_refused_before_signing(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    (dist / f"{SDIST}.slsa.attestation").write_text("{not json")

    run = upload_release(index, dist, "--attest", env=github_signing_env(index, sigstore, tmp_path))

    assert run.exit_code == EXIT_INPUT
    assert f"{SDIST}.slsa.attestation: is not valid JSON" in run.stderr
    assert sigstore.requests == []
    assert not index.files


# -- dry run -------------------------------------------------------------------------------------


def test_dry_run_gets_the_identity_and_signs_nothing(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    env = github_signing_env(index, sigstore, tmp_path)
    sign_beside(sigstore, sigstore.github_token(), dist / SDIST)
    requests_before = len(sigstore.requests)

    run = upload_release(index, dist, "--attest", "--dry-run", env=env)
    document = upload_release(index, dist, "--attest", "--dry-run", "--json", env=env)

    assert run.exit_code == EXIT_OK, run.output
    assert (
        f"would sign 1 file(s) as {WORKFLOW_URI} with the Sigstore instance of "
        f"{env['TPUBLISH_SIGSTORE_TRUST_CONFIG']} "
        f"(Fulcio {sigstore.fulcio_url}); a dry run writes nothing to its transparency log"
    ) in run.stderr
    assert f"would reuse {SDIST}.publish.attestation" in run.stderr
    assert json.loads(document.stdout)["attestations"] == {
        "sign": [WHEEL],
        "reuse": [SDIST],
        "identity": WORKFLOW_URI,
        "provider": "GitHub Actions",
        "trust_config": env["TPUBLISH_SIGSTORE_TRUST_CONFIG"],
        "fulcio_url": sigstore.fulcio_url,
        "rekor_url": f"{sigstore.rekor_url}/api/v1",
    }
    assert len(sigstore.requests) == requests_before  # neither Fulcio nor Rekor
    assert audiences_asked(index).count("sigstore") == 2
    assert not (dist / f"{WHEEL}.publish.attestation").exists()
    assert not index.files


def test_dry_run_fails_as_the_real_run_would_without_an_identity(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    env = github_signing_env(index, sigstore, tmp_path)
    del env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]

    run = upload_release(
        index, dist, "--attest", "--dry-run", "--token", index.add_api_token(), env=env
    )

    assert run.exit_code == 5
    assert "no OIDC token for signing" in run.stderr


def test_the_ci_providers_words_cannot_command_the_runner(
    index: FakeIndex, sigstore: FakeSigstore, dist: Path, tmp_path: Path
) -> None:
    """Claims reach the log through the identity shown and Fulcio's certificate: one line each.
    (An API token: the exchange's own display of claims is not what this test is about.)"""
    env = github_signing_env(index, sigstore, tmp_path)
    hostile = "octo/demo/.github/workflows/release.yml@refs/tags/v1\n::warning::pwned\x1b[2J"
    index.github_claims.update(workflow_ref=hostile, job_workflow_ref=hostile)
    token = index.add_api_token()

    run = upload_release(index, dist, "--attest", "-v", "--dry-run", "--token", token, env=env)
    real = upload_release(index, dist, "--attest", "-v", "--token", token, env=env)

    assert run.exit_code == EXIT_OK, run.output
    assert (
        real.exit_code == EXIT_UPLOAD
    )  # this index takes attestations from trusted publishing only
    assert len(sigstore.rekor.entries) == 2
    for output in (run.stdout, run.stderr, real.stdout, real.stderr):
        assert not any(line.startswith("::warning::pwned") for line in output.splitlines())
        assert "\x1b[2J" not in output
    assert "release.yml@refs/tags/v1\\n::warning::pwned\\x1b[2J with the Sigstore" in real.stderr
