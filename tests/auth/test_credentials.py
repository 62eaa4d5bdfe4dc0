"""Where the credential comes from: flags > TPUBLISH_* > TWINE_* > .pypirc > keyring > prompt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend

from keyring_backend import HangingBackend, LockedBackend, MemoryBackend
from tpublish.auth.credentials import prompt_credential, resolve_credential
from tpublish.auth.pypirc import PYPI_UPLOAD_URL
from tpublish.auth.settings import Repository
from tpublish.auth.source import Credential
from tpublish.errors import EXIT_CREDENTIALS, CredentialError
from tpublish.redact import redact

TESTS = Path(__file__).resolve().parents[1]
CANARY = "CANARY-cred-s3cr3t-0123456789"
PRIVATE_URL = "https://pkgs.example.com/upload/"


def private(username: str | None = None, password: str | None = None) -> Repository:
    return Repository(
        name="private",
        url=PRIVATE_URL,
        url_source="~/.pypirc [private]",
        username=username,
        password=password,
        ca_bundle=None,
        client_cert=None,
        credentials_source="~/.pypirc [private]" if username or password else None,
    )


def pypi(username: str | None = None, password: str | None = None) -> Repository:
    return Repository(
        name="pypi",
        url=PYPI_UPLOAD_URL,
        url_source="default (pypi)",
        username=username,
        password=password,
        ca_bundle=None,
        client_cert=None,
        credentials_source="~/.pypirc [pypi]" if username or password else None,
    )


class FakePrompt:
    """Answers questions from a list and remembers them."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, bool]] = []

    def __call__(self, message: str, secret: bool) -> str:
        self.asked.append((message, secret))
        return self.answers.pop(0)


def resolve(
    repository: Repository | None = None,
    env: Mapping[str, str] | None = None,
    *,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    interactive: bool = False,
    prompt: FakePrompt | None = None,
    use_keyring: bool = True,
    notes: list[str] | None = None,
) -> Credential | None:
    return resolve_credential(
        repository=repository or private(),
        token=token,
        username=username,
        password=password,
        env=env or {},
        use_keyring=use_keyring,
        interactive=interactive,
        prompt=prompt or FakePrompt(),
        notes=notes,
        keyring_timeout=0.2,
    )


@pytest.fixture(autouse=True)
def backend() -> Iterator[MemoryBackend]:
    """An empty in-memory keyring for every test; the process-wide keyring is restored after."""
    saved = keyring.core._keyring_backend
    memory = MemoryBackend()
    keyring.set_keyring(memory)
    yield memory
    keyring.core._keyring_backend = saved


def install(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)


def pair(credential: Credential | None) -> tuple[str, str, str, str]:
    assert credential is not None
    return credential.username, credential.password, credential.source, credential.kind


# --- precedence ---------------------------------------------------------------------------------

ALL_ENV = {
    "TPUBLISH_USERNAME": "tp-user",
    "TPUBLISH_PASSWORD": "tp-pass",
    "TWINE_USERNAME": "tw-user",
    "TWINE_PASSWORD": "tw-pass",
}


def test_flags_beat_tpublish_env(backend: MemoryBackend) -> None:
    got = resolve(
        private("rc-user", "rc-pass"), ALL_ENV, username="flag-user", password="flag-pass"
    )
    assert pair(got) == ("flag-user", "flag-pass", "--username/--password", "password")


def test_tpublish_env_beats_twine_env() -> None:
    got = resolve(private("rc-user", "rc-pass"), ALL_ENV)
    assert pair(got) == ("tp-user", "tp-pass", "TPUBLISH_USERNAME/TPUBLISH_PASSWORD", "password")


def test_twine_env_beats_pypirc() -> None:
    env = {k: v for k, v in ALL_ENV.items() if k.startswith("TWINE")}
    got = resolve(private("rc-user", "rc-pass"), env)
    assert pair(got) == ("tw-user", "tw-pass", "TWINE_USERNAME/TWINE_PASSWORD", "password")


def test_pypirc_beats_keyring(backend: MemoryBackend) -> None:
    backend.entries = {PRIVATE_URL: {"kr-user": "kr-pass", "rc-user": "kr-pass-2"}}
    got = resolve(private("rc-user", "rc-pass"))
    assert pair(got) == ("rc-user", "rc-pass", "~/.pypirc [private]", "password")
    assert backend.calls == []


def test_keyring_when_nothing_else(backend: MemoryBackend) -> None:
    backend.entries = {PRIVATE_URL: {"kr-user": "kr-pass"}}
    got = resolve()
    assert pair(got) == ("kr-user", "kr-pass", f"keyring ({PRIVATE_URL})", "password")


