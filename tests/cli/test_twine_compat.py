"""twine's command lines and configurations, through the real command: the fake index and pypiserver.

What a twine 7 user types or keeps in ``~/.pypirc`` works the same, or is refused or warned about
in words; where tpublish differs on purpose the README's twine table says so.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from builders import make_release, make_sdist, make_wheel
from cli_helpers import Run, tpublish
from fakeindex import FakeIndex
from servers import PyPIServer, pip_download, pypiserver
from terminal import pseudo_terminal
from tpublish.errors import EXIT_CREDENTIALS, EXIT_INPUT, EXIT_OK

PLAIN = (("Description-Content-Type", "text/markdown"),)
SIGNING_WARNING = (
    "ignored: PyPI no longer accepts signatures and tpublish makes none; "
    "PEP 740 attestations replace them (--attestations)"
)


@pytest.fixture
def dist(tmp_path: Path) -> list[Path]:
    return [
        make_wheel(tmp_path / "dist", "demo-pkg", "1.0.0", extra_metadata=PLAIN),
        make_sdist(tmp_path / "dist", "demo-pkg", "1.0.0", extra_metadata=PLAIN),
    ]


def upload(*args: str, env: dict[str, str] | None = None) -> Run:
    return tpublish("upload", "--no-progress", "--retry-backoff", "0.01", *args, env=env)


def pypirc(home: Path, text: str) -> Path:
    path = home / ".pypirc"
    path.write_text(text, encoding="utf-8")
    return path


def warnings(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("warning: ")]


# -- options -------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["-c", "--comment"])
def test_comment_short_and_long(index: FakeIndex, token: str, dist: list[Path], flag: str) -> None:
    run = upload("--repository-url", index.upload_url, "-t", token, flag, "nightly", str(dist[0]))

    assert run.exit_code == EXIT_OK, run.output
    assert ("comment", "nightly") in index.uploads[0].form


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["-s"], "--sign"),
        (["--sign", "--identity", "KEYID"], "--sign/--identity"),
        (["--sign-with", "gpg2"], "--sign-with"),
        (["-s", "--sign-with", "gpg2", "-i", "KEYID"], "--sign/--sign-with/--identity"),
    ],
)
def test_gpg_options_are_accepted_with_one_warning(
    index: FakeIndex, token: str, dist: list[Path], args: list[str], named: str
) -> None:
    run = upload("--repository-url", index.upload_url, "-t", token, *args, *map(str, dist))

    assert run.exit_code == EXIT_OK, run.output
    assert warnings(run) == [f"warning: {named}: {SIGNING_WARNING}"]
    assert sorted(index.files) == sorted(p.name for p in dist)
    assert all(key != "gpg_signature" for key, _ in index.uploads[0].form)


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--trusted-publishing", "automatic"], {}),
        ([], {"TPUBLISH_TRUSTED_PUBLISHING": "automatic"}),
    ],
)
def test_uvs_spelling_automatic_is_auto(
    index: FakeIndex, dist: list[Path], args: list[str], env: dict[str, str]
) -> None:
    run = upload("--repository-url", index.upload_url, "--non-interactive", *args, *map(str, dist))

    assert run.exit_code == EXIT_CREDENTIALS  # auto outside CI: no credential, as with "auto"
    assert "no credentials found" in run.stderr
    assert "Invalid value" not in run.output


def test_help_shows_the_new_options() -> None:
    text = tpublish("upload", "--help").stdout

    for option in ("-c, --comment", "--allow-http", "-s, --sign", "--sign-with", "-i, --identity"):
        assert option in text


# -- twine's environment ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "prompts"),
    [("1", False), ("true", False), ("yes", False), ("on", False), ("0", True), ("no", True)],
)
def test_twine_non_interactive_as_twine_reads_it(
    index: FakeIndex, dist: list[Path], value: str, prompts: bool
) -> None:
    """twine: any value but empty, 0, false and no means "never prompt" (click would refuse "on").
    On a terminal the difference is whether tpublish asks for the username."""
    command = [sys.executable, "-m", "tpublish", "upload", "--repository-url", index.upload_url]
    env = {**os.environ, "TWINE_NON_INTERACTIVE": value}
    with pseudo_terminal() as (terminal, chunks):
        process = subprocess.Popen(
            [*command, *map(str, dist)], stdin=terminal, stdout=terminal, stderr=terminal, env=env
        )
        deadline = time.monotonic() + 60
        while process.poll() is None and b"Enter your" not in b"".join(chunks):
            assert time.monotonic() < deadline, b"".join(chunks)
            time.sleep(0.05)
        asked = process.poll() is None
        process.kill()
        process.wait()
    shown = b"".join(chunks).decode(errors="replace")
    assert asked == prompts, shown
    if not prompts:
        assert process.returncode == EXIT_CREDENTIALS
        assert "no credentials found" in shown
    assert not index.uploads


def test_twine_skip_existing_is_not_read_as_twine_7_reads_none(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    args = ("--repository-url", index.upload_url, "-t", token, *map(str, dist))
    assert upload(*args).exit_code == EXIT_OK

    again = upload(*args, env={"TWINE_SKIP_EXISTING": "1"})

    assert again.exit_code == 1
    assert "hint: use --skip-existing" in again.stderr


def test_a_command_line_name_beats_twine_repository_url_with_a_warning(
    index: FakeIndex, token: str, dist: list[Path], clean_environment: Path
) -> None:
    pypirc(
        clean_environment,
        f"[distutils]\nindex-servers = local\n[local]\nrepository = {index.upload_url}\n",
    )

    run = upload(
        "-r", "local", "-t", token, *map(str, dist),
        env={"TWINE_REPOSITORY_URL": "https://elsewhere.example/legacy/"},
    )  # fmt: skip

    assert run.exit_code == EXIT_OK, run.output
    assert sorted(index.files) == sorted(p.name for p in dist)
    assert warnings(run) == [
        "warning: -r/--repository local is used, not TWINE_REPOSITORY_URL from the environment "
        "(twine would upload to that URL)"
    ]


def test_testpypi_missing_from_index_servers_is_refused_as_in_twine(
    dist: list[Path], clean_environment: Path
) -> None:
    pypirc(clean_environment, "[distutils]\nindex-servers = pypi\n")

    run = upload("-r", "testpypi", "--token", "pypi-x" * 4, *map(str, dist))

    assert run.exit_code == EXIT_INPUT
    assert "error: unknown repository 'testpypi' (from -r/--repository): not in ~/.pypirc" in (
        run.stderr
    )
    assert "hint: add testpypi to `index-servers`" in run.stderr
    assert "--repository-url https://test.pypi.org/legacy/" in run.stderr


# -- anonymous uploads ---------------------------------------------------------------------------

ANONYMOUS = (
    "[distutils]\nindex-servers = local\n[local]\nrepository = {url}\nusername =\npassword =\n"
)


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PyPIServer]:
    """pypiserver that takes uploads from anyone (``-a . -P .``)."""
    with pypiserver(tmp_path_factory.mktemp("open-pypiserver"), anonymous=True) as running:
        yield running


@pytest.mark.slow
def test_empty_username_and_password_upload_anonymously_to_pypiserver(
    open_server: PyPIServer, clean_environment: Path, tmp_path: Path
) -> None:
    make_release(tmp_path / "dist", "anonymous-pkg", "1.0")
    pypirc(clean_environment, ANONYMOUS.format(url=open_server.url))

    run = upload("-r", "local", "--non-interactive", "-v", str(tmp_path / "dist" / "*"))

    assert run.exit_code == EXIT_OK, run.output
    assert "credential: no credentials: an anonymous upload (~/.pypirc [local]" in run.stderr
    got = pip_download(open_server.simple_url, "anonymous-pkg==1.0", tmp_path / "got", binary=True)
    assert [p.name for p in got] == ["anonymous_pkg-1.0-py3-none-any.whl"]


def test_an_anonymous_upload_sends_no_authorization_header(
    index: FakeIndex, dist: list[Path], clean_environment: Path
) -> None:
    pypirc(clean_environment, ANONYMOUS.format(url=index.upload_url))

    run = upload("-r", "local", "--non-interactive", *map(str, dist))

    # The fake Warehouse wants a credential: it refuses, and shows what it was sent.
    assert run.exit_code == EXIT_CREDENTIALS
    assert index.uploads and all("authorization" not in r.headers for r in index.requests)


def test_a_username_or_password_from_elsewhere_beats_the_empty_pair(
    index: FakeIndex, token: str, dist: list[Path], clean_environment: Path
) -> None:
    pypirc(clean_environment, ANONYMOUS.format(url=index.upload_url))

    run = upload("-r", "local", "--non-interactive", *map(str, dist), env={"TPUBLISH_TOKEN": token})

    assert run.exit_code == EXIT_OK, run.output
    expected = base64.b64encode(f"__token__:{token}".encode()).decode()
    assert index.uploads[0].headers["authorization"] == f"Basic {expected}"


def test_only_a_username_in_pypirc_is_no_anonymous_upload(
    index: FakeIndex, dist: list[Path], clean_environment: Path
) -> None:
    pypirc(
        clean_environment,
        f"[distutils]\nindex-servers = local\n[local]\nrepository = {index.upload_url}\n"
        "username =\n",
    )

    run = upload("-r", "local", "--non-interactive", *map(str, dist))

    assert run.exit_code == EXIT_CREDENTIALS
    assert "no credentials found" in run.stderr
    assert not index.requests


def test_pypi_never_gets_an_anonymous_upload(dist: list[Path], clean_environment: Path) -> None:
    """PyPI takes API tokens only: an empty pair there is no credential (trusted publishing or
    the prompt may still give one), and nothing is sent without one."""
    pypirc(clean_environment, "[pypi]\nusername =\npassword =\n")

    run = upload("--non-interactive", "--dry-run", "--json", *map(str, dist))

    assert run.exit_code == EXIT_CREDENTIALS
    assert json.loads(run.stdout)["error"]["type"] == "CredentialError"
