"""Trusted publishing end to end: the real ``id`` package, a fake CI provider, the fake index."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from builders import make_release, make_sdist, make_wheel
from cli_helpers import Run, tpublish, upload_release
from fakeindex import FakeIndex, shared_key
from tp_helpers import fake_executable, fork_pull_request_env, github_env
from tpublish.errors import EXIT_CREDENTIALS, EXIT_OK, EXIT_TRUSTED_PUBLISHING


def minted_tokens_seen(index: FakeIndex) -> list[str]:
    return list(index.minted_tokens)


def assert_no_secret(run: Run, index: FakeIndex, *, masked_ok: bool = False) -> None:
    """Neither an OIDC token nor a minted token shows up, except in GitHub's ::add-mask:: line."""
    lines = run.output.splitlines()
    visible = [line for line in lines if not (masked_ok and line.startswith("::add-mask::"))]
    text = "\n".join(visible)
    assert "eyJ" not in text
    for token in minted_tokens_seen(index):
        assert token not in text


# -- GitHub Actions ----------------------------------------------------------------------------


def test_github_actions_uploads_with_a_minted_token(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("github", ["demo-pkg"])

    run = upload_release(index, dist, "-v", env=github_env(index))

    assert run.exit_code == EXIT_OK, run.output
    assert sorted(index.files) == ["demo_pkg-1.0.0-py3-none-any.whl", "demo_pkg-1.0.0.tar.gz"]
    assert all(stored.publisher is not None for stored in index.files.values())
    assert len(index.requests_to("/_/oidc/audience")) == 1
    assert len(index.requests_to("/_/oidc/mint-token")) == 1
    assert "credential: __token__ (trusted publishing, GitHub Actions)" in run.stderr
    # The runner hides the token from the log once it sees this line; it comes before any upload.
    (token,) = index.minted_tokens
    assert run.stdout.splitlines()[0] == f"::add-mask::{token}"
    assert_no_secret(run, index, masked_ok=True)
    assert len(index.requests_to("/_/oidc/burn-token")) == 1


def test_missing_id_token_permission_is_explained(index: FakeIndex, dist: Path) -> None:
    env = github_env(index)
    del env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"], env["ACTIONS_ID_TOKEN_REQUEST_URL"]

    run = upload_release(index, dist, env=env)

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "ACTIONS_ID_TOKEN_REQUEST_TOKEN environment variable was unset" in run.stderr
    assert "permissions: id-token: write" in run.stderr
    assert "Traceback" not in run.output
    assert not index.uploads


def test_pull_request_from_a_fork_is_explained(
    index: FakeIndex, dist: Path, tmp_path: Path
) -> None:
    run = upload_release(index, dist, env=fork_pull_request_env(tmp_path))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "pull request from a fork" in run.stderr
    assert "workflow_dispatch" in run.stderr


def test_wrong_workflow_shows_claims_next_to_the_publisher_form(
    index: FakeIndex, dist: Path
) -> None:
    index.add_publisher("github", ["demo-pkg"], workflow_filename="publish.yml")

    run = upload_release(index, dist, env=github_env(index))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    err = run.stderr
    assert "no trusted publisher matching this CI job: invalid-publisher" in err
    assert "Owner             octo" in err
    assert "Repository name   demo" in err
    assert "Workflow name     release.yml" in err
    assert "job_workflow_ref: octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0" in err
    assert "environment: MISSING" in err
    assert "docs.pypi.org/trusted-publishers/troubleshooting" in err
    assert not index.uploads
    assert_no_secret(run, index)


def test_environment_mismatch_names_the_environment(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("github", ["demo-pkg"], environment="pypi")
    index.github_claims["environment"] = "staging"

    run = upload_release(index, dist, env=github_env(index))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "invalid-publisher" in run.stderr
    assert "Environment name  staging" in run.stderr


def test_annotations_and_step_summary_on_failure_in_github(
    index: FakeIndex, dist: Path, tmp_path: Path
) -> None:
    index.add_publisher("github", ["demo-pkg"], repository_owner_id="999")
    summary = tmp_path / "summary.md"

    run = upload_release(index, dist, env=github_env(index, GITHUB_STEP_SUMMARY=str(summary)))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "::error::Trusted publishing exchange failure: " in run.stdout
    assert "%0A" in run.stdout  # one annotation, newlines escaped
    assert "invalid-publisher" in summary.read_text()
    assert_no_secret(run, index)


def test_reusable_workflow_gets_a_warning(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("github", ["demo-pkg"], workflow_filename="reusable.yml")
    index.github_claims["job_workflow_ref"] = (
        "octo/demo/.github/workflows/reusable.yml@refs/tags/v1.0.0"
    )

    run = upload_release(index, dist, env=github_env(index))

    assert run.exit_code == EXIT_OK, run.output
    assert "reusable workflow" in run.stderr
    assert "::warning::Potential workflow misconfiguration: " in run.stdout


# -- index answers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("implements_tp", "does not indicate trusted publishing support"),
        ("tp_enabled", "has trusted publishing disabled"),
    ],
)
def test_audience_refusals(index: FakeIndex, dist: Path, setting: str, expected: str) -> None:
    setattr(index, setting, False)

    run = upload_release(index, dist, env=github_env(index))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert (
        f"audience retrieval failed: repository at 127.0.0.1:{index.url.rsplit(':', 1)[1]} {expected}"
        in run.stderr
    )


def test_audience_server_error_and_malformed_answer(index: FakeIndex, dist: Path) -> None:
    index.faults.add("/_/oidc/audience", "status", 10, code=500, reason="Internal Server Error")
    first = upload_release(index, dist, "--retries", "2", env=github_env(index))
    assert len(index.requests_to("/_/oidc/audience")) == 3  # retried as uploads are
    index.faults.clear()
    index.faults.add("/_/oidc/audience", "non_json", code=200, body="<html>hello</html>")
    second = upload_release(index, dist, env=github_env(index))

    assert first.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "responded with unexpected 500: Internal Server Error" in first.stderr
    assert second.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "gave a malformed answer" in second.stderr


def test_pending_publisher_for_an_existing_project(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("github", ["demo-pkg"], pending=True)
    index.add_project("demo-pkg", owner="bob")  # someone registered the name meanwhile

    run = upload_release(index, dist, env=github_env(index))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert (
        "a pending publisher matched, but a project of that name already exists: "
        "invalid-pending-publisher: valid token, but project already exists" in run.stderr
    )
    assert "register the publisher on the existing project" in run.stderr
    assert not index.uploads


def test_kind_disabled_on_the_index(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("github", ["demo-pkg"])
    index.disabled_kinds = {"github"}

    run = upload_release(index, dist, env=github_env(index))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert (
        "turned off on the index for this CI provider: not-enabled: github trusted publishing functionality not enabled"
        in run.stderr
    )


def test_token_signed_by_a_stranger_is_invalid_token(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("gitlab", ["demo-pkg"])
    forged = index.gitlab_oidc_token(key=shared_key("stranger"))

    run = upload_release(index, dist, env={"GITLAB_CI": "true", "PYPI_ID_TOKEN": forged})

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "invalid-token: malformed or invalid token" in run.stderr
    assert "runner's clock" in run.stderr


def test_mint_5xx_is_retried_with_a_fresh_oidc_token(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("github", ["demo-pkg"])
    index.faults.add("/_/oidc/mint-token", "non_json", code=502, body="<html>Bad gateway</html>")
    index.faults.add("/_/oidc/mint-token", "drop_after_store")  # consumes the jti, loses the answer

    run = upload_release(index, dist, env=github_env(index))

    assert run.exit_code == EXIT_OK, run.output
    assert len(index.requests_to("/_/oidc/mint-token")) == 3
    assert len(index.requests_to("/_fake/github/token")) == 3  # a new OIDC token each time


def test_mint_keeps_failing(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("github", ["demo-pkg"])
    index.faults.add("/_/oidc/mint-token", "non_json", times=10, code=503, body="unavailable")

    run = upload_release(index, dist, "--retries", "2", env=github_env(index))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "Token request failed: the index produced an unexpected 503 response." in run.stderr


def test_token_is_scoped_to_the_publishers_projects(index: FakeIndex, tmp_path: Path) -> None:
    index.add_publisher("github", ["demo-pkg"])
    index.add_project("other-pkg", owner="bob")
    make_wheel(tmp_path / "dist", "other-pkg", "1.0")

    run = upload_release(index, tmp_path / "dist", env=github_env(index))

    assert run.exit_code == EXIT_CREDENTIALS
    assert "OIDC scoped token is not valid for project 'other-pkg'" in run.stderr


# -- modes -------------------------------------------------------------------------------------


def test_explicit_token_wins_over_auto(index: FakeIndex, dist: Path) -> None:
    token = index.add_api_token("pypi-canary-explicit-token-0123456789abcdef", projects=None)
    index.add_project("demo-pkg")

    run = upload_release(index, dist, env=github_env(index, TPUBLISH_TOKEN=token))

    assert run.exit_code == EXIT_OK, run.output
    assert not index.requests_to("/_/oidc/mint-token")
    assert token not in run.output


def test_never_mode_does_not_try(index: FakeIndex, dist: Path) -> None:
    run = upload_release(index, dist, "--trusted-publishing", "never", env=github_env(index))

    assert run.exit_code == EXIT_CREDENTIALS
    assert not index.requests_to("/_/oidc/audience")


def test_always_mode_outside_ci_fails_clearly(index: FakeIndex, dist: Path) -> None:
    run = upload_release(index, dist, env={"TPUBLISH_TRUSTED_PUBLISHING": "always"})

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "--trusted-publishing always, but no CI identity was found here" in run.stderr
    assert not index.requests


def test_dry_run_in_ci_proves_the_exchange_and_uploads_nothing(
    index: FakeIndex, dist: Path
) -> None:
    index.add_publisher("github", ["demo-pkg"])

    run = upload_release(index, dist, "--dry-run", "--json", env=github_env(index))

    assert run.exit_code == EXIT_OK, run.output
    plan = json.loads(run.stdout)
    assert plan["trusted_publishing"] is True
    assert plan["would_start"] is True
    assert len(index.requests_to("/_/oidc/mint-token")) == 1
    assert not index.uploads
    assert "::add-mask::" in run.stderr  # stdout is the JSON report
    assert_no_secret(run, index, masked_ok=True)


# -- renewal -----------------------------------------------------------------------------------


def test_minted_token_is_renewed_during_a_slow_release(index: FakeIndex, tmp_path: Path) -> None:
    index.add_publisher("github", ["demo-pkg"])
    # Tokens live 4 s (the index rounds issue times down); each upload takes 1 s: the release
    # outlives its first token, and each token is renewed while it still covers one upload.
    index.minted_token_lifetime = 4
    for tag in ("py3-none-any", "py2.py3-none-any", "py30-none-any"):
        make_wheel(tmp_path / "dist", "demo-pkg", "1.0.0", tag=tag)
    make_sdist(tmp_path / "dist", "demo-pkg", "1.0.0")
    index.faults.add("/legacy/", "stall", times=4, seconds=1.0)

    run = upload_release(index, tmp_path / "dist", "--concurrency", "1", env=github_env(index))

    assert run.exit_code == EXIT_OK, run.output
    assert len(index.files) == 4
    assert len(index.requests_to("/_/oidc/mint-token")) >= 2
    assert len(set(index.minted_tokens)) == len(index.requests_to("/_/oidc/mint-token"))


# -- GitLab, Buildkite, CircleCI, Google -------------------------------------------------------


def test_gitlab_uploads_with_the_job_token(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("gitlab", ["demo-pkg"])

    run = upload_release(
        index, dist, env={"GITLAB_CI": "true", "PYPI_ID_TOKEN": index.gitlab_oidc_token()}
    )

    assert run.exit_code == EXIT_OK, run.output
    assert len(index.files) == 2


def test_gitlab_audience_names_the_variable(index: FakeIndex, dist: Path) -> None:
    index.audience = "testpypi"

    run = upload_release(index, dist, env={"GITLAB_CI": "true"})

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "GitLab: Environment variable TESTPYPI_ID_TOKEN not found" in run.stderr


def test_gitlab_token_reused_in_a_second_run(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("gitlab", ["demo-pkg"])
    env = {"GITLAB_CI": "true", "PYPI_ID_TOKEN": index.gitlab_oidc_token()}
    assert upload_release(index, dist, env=env).exit_code == EXIT_OK

    again = upload_release(index, dist, "--skip-existing", env=env)

    assert again.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "already exchanged once: invalid-reuse-token" in again.stderr
    assert "GitLab" in again.stderr


def test_gitlab_cannot_renew_and_says_so(index: FakeIndex, tmp_path: Path) -> None:
    index.add_publisher("gitlab", ["demo-pkg"])
    # The first upload outlasts half the token's life; renewal is impossible on GitLab, the kept
    # token expires during the second upload, and the user is told why rather than shown a 403.
    index.minted_token_lifetime = 4
    make_release(tmp_path / "dist", "demo-pkg", "1.0.0")
    index.faults.add("/legacy/", "stall", times=2, seconds=2.5)

    run = upload_release(
        index,
        tmp_path / "dist",
        "--concurrency",
        "1",
        env={"GITLAB_CI": "true", "PYPI_ID_TOKEN": index.gitlab_oidc_token()},
    )

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "gives only one OIDC token per job" in run.stderr
    assert (
        "the index said: the index refused the credentials (403): Invalid API Token: token is expired"
        in run.stderr
    )
    assert len(index.files) == 1


def test_buildkite_agent_is_asked_for_the_token(
    index: FakeIndex, dist: Path, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    fake_executable(bin_dir, "buildkite-agent", stdout=index.buildkite_oidc_token())
    env = {"BUILDKITE": "true", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    run = upload_release(index, dist, env=env)

    # The index knows no Buildkite issuer (as PyPI today): the exchange is refused, clearly.
    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "unknown trusted publishing issuer" in run.stderr
    assert (bin_dir / "buildkite-agent.args").read_text().split() == [
        "oidc",
        "request-token",
        "--audience",
        "pypi",
    ]
    assert_no_secret(run, index)


def test_buildkite_agent_failure(index: FakeIndex, dist: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    fake_executable(bin_dir, "buildkite-agent", stdout="agent is not running", code=1)
    env = {"BUILDKITE": "true", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    run = upload_release(index, dist, env=env)

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "Buildkite: the Buildkite agent encountered an error: agent is not running" in run.stderr


def test_circleci_cli_is_asked_for_the_token(index: FakeIndex, dist: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    fake_executable(bin_dir, "circleci", stdout=index.circleci_oidc_token())
    env = {"CIRCLECI": "true", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    run = upload_release(index, dist, env=env)

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "unknown trusted publishing issuer" in run.stderr
    args = (bin_dir / "circleci.args").read_text()
    assert args.startswith("run oidc get --claims")
    assert '"aud": "pypi"' in args


def test_google_cloud_without_metadata_server(index: FakeIndex, dist: Path) -> None:
    run = upload_release(
        index, dist, env={"GOOGLE_SERVICE_ACCOUNT_NAME": "publisher@demo.iam.gserviceaccount.com"}
    )

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "GCP: access token request" in run.stderr


# -- tpublish auth -----------------------------------------------------------------------------


def test_auth_shows_claims_and_exchange(index: FakeIndex) -> None:
    index.add_publisher("github", ["demo-pkg"])

    run = tpublish(
        "auth", "--repository-url", index.upload_url, "--exchange", env=github_env(index)
    )

    assert run.exit_code == EXIT_OK, run.output
    assert "CI provider:     GitHub Actions" in run.stdout
    assert "audience:        pypi" in run.stdout
    assert "publisher Workflow name: release.yml" in run.stdout
    assert "claim repository: octo/demo" in run.stdout
    assert "exchange:        accepted" in run.stdout
    assert_no_secret(run, index)


def test_auth_exchange_refused_json(index: FakeIndex) -> None:
    index.add_publisher("github", ["demo-pkg"], repository_owner="someone-else")

    run = tpublish(
        "auth", "--repository-url", index.upload_url, "--exchange", "--json", env=github_env(index)
    )

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    report = json.loads(run.stdout)
    assert report["ci_provider"] == "GitHub Actions"
    assert report["trusted_publishing"]["publisher_form"]["Owner"] == "octo"
    assert "invalid-publisher" in report["trusted_publishing"]["error"]
    assert_no_secret(run, index)


def test_auth_outside_ci(index: FakeIndex) -> None:
    run = tpublish(
        "auth",
        "--repository-url",
        index.upload_url,
        env={"TPUBLISH_TOKEN": "pypi-canary-auth-0123456789abcdefgh"},
    )

    assert run.exit_code == EXIT_OK
    assert "none detected" in run.stdout
    assert "__token__ (from TPUBLISH_TOKEN)" in run.stdout
    assert "pypi-canary-auth" not in run.output