def test_username_and_password_resolve_independently(backend: MemoryBackend) -> None:
    backend.entries = {PRIVATE_URL: {"alice": "kr-pass"}}
    got = resolve(private(password="rc-pass"), {"TWINE_USERNAME": "alice"})
    assert pair(got) == (
        "alice",
        "rc-pass",
        "username from TWINE_USERNAME, password from ~/.pypirc [private]",
        "password",
    )
    got = resolve(private(), {"TWINE_USERNAME": "alice"})
    assert pair(got)[1:3] == (
        "kr-pass",
        "username from TWINE_USERNAME, password from keyring (https://pkgs.example.com/upload/)",
    )
    assert backend.calls[-1] == (PRIVATE_URL, "alice")


def test_token_flag_means_token_username() -> None:
    got = resolve(pypi(), token="pypi-abcdefgh")
    assert pair(got) == ("__token__", "pypi-abcdefgh", "--token", "token")
    assert got is not None and got.warnings == ()


def test_token_env() -> None:
    got = resolve(pypi(), {"TPUBLISH_TOKEN": "pypi-abcdefgh", **ALL_ENV})
    assert pair(got) == ("__token__", "pypi-abcdefgh", "TPUBLISH_TOKEN", "token")


def test_token_flag_beats_environment() -> None:
    got = resolve(private(), {"TPUBLISH_TOKEN": "env-token", **ALL_ENV}, token="flag-token")
    assert pair(got)[:3] == ("__token__", "flag-token", "--token")


def test_username_password_flags_beat_token_env() -> None:
    got = resolve(private(), {"TPUBLISH_TOKEN": "env-token"}, username="u", password="p")
    assert pair(got)[:3] == ("u", "p", "--username/--password")


def test_token_wins_within_its_layer_with_a_warning() -> None:
    got = resolve(private(), token="tok-123", username="u", password="p")
    assert got is not None
    assert pair(got)[:2] == ("__token__", "tok-123")
    assert got.warnings == ("--token is set, so --username/--password is ignored",)


def test_empty_values_count_as_unset() -> None:
    notes: list[str] = []
    got = resolve(
        private("rc-user", "rc-pass"), {"TWINE_USERNAME": "", "TWINE_PASSWORD": ""}, notes=notes
    )
    assert pair(got)[2] == "~/.pypirc [private]"
    assert notes[1] == (
        "password: from ~/.pypirc [private] (tried first: --token, --password, TPUBLISH_TOKEN,"
        " TPUBLISH_PASSWORD, TWINE_PASSWORD (empty))"
    )


# --- PyPI: API tokens only ------------------------------------------------------------------------


def test_pypi_username_defaults_to_token() -> None:
    got = resolve(pypi(), {"TWINE_PASSWORD": "pypi-abcdefgh"})
    assert pair(got) == ("__token__", "pypi-abcdefgh", "TWINE_PASSWORD", "token")


def test_pypi_ignores_pypirc_username_like_twine() -> None:
    notes: list[str] = []
    got = resolve(pypi("alice", "pypi-abcdefgh"), notes=notes)
    assert pair(got) == ("__token__", "pypi-abcdefgh", "~/.pypirc [pypi]", "token")
    assert notes[0] == (
        "username: __token__, the default for PyPI (it takes API tokens only);"
        " also set, not used: ~/.pypirc [pypi] (PyPI takes API tokens only)"
    )


def test_pypi_keyring_is_asked_for_token_username(backend: MemoryBackend) -> None:
    backend.entries = {PYPI_UPLOAD_URL: {"__token__": "pypi-from-keyring"}}
    got = resolve(pypi())
    assert pair(got) == ("__token__", "pypi-from-keyring", f"keyring ({PYPI_UPLOAD_URL})", "token")
    assert backend.calls == [(PYPI_UPLOAD_URL, "__token__")]


# --- nothing configured -> None (the caller tries trusted publishing) ---------------------------


@pytest.mark.parametrize("repository", [private(), pypi()])
def test_nothing_configured_returns_none(repository: Repository, backend: MemoryBackend) -> None:
    assert resolve(repository, interactive=True) is None
    assert backend.calls  # the keyring was asked


def test_token_username_without_token_returns_none() -> None:
    assert resolve(pypi(), {"TWINE_USERNAME": "__token__"}) is None


# --- half a credential ---------------------------------------------------------------------------


