"""Canary secrets on every upload path: the password or token never appears in what tpublish prints.

The canaries have no secret-like shape (no ``pypi-`` prefix, not a JWT), so only the registration of
the credential the moment it is read can mask them. Each scenario runs in several output modes, and
the base64 ``user:secret`` form of Basic auth is looked for as well. Trusted-publishing tokens have
their own tests; these are the upload paths.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cli_helpers import Run, tpublish, tpublish_process
from fakeindex import FakeIndex, fake_index
from fault_helpers import plain_release
from servers import free_port
from tpublish.errors import (
    EXIT_CREDENTIALS,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_UPLOAD,
)

TOKEN = "canary-token-5e1f9c3a7d2b"
PASSWORD = "canary-password-8a4c2e6f0b"
WRONG = "canary-wrong-token-3b7d9f1e"
USER = "alice"
MODES = {
    "text": (),
    "verbose": ("--verbose",),
    "json": ("--json",),
    "debug": ("--verbose", "--debug"),
}


def basic(username: str, secret: str) -> str:
    return base64.b64encode(f"{username}:{secret}".encode()).decode("ascii")


def forbidden(*secrets: tuple[str, str]) -> list[str]:
    """Each secret, and its Basic-auth encoding with its username."""
    return [form for user, secret in secrets for form in (secret, basic(user, secret))]


ALL_CANARIES = forbidden(("__token__", TOKEN), (USER, PASSWORD), ("__token__", WRONG))


def assert_no_canary(run: Run) -> None:
    for canary in ALL_CANARIES:
        assert canary not in run.stdout, f"{canary!r} leaked on stdout"
        assert canary not in run.stderr, f"{canary!r} leaked on stderr"


@pytest.fixture
def index() -> Iterator[FakeIndex]:
    with fake_index() as running:
        running.add_api_token(TOKEN)
        running.allow_passwords = True
        running.add_user(USER, PASSWORD)
        yield running


@pytest.fixture
def dist(tmp_path: Path) -> list[Path]:
    return plain_release(tmp_path)


def upload(url: str, files: list[Path], *args: str, env: dict[str, str] | None = None) -> Run:
    return tpublish(
        "upload",
        "--repository-url",
        url,
        "--no-progress",
        "--retry-backoff",
        "0.01",
        "--timeout",
        "1",
        "--connect-timeout",
        "1",
        *args,
        *(str(path) for path in files),
        env=env,
    )


def echo(secret: str, username: str = "__token__") -> str:
    """What a careless server or proxy might put in an error page: the credential it received."""
    return f"rejected {secret}; Authorization: Basic {basic(username, secret)}"


@dataclass(frozen=True)
class Scenario:
    """Faults to set up, the arguments of the upload, and the exit code it must end with."""

    setup: Callable[[FakeIndex], None]
    args: tuple[str, ...]
    exit_code: int
    sent: tuple[str, str] | None = ("__token__", TOKEN)  # the credential the index must have seen


def nothing(index: FakeIndex) -> None:
    pass


def reason_echo(index: FakeIndex) -> None:
    index.faults.add("/legacy/", "status", method="POST", code=400, reason=echo(TOKEN))


def body_echo(index: FakeIndex) -> None:
    index.reason_phrases = False
    index.faults.add("/legacy/", "status", method="POST", code=400, body=echo(TOKEN))


def json_echo(index: FakeIndex) -> None:
    index.reason_phrases = False
    index.faults.add("/legacy/", "status", method="POST", code=403, json={"message": echo(TOKEN)})


def retried_5xx(index: FakeIndex) -> None:
    index.faults.add("/legacy/", "status", 2, method="POST", code=502, body=echo(TOKEN))


def failing_5xx(index: FakeIndex) -> None:
    index.faults.add(
        "/legacy/", "status", 10, method="POST", code=503, reason=echo(TOKEN), retry_after=0
    )


def stalled(index: FakeIndex) -> None:
    index.faults.add("/legacy/", "stall", 10, method="POST", seconds=3)


def exists_identical(index: FakeIndex) -> None:
    """An index that says "already exists" (echoing the credential): --skip-existing looks it up
    in the simple API (with the credential), finds nothing to compare: uncertain, exit code 1."""
    index.faults.add(
        "/legacy/", "status", method="POST", code=400, reason="File already exists " + echo(TOKEN)
    )


SCENARIOS = {
    "success-token": Scenario(nothing, ("--token", TOKEN), EXIT_OK),
    "success-password": Scenario(
        nothing, ("-u", USER, "-p", PASSWORD), EXIT_OK, sent=(USER, PASSWORD)
    ),
    "wrong-credential-403": Scenario(
        nothing, ("--token", WRONG), EXIT_CREDENTIALS, sent=("__token__", WRONG)
    ),
    "400-reason-echo": Scenario(reason_echo, ("--token", TOKEN), EXIT_UPLOAD),
    "400-body-echo": Scenario(body_echo, ("--token", TOKEN), EXIT_UPLOAD),
    "403-json-echo": Scenario(json_echo, ("--token", TOKEN), EXIT_CREDENTIALS),
    "5xx-then-success": Scenario(retried_5xx, ("--token", TOKEN), EXIT_OK),
    "5xx-final-failure": Scenario(failing_5xx, ("--token", TOKEN, "--retries", "2"), EXIT_NETWORK),
    "timeouts": Scenario(stalled, ("--token", TOKEN, "--retries", "1"), EXIT_NETWORK),
    "skip-existing-lookup": Scenario(
        exists_identical, ("--token", TOKEN, "--skip-existing"), EXIT_UPLOAD
    ),
    "dry-run": Scenario(nothing, ("--token", TOKEN, "--dry-run"), EXIT_OK, sent=None),
}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_no_canary_in_the_output_of_an_upload_path(
    index: FakeIndex, dist: list[Path], name: str, mode: str
) -> None:
    scenario = SCENARIOS[name]
    scenario.setup(index)
    timeout = ("--timeout", "0.3") if name == "timeouts" else ()

    run = upload(index.upload_url, dist, *scenario.args, *MODES[mode], *timeout)

    assert run.exit_code == scenario.exit_code, run.output
    assert "Traceback" not in run.output
    assert_no_canary(run)
    if scenario.sent is None:
        assert index.uploads == []
    else:
        assert index.uploads[0].headers["authorization"] == f"Basic {basic(*scenario.sent)}"


@pytest.mark.parametrize("mode", list(MODES))
def test_no_canary_when_the_index_cannot_be_reached(dist: list[Path], mode: str) -> None:
    url = f"http://127.0.0.1:{free_port()}/legacy/"  # nothing listens there

    run = upload(url, dist, "--token", TOKEN, "--retries", "1", *MODES[mode])

    assert run.exit_code == EXIT_NETWORK
    assert "Traceback" not in run.output
    assert_no_canary(run)


@pytest.mark.parametrize(
    ("env", "username", "secret"),
    [
        ({"TPUBLISH_TOKEN": TOKEN}, "__token__", TOKEN),
        ({"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": TOKEN}, "__token__", TOKEN),
        ({"TPUBLISH_USERNAME": USER, "TPUBLISH_PASSWORD": PASSWORD}, USER, PASSWORD),
    ],
    ids=["TPUBLISH_TOKEN", "TWINE_PASSWORD", "TPUBLISH_PASSWORD"],
)
def test_no_canary_with_credentials_from_the_environment(
    index: FakeIndex, dist: list[Path], env: dict[str, str], username: str, secret: str
) -> None:
    index.faults.add("/legacy/", "status", 2, method="POST", code=500, body=echo(secret, username))
    index.faults.add("/legacy/", "status", method="POST", code=400, body=echo(secret, username))

    run = upload(index.upload_url, dist, "--verbose", "--debug", env=env)

    assert run.exit_code == EXIT_UPLOAD, run.output
    assert_no_canary(run)
    assert [r.headers["authorization"] for r in index.uploads] == [
        f"Basic {basic(username, secret)}"
    ] * 3


def test_no_canary_with_the_password_in_the_repository_url(
    index: FakeIndex, dist: list[Path]
) -> None:
    host = index.url.removeprefix("http://")
    url = f"http://{USER}:{PASSWORD}@{host}/legacy/"
    index.faults.add("/legacy/", "status", method="POST", code=503, body=echo(PASSWORD, USER))

    for mode in MODES.values():  # the later runs find the files there: the look-up path
        run = upload(url, dist, "--skip-existing", *mode)
        assert run.exit_code == EXIT_OK, run.output
        assert_no_canary(run)
    assert index.uploads[0].headers["authorization"] == f"Basic {basic(USER, PASSWORD)}"


def test_no_canary_in_the_traceback_of_an_internal_error_with_debug(
    index: FakeIndex, dist: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError(echo(TOKEN))

    monkeypatch.setattr("tpublish.cli.upload.publish_release", broken)

    run = upload(index.upload_url, dist, "--token", TOKEN, "--verbose", "--debug")

    assert run.exit_code == EXIT_UPLOAD
    assert "Traceback" in run.stderr  # --debug shows it ...
    assert "RuntimeError: rejected ********" in run.stderr  # ... masked
    assert "internal error" in run.stderr
    assert_no_canary(run)


@pytest.mark.parametrize("mode", list(MODES))
def test_no_canary_in_an_internal_error_during_an_upload(
    index: FakeIndex, dist: list[Path], monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """A bug while sending (here: the client itself) is reported with the file, masked."""

    def broken(client: httpx.Client, method: str, url: str, **kwargs: object) -> httpx.Response:
        raise RuntimeError(f"cannot send with auth={kwargs.get('auth')!r}")

    monkeypatch.setattr(httpx.Client, "stream", broken)

    run = upload(index.upload_url, dist, "--token", TOKEN, *MODES[mode])

    assert run.exit_code == EXIT_UPLOAD
    assert "internal error: RuntimeError: cannot send with auth=('__token__', '********')" in (
        run.output
    )
    if mode == "debug":  # --debug shows the traceback the hint asks for, masked
        assert "Traceback (most recent call last)" in run.stderr
        assert "RuntimeError: cannot send with auth=('__token__', '********')" in run.stderr
    else:
        assert "Traceback" not in run.output
    assert_no_canary(run)


def test_no_canary_from_a_real_process(index: FakeIndex, dist: list[Path]) -> None:
    """The same, through the real streams of ``python -m tpublish``."""
    index.faults.add("/legacy/", "status", method="POST", code=502, body=echo(TOKEN))
    env = {"TPUBLISH_TOKEN": TOKEN, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    args = ["upload", "--repository-url", index.upload_url, "--retry-backoff", "0.01"]

    run = tpublish_process(*args, "--verbose", "--debug", *(str(p) for p in dist), env=env)

    assert run.exit_code == EXIT_OK, run.output
    assert "retrying" in run.stderr
    assert_no_canary(run)


@pytest.mark.parametrize("mode", list(MODES))
def test_no_canary_on_the_pre_flight_paths(index: FakeIndex, dist: list[Path], mode: str) -> None:
    """The look-up before the release carries the credential; refusals, skips and dry-run
    predictions built from it never show it."""
    login = ("-u", USER, "-p", PASSWORD)
    assert upload(index.upload_url, dist, *login).exit_code == EXIT_OK

    refused = upload(index.upload_url, dist, *login, *MODES[mode])
    skipped = upload(index.upload_url, dist, *login, "--skip-existing", *MODES[mode])
    predicted = upload(index.upload_url, dist, *login, "--dry-run", *MODES[mode])

    assert refused.exit_code == EXIT_UPLOAD, refused.output
    assert skipped.exit_code == EXIT_OK, skipped.output
    assert predicted.exit_code == EXIT_UPLOAD, predicted.output
    for run in (refused, skipped, predicted):
        assert "Traceback" not in run.output
        assert_no_canary(run)
    reads = index.requests_to("/simple/demo-pkg/", "GET")
    assert {r.headers["authorization"] for r in reads} == {f"Basic {basic(USER, PASSWORD)}"}
    assert len(index.uploads) == 2  # the first run's only
