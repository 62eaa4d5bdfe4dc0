"""Trusted publishing explained as the peers explain it: claims for every refusal code, reusable
workflows, GitLab's own hints, ``always`` with a configured credential, ``tpublish auth`` outside
CI, and the one line that suggests trusted publishing after an API-token upload from CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import make_release
from cli_helpers import Run, tpublish, upload_release
from fakeindex import FakeIndex, shared_key
from tp_helpers import github_env
from tpublish.errors import EXIT_INPUT, EXIT_OK, EXIT_TRUSTED_PUBLISHING
from tpublish.output import ci

OTHER_REPO_WORKFLOW = "other/tools/.github/workflows/pypi.yml@refs/heads/main"


def gitlab(token: str) -> dict[str, str]:
    return {"GITLAB_CI": "true", "PYPI_ID_TOKEN": token}


def assert_token_lines(text: str, *, aud: str = "pypi") -> None:
    """iss, aud and exp are shown for every refusal."""
    assert "  iss: https://" in text
    assert f"  aud: {aud}" in text
    assert "  exp: " in text and ("valid for" in text or "expired" in text)


def assert_no_jwt(run: Run) -> None:
    assert "eyJ" not in run.output


# -- every refusal code shows the claims that matter ------------------------------------------------


def test_a_gitlab_token_for_another_audience_gets_the_id_tokens_hint(
    index: FakeIndex, dist: Path
) -> None:
    """``id`` itself refuses a GitLab token whose ``aud`` is not the index's: GitLab's hint."""
    index.add_publisher("gitlab", ["demo-pkg"])

    run = upload_release(index, dist, env=gitlab(index.gitlab_oidc_token(aud="testpypi")))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "audience claim mismatch (expected pypi, got testpypi)" in run.stderr
    assert (
        "hint: in .gitlab-ci.yml the publishing job needs `id_tokens: PYPI_ID_TOKEN: aud: pypi`"
        in (run.stderr)
    )
    assert not index.requests_to("/_/oidc/mint-token")
    assert_no_jwt(run)


def test_invalid_token_expired_says_when(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("gitlab", ["demo-pkg"])
    expired = index.gitlab_oidc_token(exp=int(index.now()) - 600)

    run = upload_release(index, dist, env=gitlab(expired))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "invalid-token" in run.stderr
    (line,) = [line for line in run.stderr.splitlines() if line.strip().startswith("exp: ")]
    assert line.endswith("min ago)") and "expired" in line


@pytest.mark.parametrize("exp", [10**20, 1e300])
def test_an_expiry_no_clock_can_show_is_shown_as_it_is(
    index: FakeIndex, dist: Path, exp: float
) -> None:
    """The CI provider's words: an ``exp`` beyond any date is still explained, not a crash."""
    index.add_publisher("gitlab", ["demo-pkg"])
    forged = index.gitlab_oidc_token(key=shared_key("stranger"), exp=exp)

    run = upload_release(index, dist, env=gitlab(forged))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING, run.output
    assert "invalid-token: malformed or invalid token" in run.stderr
    assert f"  exp: {exp}\n" in run.stderr
    assert "internal error" not in run.output
    assert not index.uploads
    assert index.files == {}


def test_invalid_token_on_gitlab_shows_the_claims_and_gitlabs_hint(
    index: FakeIndex, dist: Path
) -> None:
    index.add_publisher("gitlab", ["demo-pkg"])
    forged = index.gitlab_oidc_token(key=shared_key("stranger"))

    run = upload_release(index, dist, env=gitlab(forged))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "invalid-token: malformed or invalid token" in run.stderr
    assert_token_lines(run.stderr)
    assert "  sub: project_path:octo/demo" in run.stderr
    assert "  project_path: octo/demo" in run.stderr
    (hint,) = [line for line in run.stderr.splitlines() if line.startswith("hint: ")]
    assert "`id_tokens: PYPI_ID_TOKEN: aud: pypi`" in hint and "runner's clock" in hint
    assert "check the audience the job requests" not in run.stderr  # GitLab's words, not generic
    assert_no_jwt(run)