def test_username_without_password_non_interactive_is_an_error() -> None:
    prompt = FakePrompt()
    with pytest.raises(CredentialError) as caught:
        resolve(private(), {"TWINE_USERNAME": "alice"}, prompt=prompt)
    error = caught.value
    assert error.exit_code == EXIT_CREDENTIALS
    assert str(error) == f"no password for username 'alice' (TWINE_USERNAME) for {PRIVATE_URL}"
    assert error.hint == (
        "pass --password, set TPUBLISH_PASSWORD or TWINE_PASSWORD, add `password` to the [private]"
        f" section of ~/.pypirc, or store it with `keyring set {PRIVATE_URL} alice`"
        " (or run in a terminal without --non-interactive to be asked)"
    )
    assert prompt.asked == []


def test_password_without_username_non_interactive_is_an_error() -> None:
    with pytest.raises(CredentialError) as caught:
        resolve(private(), {"TWINE_PASSWORD": CANARY})
    assert (
        str(caught.value)
        == f"a password was found (TWINE_PASSWORD) but no username for {PRIVATE_URL}"
    )
    assert CANARY not in f"{caught.value} {caught.value.hint}"


def test_interactive_prompts_for_the_missing_password() -> None:
    prompt = FakePrompt(CANARY)
    got = resolve(private(), {"TWINE_USERNAME": "alice"}, interactive=True, prompt=prompt)
    assert pair(got) == (
        "alice",
        CANARY,
        "username from TWINE_USERNAME, password from prompt",
        "password",
    )
    assert prompt.asked == [(f"Enter your password for {PRIVATE_URL}: ", True)]
    assert redact(CANARY) == "********"


def test_interactive_prompts_for_the_missing_username() -> None:
    prompt = FakePrompt("bob")
    got = resolve(private(), {"TWINE_PASSWORD": "pw-123"}, interactive=True, prompt=prompt)
    assert pair(got)[:2] == ("bob", "pw-123")
    assert prompt.asked == [(f"Enter your username for {PRIVATE_URL}: ", False)]


def test_prompt_credential_asks_pypi_for_a_token_only() -> None:
    prompt = FakePrompt("pypi-typed-in-123")
    got = prompt_credential(pypi(), interactive=True, prompt=prompt)
    assert pair(got) == ("__token__", "pypi-typed-in-123", "prompt", "token")
    assert prompt.asked == [(f"Enter your API token for {PYPI_UPLOAD_URL}: ", True)]


def test_prompt_credential_asks_username_then_password() -> None:
    prompt = FakePrompt("bob", "pw-123")
    assert pair(prompt_credential(private(), interactive=True, prompt=prompt))[:3] == (
        "bob",
        "pw-123",
        "prompt",
    )


def test_prompt_credential_non_interactive_says_how() -> None:
    with pytest.raises(
        CredentialError, match=f"^no credentials found for {PYPI_UPLOAD_URL}$"
    ) as caught:
        prompt_credential(pypi(), interactive=False, prompt=FakePrompt())
    assert caught.value.hint is not None and "--token" in caught.value.hint


def test_empty_answer_is_an_error() -> None:
    with pytest.raises(CredentialError, match="nothing entered"):
        prompt_credential(pypi(), interactive=True, prompt=FakePrompt(""))


# --- keyring trouble -----------------------------------------------------------------------------


def test_locked_keyring_is_nothing_there() -> None:
    install(LockedBackend())
    notes: list[str] = []
    assert resolve(notes=notes) is None
    assert notes[-1] == (
        f"keyring ({PRIVATE_URL}): unavailable (KeyringLocked: the keyring is locked (test))"
    )


def test_missing_keyring_backend_is_nothing_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no_such_module.Keyring")
    keyring.core._keyring_backend = None
    notes: list[str] = []
    assert resolve(pypi(), notes=notes) is None
    assert notes[-1].startswith(
        f"keyring ({PYPI_UPLOAD_URL}): unavailable (its backend cannot be loaded: No module named"
    )


def test_hanging_keyring_is_given_up_on_when_not_interactive() -> None:
    hanging = HangingBackend()
    install(hanging)
    notes: list[str] = []
    try:
        assert resolve(pypi(), notes=notes) is None
    finally:
        hanging.release.set()
    assert notes[-1] == f"keyring ({PYPI_UPLOAD_URL}): unavailable (no answer within 0.2s)"


