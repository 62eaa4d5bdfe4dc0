"""Where the repository comes from: flags, TPUBLISH_*, TWINE_*, .pypirc, defaults."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from twine.utils import get_config

from tpublish.auth.pypirc import PYPI_UPLOAD_URL, TESTPYPI_UPLOAD_URL, load_pypirc
from tpublish.auth.settings import Repository, resolve_repository
from tpublish.errors import EXIT_INPUT, InputError
from tpublish.redact import redact

CANARY = "CANARY-pypirc-s3cr3t-0123456789"
PRIVATE_URL = "https://pkgs.example.com/upload/"

PYPIRC = f"""\
[distutils]
index-servers =
    pypi
    private

[pypi]
username = __token__
password = pypi-{CANARY}

[private]
repository = {PRIVATE_URL}
username = alice
password = {CANARY}
"""


def resolve(
    env: Mapping[str, str] | None = None,
    *,
    repository: str | None = None,
    repository_url: str | None = None,
    config_file: str | None = None,
    cert: str | None = None,
    client_cert: str | None = None,
) -> Repository:
    return resolve_repository(
        repository=repository,
        repository_url=repository_url,
        config_file=config_file,
        env=env or {},
        cert=cert,
        client_cert=client_cert,
    )


@pytest.fixture
def pypirc(clean_environment: Path) -> Path:
    path = clean_environment / ".pypirc"
    path.write_text(PYPIRC, encoding="utf-8")
    return path


def test_default_is_pypi_without_any_config() -> None:
    repo = resolve()
    assert (repo.name, repo.url, repo.url_source) == ("pypi", PYPI_UPLOAD_URL, "default (pypi)")
    assert (repo.username, repo.password, repo.ca_bundle, repo.client_cert) == (None,) * 4
    assert repo.is_pypi


def test_builtin_testpypi_by_name() -> None:
    repo = resolve(repository="testpypi")
    assert repo.url == TESTPYPI_UPLOAD_URL
    assert repo.url_source == "-r/--repository testpypi (built-in URL)"


# --- precedence: flag > TPUBLISH_* > TWINE_* > .pypirc > default ----------------------------

ENV_ALL = {
    "TPUBLISH_REPOSITORY_URL": "https://tpublish-env.example/legacy/",
    "TWINE_REPOSITORY_URL": "https://twine-env.example/legacy/",
    "TWINE_REPOSITORY": "testpypi",
}


def test_flag_url_beats_environment() -> None:
    repo = resolve(ENV_ALL, repository_url="https://flag.example/legacy/")
    assert (repo.url, repo.url_source) == ("https://flag.example/legacy/", "--repository-url")


def test_tpublish_env_beats_twine_env() -> None:
    repo = resolve(ENV_ALL)
    assert (repo.url, repo.url_source) == (
        ENV_ALL["TPUBLISH_REPOSITORY_URL"],
        "TPUBLISH_REPOSITORY_URL",
    )


def test_twine_env_url_beats_twine_env_name() -> None:
    env = {k: v for k, v in ENV_ALL.items() if not k.startswith("TPUBLISH")}
    repo = resolve(env)
    assert (repo.url, repo.url_source) == (ENV_ALL["TWINE_REPOSITORY_URL"], "TWINE_REPOSITORY_URL")
    assert repo.name is None


def test_twine_env_name_beats_default() -> None:
    assert resolve({"TWINE_REPOSITORY": "testpypi"}).url == TESTPYPI_UPLOAD_URL


def test_tpublish_env_name_beats_twine_env_url() -> None:
    repo = resolve({"TPUBLISH_REPOSITORY": "testpypi", "TWINE_REPOSITORY_URL": PRIVATE_URL})
    assert repo.url == TESTPYPI_UPLOAD_URL


def test_flag_name_beats_environment_url() -> None:
    repo = resolve({"TPUBLISH_REPOSITORY_URL": PRIVATE_URL}, repository="testpypi")
    assert repo.url == TESTPYPI_UPLOAD_URL


def test_empty_environment_values_count_as_unset() -> None:
    repo = resolve({"TPUBLISH_REPOSITORY_URL": "", "TWINE_REPOSITORY": "testpypi"})
    assert repo.url == TESTPYPI_UPLOAD_URL


# --- .pypirc -------------------------------------------------------------------------------


def test_custom_section(pypirc: Path) -> None:
    repo = resolve(repository="private")
    assert (repo.name, repo.url, repo.url_source) == ("private", PRIVATE_URL, "~/.pypirc [private]")
    assert (repo.username, repo.password) == ("alice", CANARY)
    assert repo.credentials_source == "~/.pypirc [private]"
    assert not repo.is_pypi


def test_pypirc_password_is_registered_for_redaction(pypirc: Path) -> None:
    resolve()
    assert CANARY not in redact(f"server said: bad password {CANARY}")


def test_builtin_pypi_section_keeps_builtin_url_and_reads_credentials(pypirc: Path) -> None:
    repo = resolve()
    assert (repo.url, repo.url_source) == (PYPI_UPLOAD_URL, "default (pypi)")
    assert (repo.username, repo.password) == ("__token__", f"pypi-{CANARY}")
    assert repo.credentials_source == "~/.pypirc [pypi]"


def test_env_name_picks_pypirc_section(pypirc: Path) -> None:
    assert resolve({"TWINE_REPOSITORY": "private"}).url == PRIVATE_URL


def test_missing_section_lists_known_names(pypirc: Path) -> None:
    with pytest.raises(InputError) as caught:
        resolve(repository="nope")
    assert str(caught.value) == "unknown repository 'nope' (from -r/--repository): not in ~/.pypirc"
    # index-servers lists pypi and private: twine 7 knows no testpypi then, nor do we.
    assert caught.value.hint == "known repositories: private, pypi; or pass --repository-url"
    assert caught.value.exit_code == EXIT_INPUT


def test_section_not_listed_in_index_servers_gets_a_hint(clean_environment: Path) -> None:
    (clean_environment / ".pypirc").write_text(
        "[distutils]\nindex-servers = pypi\n\n[private]\nrepository = https://x.example/\n"
    )
    with pytest.raises(InputError) as caught:
        resolve(repository="private")
    assert caught.value.hint is not None
    assert "index-servers" in caught.value.hint


def test_section_without_repository_url(clean_environment: Path) -> None:
    (clean_environment / ".pypirc").write_text("[distutils]\nindex-servers = private\n[private]\n")
    with pytest.raises(InputError, match=r"~/.pypirc \[private\] has no repository URL"):
        resolve(repository="private")


def test_pypi_always_exists_testpypi_only_when_index_servers_lists_it(tmp_path: Path) -> None:
    path = tmp_path / "pypirc"
    path.write_text(
        f"[distutils]\nindex-servers = private\n[private]\nrepository = {PRIVATE_URL}\n"
    )
    sections = load_pypirc(path).sections
    assert sections["pypi"].repository == PYPI_UPLOAD_URL
    assert "testpypi" not in sections  # twine 7: "Missing 'testpypi' section"
    assert sections["private"].repository == PRIVATE_URL


TWINE_CASES = {
    "ours": PYPIRC + "\n[server-login]\nusername = legacy\n\n[extra]\nca_cert = /ca.pem\n",
    "no-distutils": "[pypi]\nusername = testuser\npassword = testpassword\n",
    "no-section": "[distutils]\nindex-servers = pypi foo\n[pypi]\nusername = u\npassword = p\n",
    "override-pypi-url": "[pypi]\nrepository = http://pypiproxy\n",
    "empty-userpass": "[pypi]\nusername=\npassword=\n",
    "unlisted-builtins": (
        "[distutils]\nindex-servers = private\n[private]\nrepository = https://x.example/\n"
        "[pypi]\npassword = unread\n[testpypi]\npassword = unread\n"
    ),
    "listed-testpypi-override": "[distutils]\nindex-servers = testpypi\n[testpypi]\nusername = t\n",
}


@pytest.mark.parametrize("text", list(TWINE_CASES.values()), ids=list(TWINE_CASES))
def test_sections_match_twine_get_config(tmp_path: Path, text: str) -> None:
    path = tmp_path / "pypirc"
    path.write_text(text)
    ours = load_pypirc(path).sections
    theirs = get_config(str(path))
    # twine also has no section for a listed name without one; we keep it, to say so on use.
    assert set(theirs) <= set(ours)
    assert set(ours) - set(theirs) <= {s for s in ours if ours[s].repository is None}
    for name, config in theirs.items():
        section = ours[name]
        for key in ("repository", "username", "password", "ca_cert", "client_cert"):
            expected = config.get(key) or None  # empty values: None, and the section says so
            assert getattr(section, key) == expected, (name, key)
        empty = config.get("username") == "" and config.get("password") == ""
        assert section.anonymous == empty, name


def test_testpypi_unlisted_says_how_to_get_it(clean_environment: Path) -> None:
    (clean_environment / ".pypirc").write_text("[distutils]\nindex-servers = pypi\n")
    with pytest.raises(InputError) as caught:
        resolve(repository="testpypi")
    assert caught.value.hint is not None
    assert "add testpypi to `index-servers`" in caught.value.hint
    assert TESTPYPI_UPLOAD_URL in caught.value.hint


def test_an_unlisted_pypi_section_is_not_read_and_says_so(clean_environment: Path) -> None:
    (clean_environment / ".pypirc").write_text(
        f"[distutils]\nindex-servers = private\n[private]\nrepository = {PRIVATE_URL}\n"
        f"[pypi]\nusername = __token__\npassword = pypi-{CANARY}\n"
    )
    repo = resolve()
    assert repo.url == PYPI_UPLOAD_URL
    assert repo.password is None  # twine ignores it too
    assert any("[pypi] in ~/.pypirc is not listed in `index-servers`" in w for w in repo.warnings)


def test_a_command_line_name_beats_twine_repository_url_and_says_so(pypirc: Path) -> None:
    repo = resolve({"TWINE_REPOSITORY_URL": "https://elsewhere.example/"}, repository="private")
    assert repo.url == PRIVATE_URL
    assert repo.warnings == (
        "-r/--repository private is used, not TWINE_REPOSITORY_URL from the environment "
        "(twine would upload to that URL)",
    )


def test_empty_username_and_password_mean_anonymous(clean_environment: Path) -> None:
    (clean_environment / ".pypirc").write_text(
        f"[distutils]\nindex-servers = private\n[private]\nrepository = {PRIVATE_URL}\n"
        "username =\npassword =\n"
    )
    repo = resolve(repository="private")
    assert repo.anonymous
    assert repo.username is None and repo.password is None


def test_server_login_supplies_default_credentials(tmp_path: Path) -> None:
    path = tmp_path / "pypirc"
    path.write_text("[server-login]\nusername = bob\npassword = hunter22\n")
    assert load_pypirc(path).sections["testpypi"].username == "bob"
    assert redact("hunter22") == "********"


def test_missing_default_file_is_fine() -> None:
    assert load_pypirc(Path("/nonexistent/.pypirc"), required=False).sections.keys() == {
        "pypi",
        "testpypi",
    }


@pytest.mark.parametrize(
    ("flag", "env"),
    [
        ("missing.cfg", {}),
        (None, {"TPUBLISH_CONFIG_FILE": "missing.cfg"}),
    ],
)
def test_explicit_missing_config_file_is_an_error(flag: str | None, env: dict[str, str]) -> None:
    with pytest.raises(InputError, match=r"^config file not found: missing.cfg$"):
        resolve(env, config_file=flag)


def test_twine_config_file_is_not_read_as_twine_7_reads_none() -> None:
    assert resolve({"TWINE_CONFIG_FILE": "missing.cfg"}).url == PYPI_UPLOAD_URL


def test_config_file_flag_beats_environment(tmp_path: Path) -> None:
    path = tmp_path / "custom.cfg"
    path.write_text(f"[distutils]\nindex-servers = mine\n[mine]\nrepository = {PRIVATE_URL}\n")
    repo = resolve({"TWINE_CONFIG_FILE": "missing.cfg"}, repository="mine", config_file=str(path))
    assert repo.url_source == f"{path} [mine]"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"password = {CANARY}\n", "line 1: expected a [section] header first"),
        (f"[pypi]\nusername = x\n{CANARY}\n", "line 3: expected `key = value`"),
        (
            f"[pypi]\npassword = {CANARY}\npassword = {CANARY}\n",
            "line 3: 'password' appears twice in [pypi]",
        ),
        ("[pypi]\n[pypi]\n", "line 2: section [pypi] appears twice"),
    ],
)
def test_malformed_file_names_file_and_problem_without_secrets(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "bad.pypirc"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        resolve(config_file=str(path))
    assert str(caught.value) == f"malformed config file {path}: {problem}"
    assert CANARY not in f"{caught.value} {caught.value.hint} {caught.value.__cause__}"


def test_malformed_default_file_is_an_error_too(clean_environment: Path) -> None:
    (clean_environment / ".pypirc").write_text("nonsense\n")
    with pytest.raises(InputError, match=r"^malformed config file ~/.pypirc: line 1"):
        resolve()


# --- explicit URLs ----------------------------------------------------------------------------


def test_explicit_url_skips_pypirc(pypirc: Path) -> None:
    repo = resolve(repository_url=PRIVATE_URL)
    assert (repo.name, repo.username, repo.password, repo.credentials_source) == (None,) * 4


def test_explicit_url_uses_named_section_with_same_url(pypirc: Path) -> None:
    repo = resolve(repository="private", repository_url=PRIVATE_URL.rstrip("/"))
    assert (repo.name, repo.username, repo.url_source) == ("private", "alice", "--repository-url")
    assert repo.url == PRIVATE_URL.rstrip("/")


def test_explicit_url_ignores_named_section_with_other_url(pypirc: Path) -> None:
    repo = resolve(repository="private", repository_url="https://other.example/")
    assert (repo.name, repo.username) == (None, None)


def test_credentials_in_url_are_taken_out_and_redacted() -> None:
    repo = resolve(repository_url=f"https://bob:{CANARY}@pkgs.example.com/simple/")
    assert repo.url == "https://pkgs.example.com/simple/"
    assert (repo.username, repo.password, repo.credentials_source) == (
        "bob",
        CANARY,
        "--repository-url",
    )
    assert CANARY not in redact(f"https://bob:{CANARY}@pkgs.example.com/")


def test_url_without_trailing_slash_is_kept() -> None:
    assert (
        resolve(repository_url="https://upload.pypi.org/legacy").url
        == "https://upload.pypi.org/legacy"
    )


def test_http_pypi_url_is_upgraded_to_https() -> None:
    assert resolve(repository_url="http://upload.pypi.org/legacy/").url == PYPI_UPLOAD_URL


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "upload.pypi.org/legacy/", "https://", "https://host:notaport/"]
)
def test_invalid_urls(url: str) -> None:
    with pytest.raises(InputError, match="invalid repository URL from --repository-url"):
        resolve(repository_url=url)


def test_invalid_url_message_hides_password() -> None:
    with pytest.raises(InputError) as caught:
        resolve({"TWINE_REPOSITORY_URL": f"ftp://bob:{CANARY}@example.com/"})
    assert CANARY not in str(caught.value)
    assert "TWINE_REPOSITORY_URL" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "message", "right"),
    [
        ("https://pypi.org/", "is the PyPI web site", PYPI_UPLOAD_URL),
        ("https://pypi.org/simple/", "is the PyPI web site", PYPI_UPLOAD_URL),
        ("https://upload.pypi.org/", "is not PyPI's upload URL", PYPI_UPLOAD_URL),
        ("https://test.pypi.org/simple/", "is the TestPyPI web site", TESTPYPI_UPLOAD_URL),
        ("https://pypi.python.org/pypi", "no longer accepts uploads", PYPI_UPLOAD_URL),
    ],
)
def test_pypi_web_urls_point_to_the_upload_url(url: str, message: str, right: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        resolve(repository_url=url)
    assert caught.value.hint == f"use {right}"


def test_pypirc_url_is_validated_too(clean_environment: Path) -> None:
    (clean_environment / ".pypirc").write_text(
        "[distutils]\nindex-servers = x\n[x]\nrepository = nope\n"
    )
    with pytest.raises(InputError, match=r"from ~/.pypirc \[x\]"):
        resolve(repository="x")


# --- certificates -----------------------------------------------------------------------------


@pytest.fixture
def certs(tmp_path: Path, clean_environment: Path) -> dict[str, str]:
    names = ("flag", "tpublish", "twine", "pypirc", "client")
    paths = {n: str(tmp_path / f"{n}.pem") for n in names}
    for path in paths.values():
        Path(path).write_text("-----BEGIN CERTIFICATE-----\n")
    (clean_environment / ".pypirc").write_text(
        f"[distutils]\nindex-servers = private\n[private]\nrepository = {PRIVATE_URL}\n"
        f"ca_cert = {paths['pypirc']}\nclient_cert = {paths['client']}\n"
    )
    return paths


def test_pypirc_certificates(certs: dict[str, str]) -> None:
    repo = resolve(repository="private")
    assert (repo.ca_bundle, repo.ca_bundle_source) == (certs["pypirc"], "~/.pypirc [private]")
    assert (repo.client_cert, repo.client_cert_source) == (certs["client"], "~/.pypirc [private]")


def test_cert_precedence(certs: dict[str, str]) -> None:
    env = {"TPUBLISH_CERT": certs["tpublish"], "TWINE_CERT": certs["twine"]}
    steps = [
        (certs["flag"], env, "--cert"),
        (None, env, "TPUBLISH_CERT"),
        (None, {"TWINE_CERT": certs["twine"]}, "TWINE_CERT"),
    ]
    for flag, environment, source in steps:
        repo = resolve(environment, repository="private", cert=flag)
        assert repo.ca_bundle_source == source
    assert (
        resolve({"TPUBLISH_CLIENT_CERT": certs["twine"]}, repository="private").client_cert
        == certs["twine"]
    )


def test_missing_cert_file_is_an_input_error() -> None:
    with pytest.raises(
        InputError, match=r"^CA bundle not found: /no/such.pem \(from TWINE_CERT\)$"
    ):
        resolve({"TWINE_CERT": "/no/such.pem"})