def test_invalid_reuse_token_shows_the_jti_and_gitlabs_rule(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("gitlab", ["demo-pkg"])
    env = gitlab(index.gitlab_oidc_token())
    assert upload_release(index, dist, env=env).exit_code == EXIT_OK

    again = upload_release(index, dist, "--skip-existing", env=env)

    assert again.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "invalid-reuse-token" in again.stderr
    assert_token_lines(again.stderr)
    assert "  jti: " in again.stderr
    assert "  ci_config_ref_uri: gitlab.com/octo/demo//.gitlab-ci.yml@" in again.stderr
    assert "hint: GitLab gives one OIDC token per job" in again.stderr


def test_not_enabled_shows_the_issuer(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("github", ["demo-pkg"])
    index.disabled_kinds = {"github"}

    run = upload_release(index, dist, env=github_env(index))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "not-enabled" in run.stderr
    assert "  iss: https://token.actions.githubusercontent.com" in run.stderr
    assert_token_lines(run.stderr)
    assert "  repository: octo/demo" in run.stderr


def test_invalid_pending_publisher_shows_the_form_and_the_token(
    index: FakeIndex, dist: Path
) -> None:
    index.add_publisher("github", ["demo-pkg"], pending=True)
    index.add_project("demo-pkg", owner="bob")

    run = upload_release(index, dist, env=github_env(index))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "invalid-pending-publisher" in run.stderr
    assert "Workflow name     release.yml" in run.stderr
    assert_token_lines(run.stderr)


def test_invalid_publisher_shows_iss_aud_exp_with_the_claims(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("github", ["demo-pkg"], workflow_filename="publish.yml")

    run = upload_release(index, dist, env=github_env(index))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert_token_lines(run.stderr)
    assert "  job_workflow_ref: octo/demo/.github/workflows/release.yml@" in run.stderr


def test_gitlab_invalid_publisher_gets_gitlabs_hints(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("gitlab", ["demo-pkg"], workflow_filepath="ci/release.yml")

    run = upload_release(index, dist, env=gitlab(index.gitlab_oidc_token()))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "invalid-publisher" in run.stderr
    assert "Top-level pipeline file path  .gitlab-ci.yml" in run.stderr
    (hint,) = [line for line in run.stderr.splitlines() if line.startswith("hint: ")]
    assert "the top-level pipeline file `.gitlab-ci.yml` (not an included file)" in hint
    assert "Protected environments" in hint and "protected branches" in hint
    assert "add (or correct) the trusted publisher" not in run.stderr


# -- reusable workflows -------------------------------------------------------------------------


def test_a_reusable_workflow_from_another_repository_is_explained_not_given_a_form(
    index: FakeIndex, dist: Path, tmp_path: Path
) -> None:
    index.add_publisher("github", ["demo-pkg"])
    index.github_claims["job_workflow_ref"] = OTHER_REPO_WORKFLOW
    summary = tmp_path / "summary.md"

    run = upload_release(index, dist, env=github_env(index, GITHUB_STEP_SUMMARY=str(summary)))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    before, _, after = run.stderr.partition("error: ")
    # Before the exchange: in the log, as an annotation, and in the job summary.
    assert f"warning: this job runs in a reusable workflow ({OTHER_REPO_WORKFLOW}" in before
    assert "can never be a trusted publisher" in before
    assert "::warning::Potential workflow misconfiguration: this job runs in a reusable" in (
        run.stdout
    )
    assert "## Potential workflow misconfiguration" in summary.read_text()
    # After the refusal: no publisher form that can never match, but why and what to do.
    assert "must say" not in after and "Workflow name" not in after
    (hint,) = [line for line in after.splitlines() if line.startswith("hint: ")]
    assert "the index matches the caller's repository (octo/demo) together with the reusable " in (
        hint
    )
    assert "upload from a job of a workflow in octo/demo itself" in hint
    assert f"  job_workflow_ref: {OTHER_REPO_WORKFLOW}" in after


def test_a_reusable_workflow_in_the_same_repository_names_its_file(
    index: FakeIndex, dist: Path
) -> None:
    index.add_publisher("github", ["demo-pkg"])  # registered with the caller's release.yml
    index.github_claims["job_workflow_ref"] = "octo/demo/.github/workflows/publish.yml@refs/tags/v1"

    run = upload_release(index, dist, env=github_env(index))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "the index matches the reusable workflow's file name (publish.yml)" in run.stderr
    assert "Workflow name     publish.yml" in run.stderr  # the form that would match


# -- --trusted-publishing always with a configured credential ------------------------------------


@pytest.mark.parametrize(
    ("extra_env", "pypirc", "named"),
    [
        ({"TWINE_PASSWORD": "canary-twine-password"}, None, "a password (TWINE_PASSWORD)"),
        ({"TPUBLISH_TOKEN": "pypi-canary-token-00000000"}, None, "a token (TPUBLISH_TOKEN)"),
        ({}, "password = pypi-canary-pypirc-token-0000", "a password (~/.pypirc [pypi])"),
        ({"TPUBLISH_USERNAME": "alice"}, None, "a username (TPUBLISH_USERNAME)"),
    ],
)
def test_always_refuses_a_configured_credential_as_uv_does(
    index: FakeIndex,
    dist: Path,
    clean_environment: Path,
    extra_env: dict[str, str],
    pypirc: str | None,
    named: str,
) -> None:
    index.add_publisher("github", ["demo-pkg"])
    if pypirc:
        (clean_environment / ".pypirc").write_text(f"[pypi]\nusername = __token__\n{pypirc}\n")
        url = ("--repository", "pypi")
    else:
        url = ("--repository-url", index.upload_url)
    env = github_env(index, TPUBLISH_TRUSTED_PUBLISHING="always", **extra_env)

    run = tpublish("upload", *url, "--no-progress", str(dist / "*"), env=env)

    assert run.exit_code == EXIT_INPUT
    assert (
        f"error: --trusted-publishing always does not go with a configured credential: {named}"
        in run.stderr
    )
    assert "canary" not in run.output
    assert not index.requests


def test_always_with_only_the_token_username_is_fine(index: FakeIndex, dist: Path) -> None:
    index.add_publisher("github", ["demo-pkg"])
    env = github_env(index, TWINE_USERNAME="__token__")

    run = upload_release(index, dist, "--trusted-publishing", "always", env=env)

    assert run.exit_code == EXIT_OK, run.output
    assert len(index.files) == 2


# -- tpublish auth outside CI ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trusted-publishing", "always"], "--trusted-publishing always, but no CI identity"),
        (["--exchange"], "--exchange, but no CI identity was found here"),
        (
            ["--exchange", "--trusted-publishing", "never"],
            "--exchange: there is nothing to exchange with --trusted-publishing never",
        ),
    ],
)
def test_auth_outside_ci_honours_always_and_exchange(
    index: FakeIndex, args: list[str], message: str
) -> None:
    text = tpublish("auth", "--repository-url", index.upload_url, *args)
    as_json = tpublish("auth", "--repository-url", index.upload_url, "--json", *args)

    assert text.exit_code == EXIT_TRUSTED_PUBLISHING
    assert f"error: {message}" in text.stdout
    assert as_json.exit_code == EXIT_TRUSTED_PUBLISHING
    assert json.loads(as_json.stdout)["trusted_publishing"]["error"].startswith(message)
    assert not index.requests


def test_auth_always_with_a_configured_credential_is_refused(index: FakeIndex) -> None:
    run = tpublish(
        "auth",
        "--repository-url",
        index.upload_url,
        "--trusted-publishing",
        "always",
        env={"TWINE_PASSWORD": "canary-twine-password"},
    )

    assert run.exit_code == EXIT_INPUT
    assert "a password (TWINE_PASSWORD)" in run.stderr


# -- the nudge towards trusted publishing ----------------------------------------------------------

GITHUB_JOB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "octo/demo",
    "GITHUB_REPOSITORY_OWNER": "octo",
    "GITHUB_WORKFLOW_REF": "octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0",
}


@pytest.mark.parametrize(
    ("upload_url", "base"),
    [
        ("https://upload.pypi.org/legacy/", "https://pypi.org"),
        ("https://test.pypi.org/legacy/", "https://test.pypi.org"),
    ],
)
def test_the_nudge_in_github_actions_has_the_magic_link(
    monkeypatch: pytest.MonkeyPatch, upload_url: str, base: str
) -> None:
    for name, value in GITHUB_JOB.items():
        monkeypatch.setenv(name, value)

    line = ci.trusted_publishing_nudge(upload_url, ["demo-pkg"])

    assert line is not None and "\n" not in line
    assert line.startswith("uploaded from GitHub Actions with a long-lived API token;")
    assert (
        f"{base}/manage/project/demo-pkg/settings/publishing/?provider=github&owner=octo"
        "&repository=demo&workflow_filename=release.yml"
    ) in line


def test_the_nudge_in_gitlab_links_the_publishing_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_CI", "true")

    line = ci.trusted_publishing_nudge("https://upload.pypi.org/legacy/", ["demo-pkg"])

    assert line is not None
    assert "uploaded from GitLab CI/CD" in line
    assert "https://pypi.org/manage/project/demo-pkg/settings/publishing/" in line


def test_no_nudge_outside_ci() -> None:
    assert ci.trusted_publishing_nudge("https://upload.pypi.org/legacy/", ["demo-pkg"]) is None


def test_no_nudge_for_another_index_or_for_trusted_publishing(
    index: FakeIndex, dist: Path, tmp_path: Path
) -> None:
    token = index.add_api_token()
    with_token = upload_release(index, dist, "-t", token, env={**GITHUB_JOB})
    index.add_publisher("github", ["demo-pkg"])
    make_release(tmp_path / "next", "demo-pkg", "1.0.1")
    trusted = upload_release(index, tmp_path / "next", env=github_env(index, **GITHUB_JOB))

    assert with_token.exit_code == EXIT_OK, with_token.output
    assert trusted.exit_code == EXIT_OK, trusted.output
    assert "note: " not in with_token.stderr + trusted.stderr


def test_token_lines_put_the_audience_next_to_the_one_the_index_wants() -> None:
    from tpublish.auth.refusals import describe_expiry, token_lines

    lines = token_lines({"iss": "https://gitlab.com", "aud": "testpypi", "exp": 1000}, "pypi")

    assert lines[:2] == ["  iss: https://gitlab.com", "  aud: testpypi (the index wants 'pypi')"]
    assert lines[2].startswith("  exp: 1000 (1970-01-01T00:16:40Z, expired ")
    assert describe_expiry(1000, now=400) == "1000 (1970-01-01T00:16:40Z, valid for 10 min more)"
    assert describe_expiry(None) == "MISSING"
    assert describe_expiry(float("nan")) == "nan"
    assert describe_expiry(float("inf")) == "inf"
    assert token_lines({"aud": "pypi"}, "pypi")[1] == "  aud: pypi"
