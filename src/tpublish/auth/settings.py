"""Where the target repository and its settings come from.

Every setting is taken from the first of these places that has a value:

1. a command-line flag: ``--repository-url``, ``-r/--repository``, ``--cert``, ``--client-cert``,
   ``--config-file``;
2. the ``TPUBLISH_*`` environment: ``TPUBLISH_REPOSITORY_URL``, ``TPUBLISH_REPOSITORY``,
   ``TPUBLISH_CERT``, ``TPUBLISH_CLIENT_CERT``, ``TPUBLISH_CONFIG_FILE``;
3. twine's ``TWINE_*`` environment: ``TWINE_REPOSITORY_URL``, ``TWINE_REPOSITORY``, ``TWINE_CERT``
   (twine 7 reads no ``TWINE_CONFIG_FILE``, so neither do we);
4. the ``.pypirc`` file (``~/.pypirc`` unless a config file is named above), section by section:
   ``repository``, ``username``, ``password``, ``ca_cert``, ``client_cert``;
5. the defaults: repository ``pypi`` = https://upload.pypi.org/legacy/.

The repository is one setting with two spellings, a URL or a name. Within one place a URL beats a
name; a name typed on the command line beats a URL from the environment (twine lets
``TWINE_REPOSITORY_URL`` win over ``-r``: we do not send a release somewhere other than the
command line says, and warn about the difference). A name picks a ``.pypirc`` section (``pypi``
always exists, ``testpypi`` unless ``index-servers`` leaves it out, as in twine 7). An
explicit URL skips ``.pypirc`` (as in twine), except that when a name was given too and that
section's ``repository`` is the same URL, the section's credentials and certificates apply.
Credentials in the URL (``https://user:pass@host/``) are taken out of it and used like a section's.

Empty values count as unset. A missing ``~/.pypirc`` is fine; a missing named config file is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from tpublish.auth.pypirc import (
    PYPI_UPLOAD_URL,
    PYPIRC_SPEC,
    TESTPYPI_UPLOAD_URL,
    Pypirc,
    PypircSection,
    first_set,
    read_config,
)
from tpublish.errors import InputError
from tpublish.pypi import PYPI_HOSTS, is_pypi_url
from tpublish.redact import register_secret

_RETIRED_HOSTS = frozenset({"pypi.python.org", "testpypi.python.org"})


@dataclass(frozen=True)
class TargetOptions:
    """What the command line says about the target repository and its certificates."""

    repository: str | None = None
    repository_url: str | None = None
    config_file: str | None = None
    cert: str | None = None
    client_cert: str | None = None


@dataclass(frozen=True)
class Repository:
    """The index to upload to, and what ``.pypirc`` (or the URL) says about it."""

    name: str | None
    url: str
    url_source: str
    username: str | None
    password: str | None = field(repr=False)
    ca_bundle: str | None
    client_cert: str | None
    credentials_source: str | None = (
        None  # where username/password came from, e.g. "~/.pypirc [pypi]"
    )
    ca_bundle_source: str | None = None
    client_cert_source: str | None = None
    anonymous: bool = False  # .pypirc: empty ``username =`` and ``password =``: no credentials
    warnings: tuple[str, ...] = ()  # what the person should know about how this was resolved

    @property
    def is_pypi(self) -> bool:
        """True for PyPI and TestPyPI, which take API tokens (username ``__token__``) only."""
        return is_pypi_url(self.url)


def resolve_repository(
    *,
    repository: str | None,
    repository_url: str | None,
    config_file: str | None,
    env: Mapping[str, str],
    cert: str | None = None,
    client_cert: str | None = None,
) -> Repository:
    """Pick the repository, its URL, its ``.pypirc`` credentials and its certificates."""
    url_choice, name_choice = _choose_target(repository, repository_url, env)
    if url_choice is not None:
        repo = _from_url(*url_choice, name_choice, config_file, env)
    else:
        name, name_source = name_choice or ("pypi", None)
        pypirc = read_config(config_file, env)
        repo = replace(
            _from_section(name, name_source, pypirc),
            warnings=_unread_section_warning(name, pypirc),
        )
    overridden = _env_url_overridden(repository, repository_url, env)
    if overridden:
        repo = replace(repo, warnings=(*repo.warnings, overridden))
    return _with_certificates(repo, cert, client_cert, env)


def _env_url_overridden(
    repository: str | None, repository_url: str | None, env: Mapping[str, str]
) -> str | None:
    """Where twine would go elsewhere: ``-r NAME`` with a repository URL in the environment."""
    name = first_set((repository, "-r/--repository"))
    if name is None or first_set((repository_url, "--repository-url")):
        return None
    for variable in ("TPUBLISH_REPOSITORY_URL", "TWINE_REPOSITORY_URL"):
        if first_set((env.get(variable), variable)):
            return (
                f"-r/--repository {name[0]} is used, not {variable} from the environment "
                "(twine would upload to that URL)"
            )
    return None


def _unread_section_warning(name: str, pypirc: Pypirc) -> tuple[str, ...]:
    """A section of that name is in the file but ``index-servers`` does not list it (twine skips it)."""
    if name not in pypirc.unlisted:
        return ()
    return (
        f"[{name}] in {pypirc.display} is not listed in `index-servers` of its [distutils] "
        "section, so its settings are not used (twine ignores it too)",
    )


def _choose_target(
    repository: str | None, repository_url: str | None, env: Mapping[str, str]
) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """The (url, source) and (name, source) of the first place that names a repository."""
    layers = (
        ((repository_url, "--repository-url"), (repository, "-r/--repository")),
        (
            (env.get("TPUBLISH_REPOSITORY_URL"), "TPUBLISH_REPOSITORY_URL"),
            (env.get("TPUBLISH_REPOSITORY"), "TPUBLISH_REPOSITORY"),
        ),
        (
            (env.get("TWINE_REPOSITORY_URL"), "TWINE_REPOSITORY_URL"),
            (env.get("TWINE_REPOSITORY"), "TWINE_REPOSITORY"),
        ),
    )
    for url, name in layers:
        if first_set(url) or first_set(name):
            return first_set(url), first_set(name)
    return None, None


def _from_url(
    raw_url: str,
    source: str,
    name_choice: tuple[str, str] | None,
    config_file: str | None,
    env: Mapping[str, str],
) -> Repository:
    """An explicit URL; a named section contributes only when its URL is the same."""
    url, username, password = validate_url(raw_url, source)
    repo = Repository(
        name=None,
        url=url,
        url_source=source,
        username=username,
        password=password,
        ca_bundle=None,
        client_cert=None,
        credentials_source=source if username is not None else None,
    )
    if name_choice is None:
        return repo
    pypirc = read_config(config_file, env)
    section = pypirc.sections.get(name_choice[0])
    if section is None or section.repository is None or not _same_url(section.repository, url):
        return repo
    return _section_repository(section, url, source, pypirc.display)


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def _from_section(name: str, name_source: str | None, pypirc: Pypirc) -> Repository:
    """The repository a ``.pypirc`` section (or a built-in name) describes."""
    section = pypirc.sections.get(name)
    if section is None:
        raise _unknown_name(name, name_source, pypirc)
    where = f"{pypirc.display} [{name}]"
    if section.repository is None:
        raise InputError(
            f"{where} has no repository URL",
            hint=f"add `repository = https://…/` to that section ({PYPIRC_SPEC})",
        )
    url, _, _ = validate_url(section.repository, where)
    if not section.builtin_url:
        url_source = where
    elif name_source is None:
        url_source = f"default ({name})"
    else:
        url_source = f"{name_source} {name} (built-in URL)"
    return _section_repository(section, url, url_source, pypirc.display)


def _section_repository(
    section: PypircSection, url: str, url_source: str, display: str
) -> Repository:
    has_credentials = (
        section.username is not None or section.password is not None or section.anonymous
    )
    return Repository(
        name=section.name,
        url=url,
        url_source=url_source,
        username=section.username,
        password=section.password,
        ca_bundle=section.ca_cert,
        client_cert=section.client_cert,
        credentials_source=f"{display} [{section.name}]" if has_credentials else None,
        ca_bundle_source=f"{display} [{section.name}]" if section.ca_cert else None,
        client_cert_source=f"{display} [{section.name}]" if section.client_cert else None,
        anonymous=section.anonymous,
    )


def _unknown_name(name: str, name_source: str | None, pypirc: Pypirc) -> InputError:
    known = ", ".join(sorted(pypirc.sections))
    chosen = f" (from {name_source})" if name_source else ""
    if name == "testpypi":  # twine 7 knows testpypi only when index-servers lists it
        hint = (
            f"add testpypi to `index-servers` in the [distutils] section of {pypirc.display}"
            f" (twine needs that too), or pass --repository-url {TESTPYPI_UPLOAD_URL}"
        )
    elif name in pypirc.unlisted:
        hint = f"add {name} to `index-servers` in the [distutils] section of {pypirc.display}"
    else:
        hint = f"known repositories: {known}; or pass --repository-url"
    return InputError(f"unknown repository {name!r}{chosen}: not in {pypirc.display}", hint=hint)


def _with_certificates(
    repo: Repository, cert: str | None, client_cert: str | None, env: Mapping[str, str]
) -> Repository:
    """Apply ``--cert``/``--client-cert`` and their environment variables over ``.pypirc``."""
    ca = first_set(
        (cert, "--cert"),
        (env.get("TPUBLISH_CERT"), "TPUBLISH_CERT"),
        (env.get("TWINE_CERT"), "TWINE_CERT"),
        (repo.ca_bundle, repo.ca_bundle_source or ""),
    )
    client = first_set(
        (client_cert, "--client-cert"),
        (env.get("TPUBLISH_CLIENT_CERT"), "TPUBLISH_CLIENT_CERT"),
        (repo.client_cert, repo.client_cert_source or ""),
    )
    for found, what in ((ca, "CA bundle"), (client, "client certificate")):
        if found is not None and not Path(found[0]).expanduser().is_file():
            raise InputError(f"{what} not found: {found[0]} (from {found[1]})")
    return replace(
        repo,
        ca_bundle=ca[0] if ca else None,
        ca_bundle_source=ca[1] if ca else None,
        client_cert=client[0] if client else None,
        client_cert_source=client[1] if client else None,
    )


def validate_url(url: str, source: str) -> tuple[str, str | None, str | None]:
    """Check an upload URL; return it without userinfo, plus the username and password in it."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a bad port
    except ValueError as exc:
        raise InputError(f"invalid repository URL from {source}: {exc}") from None
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    register_secret(password, username=username)
    netloc = parts.netloc.rpartition("@")[2]
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise InputError(
            f"invalid repository URL from {source}: {urlunsplit(parts._replace(netloc=netloc))!r}"
            " (it must be an http:// or https:// URL with a host)",
            hint=f"for PyPI use {PYPI_UPLOAD_URL}",
        )
    clean = urlunsplit(parts._replace(netloc=netloc))
    if host in PYPI_HOSTS or host in _RETIRED_HOSTS:
        clean = _check_pypi_url(urlunsplit(parts._replace(scheme="https", netloc=netloc)), source)
    return clean, username, password


def _check_pypi_url(url: str, source: str) -> str:
    """PyPI takes uploads only at ``/legacy/``; name the right URL for the usual mistakes."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    right = TESTPYPI_UPLOAD_URL if host.startswith("test") else PYPI_UPLOAD_URL
    if host in _RETIRED_HOSTS:
        raise InputError(f"{url} (from {source}) no longer accepts uploads", hint=f"use {right}")
    if host in ("upload.pypi.org", "test.pypi.org") and parts.path.rstrip("/") == "/legacy":
        return url
    site = "TestPyPI" if right == TESTPYPI_UPLOAD_URL else "PyPI"
    what = f"not {site}'s upload URL" if host == "upload.pypi.org" else f"the {site} web site"
    raise InputError(f"{url} (from {source}) is {what}", hint=f"use {right}")