@pytest.mark.parametrize(
    ("use_keyring", "env"), [(False, {}), (True, {"TPUBLISH_NO_KEYRING": "1"})]
)
def test_keyring_can_be_disabled(
    backend: MemoryBackend, use_keyring: bool, env: dict[str, str]
) -> None:
    backend.entries = {PRIVATE_URL: {"kr-user": "kr-pass"}}
    notes: list[str] = []
    assert resolve(private(), env, use_keyring=use_keyring, notes=notes) is None
    assert backend.calls == []
    assert notes[-1] == f"keyring ({PRIVATE_URL}): not asked (--no-keyring / TPUBLISH_NO_KEYRING)"


def test_keyring_through_environment_in_a_fresh_process(tmp_path: Path) -> None:
    """PYTHON_KEYRING_BACKEND=keyring_backend.FileBackend works, and keyring is imported lazily."""
    store = tmp_path / "keyring.json"
    store.write_text(json.dumps({PYPI_UPLOAD_URL: {"__token__": "pypi-from-file-keyring"}}))
    script = (
        "import sys\n"
        "from tpublish.auth.credentials import resolve_credential\n"
        "from tpublish.auth.settings import resolve_repository\n"
        "assert 'keyring' not in sys.modules\n"
        "repo = resolve_repository(\n"
        "    repository=None, repository_url=None, config_file=None, env={})\n"
        "c = resolve_credential(repository=repo, token=None, username=None, password=None,\n"
        "                       env={}, interactive=False)\n"
        "print(c.username, c.password, c.source)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS.parent / "src"), str(TESTS)]),
        "PYTHON_KEYRING_BACKEND": "keyring_backend.FileBackend",
        "TPUBLISH_TEST_KEYRING_FILE": str(store),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "__token__",
        "pypi-from-file-keyring",
        "keyring",
        f"({PYPI_UPLOAD_URL})",
    ]


# --- secrets never shown -------------------------------------------------------------------------


def test_repr_and_str_never_show_the_password() -> None:
    got = resolve(private(), {"TWINE_USERNAME": "alice", "TWINE_PASSWORD": CANARY})
    assert got is not None
    assert CANARY not in repr(got)
    assert CANARY not in str(got)
    assert "alice" in repr(got)


@pytest.mark.parametrize(
    "source",
    [
        "--token",
        "--password",
        "TPUBLISH_TOKEN",
        "TPUBLISH_PASSWORD",
        "TWINE_PASSWORD",
        "pypirc",
        "keyring",
    ],
)
def test_every_secret_is_registered_for_redaction(source: str, backend: MemoryBackend) -> None:
    env: dict[str, str] = {"TWINE_USERNAME": "alice"}
    kwargs: dict[str, str] = {}
    repository = private()
    if source.startswith("--"):
        kwargs[source[2:]] = CANARY
    elif source == "pypirc":
        repository = private(password=CANARY)
    elif source == "keyring":
        backend.entries = {PRIVATE_URL: {"alice": CANARY}}
    else:
        env[source] = CANARY
    notes: list[str] = []
    got = resolve_credential(
        repository=repository,
        env=env,
        interactive=False,
        notes=notes,
        token=kwargs.get("token"),
        username=None,
        password=kwargs.get("password"),
    )
    assert got is not None and got.password == CANARY
    assert CANARY not in redact(f"error: {CANARY}")
    assert all(CANARY not in note for note in notes)


# --- warnings ------------------------------------------------------------------------------------


def test_warns_about_a_token_that_does_not_look_like_one() -> None:
    got = resolve(pypi(), token="not-a-pypi-token")
    assert got is not None
    assert got.warnings == (
        "the token from --token does not look like a PyPI API token (those start with 'pypi-')",
    )


def test_warns_about_passwords_for_pypi() -> None:
    got = resolve(pypi(), {"TWINE_USERNAME": "alice", "TWINE_PASSWORD": "hunter22"})
    assert got is not None
    assert got.warnings == (
        "PyPI does not accept passwords (username 'alice', from TWINE_USERNAME/TWINE_PASSWORD):"
        " use an API token (--token) or trusted publishing",
    )


def test_no_warnings_for_a_private_index_password() -> None:
    got = resolve(private(), {"TWINE_USERNAME": "alice", "TWINE_PASSWORD": "hunter22"})
    assert got is not None and got.warnings == ()


def test_warns_about_a_stray_newline() -> None:
    got = resolve(pypi(), {"TPUBLISH_TOKEN": "pypi-abcdefgh\n"})
    assert got is not None
    assert got.warnings == (
        "the token from TPUBLISH_TOKEN contains whitespace or control characters"
        " (a stray newline?)",
    )
