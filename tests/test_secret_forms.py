"""Secrets, all forms (issue 12, class 5).

A message is masked before it is shortened (a cut must not leave the start of a secret); the
URL-encoded, HTML-escaped, JSON-escaped and base64 forms of a registered secret are masked like
the secret; each CI provider's request credential is a registered secret. Canaries have no
secret-like shape, so only registration can mask them.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from builders import make_release
from cli_helpers import Run, tpublish
from fakeindex import FakeIndex
from tp_helpers import github_env
from tpublish.errors import EXIT_TRUSTED_PUBLISHING, EXIT_UPLOAD
from tpublish.redact import MASK, redact, register_secret, secret_forms, shorten

TOKEN = "canary-token-7d3e1a9b5c"
PASSWORD = "canary/p@ss w0rd&<x>+'\"=%é"
MODES = {"text": (), "verbose": ("--verbose",), "json": ("--json",), "debug": ("--debug",)}


def b64(data: str) -> str:
    return base64.b64encode(data.encode()).decode()


def encodings(secret: str, username: str) -> dict[str, str]:
    """How a careless server, proxy or library might echo ``secret``."""
    return {
        "raw": secret,
        "url": quote(secret, safe=""),
        "url-path": quote(secret),
        "url-plus": quote_plus(secret),
        "url-lower": quote(secret, safe="").lower(),
        "html": html.escape(secret),
        "json": json.dumps(secret)[1:-1],
        "json-ascii": json.dumps(secret, ensure_ascii=True)[1:-1],
        "base64": b64(secret),
        "base64-urlsafe": base64.urlsafe_b64encode(secret.encode()).decode(),
        "basic": b64(f"{username}:{secret}"),
        "base64-in-a-blob": b64(f'{{"user": "{username}", "secret": "{secret}"}}'),
    }


@pytest.fixture
def dist(tmp_path: Path) -> list[str]:
    return [str(p) for p in make_release(tmp_path / "dist", "demo-pkg", "1.0.0")]


def upload(index: FakeIndex, dist: list[str], *args: str, env: dict[str, str] | None = None) -> Run:
    return tpublish(
        "upload", "--repository-url", index.upload_url, "--no-progress", "--retry-backoff",
        "0.01", "--retries", "0", *args, *dist, env=env,
    )  # fmt: skip


def test_every_form_of_a_secret_is_registered() -> None:
    register_secret(PASSWORD, username="alice")
    for name, form in encodings(PASSWORD, "alice").items():
        if name == "url-lower":
            continue  # lower-casing touches the secret's own letters; the escapes are covered
        shown = redact(f"before {form} after")
        assert form not in shown, name
        if name != "base64-in-a-blob":
            assert shown == f"before {MASK} after", name
    assert PASSWORD in secret_forms(PASSWORD)


def test_a_message_is_masked_before_it_is_shortened() -> None:
    register_secret(TOKEN)
    text = "x" * 395 + TOKEN + " tail"
    assert TOKEN[:5] in text[:400]  # a cut first would have kept the token's start
    assert TOKEN[:5] not in shorten(text, 400)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("where", ["reason", "body", "json"])
def test_a_long_message_is_cut_after_the_secret_is_masked(
    index: FakeIndex, dist: list[str], where: str, mode: str
) -> None:
    """The index echoes the token at character 395 of a long message."""
    index.add_api_token(TOKEN)
    echoed = "x" * 395 + TOKEN + " and more"
    if where == "reason":
        index.faults.add("/legacy/", "status", method="POST", code=400, reason=echoed)
    else:
        index.reason_phrases = False
        payload = {"json": {"message": echoed}} if where == "json" else {"body": echoed}
        index.faults.add("/legacy/", "status", method="POST", code=400, **payload)

    run = upload(index, dist, "--token", TOKEN, *MODES[mode])

    assert run.exit_code == EXIT_UPLOAD
    assert "canary-to" not in run.output  # not even the first characters
    assert index.files == {}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("form", list(encodings(PASSWORD, "alice")))
def test_no_encoded_form_of_a_password_is_shown(
    index: FakeIndex, dist: list[str], form: str, mode: str
) -> None:
    index.allow_passwords = True
    index.add_user("alice", PASSWORD)
    index.reason_phrases = False
    echoed = encodings(PASSWORD, "alice")[form]
    index.faults.add("/legacy/", "status", method="POST", code=400, body=f"bad login {echoed} !")

    run = upload(index, dist, "-u", "alice", "-p", PASSWORD, *MODES[mode])

    assert run.exit_code == EXIT_UPLOAD
    for name, shown in encodings(PASSWORD, "alice").items():
        if name != "url-lower":
            assert shown not in run.output, f"{name} form leaked"
    assert "bad login" in run.output


def test_the_github_token_request_credential_is_a_secret(index: FakeIndex, dist: list[str]) -> None:
    """GitHub's token endpoint echoes the request token in an error: id puts the body in its
    message, we show that message; the request token never shows."""
    secret = index.github_request_token
    echo = f"bad bearer {secret} / {b64(secret)} / {quote(secret)}"
    index.faults.add("/_fake/github/token", "status", 10, code=500, body=echo)

    run = upload(index, dist, "--verbose", "--debug", env=github_env(index))

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "OIDC token request failed (code=500" in run.stderr
    assert "bad bearer" in run.stderr
    assert secret not in run.output
    assert b64(secret) not in run.output


@pytest.mark.parametrize(
    "variable", ["ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_RUNTIME_TOKEN", "CI_JOB_TOKEN",
                 "CI_JOB_JWT_V2", "PYPI_ID_TOKEN", "BUILDKITE_AGENT_ACCESS_TOKEN",
                 "CIRCLE_OIDC_TOKEN"],
)  # fmt: skip
def test_each_ci_request_credential_is_masked_wherever_it_shows(
    index: FakeIndex, dist: list[str], variable: str
) -> None:
    secret = f"canary-{variable.lower()}-6b2f"
    index.reason_phrases = False
    index.faults.add("/legacy/", "status", method="POST", code=400, body=f"saw {secret} here")

    run = upload(index, dist, "--token", index.add_api_token(), env={variable: secret})

    assert run.exit_code == EXIT_UPLOAD
    assert "saw ******** here" in run.stderr
    assert secret not in run.output


@pytest.mark.parametrize("mode", list(MODES))
def test_no_canary_on_the_lookup_path(index: FakeIndex, dist: list[str], mode: str) -> None:
    """The listing links the file through a URL holding the token, and the download echoes it:
    the uncertain outcome's explanation shows both, masked."""
    index.add_api_token(TOKEN)
    wheel = Path(dist[0]).name
    index.faults.add("/legacy/", "drop_after_store", method="POST")
    index.faults.add(
        "/legacy/", "status", method="POST", code=400,
        reason=f"File already exists ('{wheel}') {TOKEN}",
    )  # fmt: skip
    link = f"{index.url}/files/{wheel}?auth={quote(TOKEN)}&b={b64('__token__:' + TOKEN)}"
    page = f'<a href="{link}">{wheel}</a>'
    index.faults.add("/simple/", "none", method="GET")  # the look-up before the release
    index.faults.add("/simple/", "status", method="GET", code=200, body=page,
                     content_type="text/html")  # fmt: skip
    index.faults.add("/files/", "status", 3, method="GET", code=500, body=f"no {TOKEN}")

    run = upload(index, dist, "--token", TOKEN, "--retries", "1", *MODES[mode])

    assert run.exit_code == EXIT_UPLOAD, run.output
    assert "uncertain" in run.output
    for form in encodings(TOKEN, "__token__").values():
        assert form not in run.output
    assert sorted(index.files) == sorted(Path(p).name for p in dist)
