"""Where the credential comes from, in one readable order.

The username and the password are looked up independently; each is the first value found in:

1. command-line flags: ``--token T`` (username ``__token__``, password T), ``--username``,
   ``--password``;
2. the ``TPUBLISH_*`` environment: ``TPUBLISH_TOKEN``, ``TPUBLISH_USERNAME``, ``TPUBLISH_PASSWORD``;
3. twine's environment: ``TWINE_USERNAME``, ``TWINE_PASSWORD``;
4. the repository's ``.pypirc`` section (``username``, ``password``) or the URL's ``user:pass@``;
5. the keyring, service = the repository URL: the username from ``get_credential(url, None)``, the
   password from ``get_password(url, username)``. Off with ``--no-keyring`` or
   ``TPUBLISH_NO_KEYRING=1``; any keyring failure counts as "nothing there", and without a
   terminal a keyring that does not answer within ``KEYRING_TIMEOUT`` seconds is given up on;
6. (trusted publishing: the caller's step, taken when this module returns ``None``);
7. an interactive prompt, only when the caller says the run is interactive (stdin is a terminal
   and there is no ``--non-interactive``).

Within one place a token beats a username/password. For PyPI and TestPyPI the username is, as in
twine, ``__token__`` unless a flag or the environment gives one: PyPI takes API tokens only, so a
``.pypirc`` or keyring username is not used. A username of ``__token__`` without a token is not a
credential yet: trusted publishing or the prompt may supply the token.

Other indexes, as twine 7 treats them:

- a ``.pypirc`` section with ``username =`` and ``password =`` both empty (and no username or
  password from a flag or the environment) uploads with no Authorization header at all;
- with a TLS client certificate and no password anywhere (keyring included), the certificate is the
  credential: a username alone is sent with an empty password, no username means no header. There
  is no prompt then.

Every password and token is registered for redaction the moment it is read.
"""

from __future__ import annotations

import getpass
import sys
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tpublish.auth.keyrings import KEYRING_TIMEOUT, TOKEN_USERNAME, Found, from_keyring
from tpublish.auth.settings import Repository
from tpublish.auth.source import Credential
from tpublish.errors import CredentialError
from tpublish.redact import register_secret

DEFAULT_PYPI_USERNAME = "default for PyPI"
CERTIFICATE = "client-certificate"  # the kind of a credential that is the TLS client certificate

Prompt = Callable[[str, bool], str]  # (message, secret) -> answer
_Candidate = tuple[str, str, str | None]  # (source, "token" | "username" | "password", value)


def resolve_credential(
    *,
    repository: Repository,
    token: str | None,
    username: str | None,
    password: str | None,
    env: Mapping[str, str],
    use_keyring: bool = True,
    interactive: bool,
    prompt: Prompt | None = None,
    notes: list[str] | None = None,
    keyring_timeout: float = KEYRING_TIMEOUT,
) -> Credential | None:
    """The credential for ``repository``, or ``None`` when nothing at all is configured.

    A half-configured credential (a username without a password, or the reverse) is completed at
    the ``prompt`` (the terminal when ``None``) on an interactive run, and is a ``CredentialError``
    otherwise. ``notes``, when given, receives one line per source consulted, never a secret.
    """
    notes = notes if notes is not None else []
    candidates = _candidates(repository, token, username, password, env)
    # PyPI takes API tokens only: a .pypirc username is not used there (twine does the same).
    ignored = _pypirc_source(repository) if repository.is_pypi else None
    user_lookup = _first("username", candidates, ignored=ignored)
    secret_lookup = _first("password", candidates)
    user, secret = user_lookup.found, secret_lookup.found
    if user is None and secret is None and repository.anonymous and not repository.is_pypi:
        source = f"{_pypirc_source(repository)}: empty username and password"
        notes.append(f"credentials: none, an anonymous upload ({source})")
        return Credential("", "", source=source, kind="anonymous")
    keyring_notes: list[str] = []
    if secret is None or (user is None and not repository.is_pypi):
        timeout = None if interactive else keyring_timeout
        keyring_on = use_keyring and not _truthy(env.get("TPUBLISH_NO_KEYRING"))
        user, secret = from_keyring(repository, user, secret, keyring_on, timeout, keyring_notes)
    if user is None and repository.is_pypi:
        user = (TOKEN_USERNAME, DEFAULT_PYPI_USERNAME)
    # One line per setting: where it came from, or where it was looked for.
    notes.append(user_lookup.line(user, shown=True))
    certificate_only = secret is None and repository.client_cert and not repository.is_pypi
    if certificate_only and (user is None or user[0] != TOKEN_USERNAME):
        notes.extend(keyring_notes)
        return _certificate_credential(repository, user, notes)
    notes.append(secret_lookup.line(secret, shown=False))
    notes.extend(keyring_notes)
    if secret is None and (user is None or user[0] == TOKEN_USERNAME):
        return None
    user, secret = _complete(repository, user, secret, interactive, prompt)
    return _credential(repository, user, secret, _layer_warnings(candidates))


def _certificate_credential(
    repository: Repository, user: Found | None, notes: list[str]
) -> Credential:
    """The TLS client certificate as the credential: twine sends the username with no password."""
    where = repository.client_cert_source or "--client-cert"
    if user is None:
        notes.append(f"credentials: the TLS client certificate only (from {where})")
        return Credential("", "", source=f"TLS client certificate from {where}", kind=CERTIFICATE)
    notes.append(f"password: none; the TLS client certificate (from {where}) stands in for it")
    source = f"username from {user[1]}, TLS client certificate from {where}"
    return Credential(user[0], "", source=source, kind=CERTIFICATE)


def explicit_credentials(
    *,
    repository: Repository,
    token: str | None,
    username: str | None,
    password: str | None,
    env: Mapping[str, str],
) -> list[str]:
    """Each credential configured by flag, environment, ``.pypirc`` or URL: "a password (--password)".

    The username ``__token__`` alone is no credential (trusted publishing supplies the token), nor
    is a ``.pypirc`` username for PyPI, which is never used there. The keyring is not consulted.
    """
    ignored = _pypirc_source(repository) if repository.is_pypi else None
    found = []
    for source, kind, value in _candidates(repository, token, username, password, env):
        if not value or (kind == "username" and (value == TOKEN_USERNAME or source == ignored)):
            continue
        found.append(f"a {kind} ({source})")
    return found


def prompt_credential(
    repository: Repository,
    *,
    interactive: bool,
    prompt: Prompt | None = None,
    username: str | None = None,
) -> Credential:
    """Ask for the whole credential (the last step); when not interactive, say how to provide one.

    ``prompt`` defaults to the terminal. For PyPI only the API token is asked for.
    """
    if not interactive:
        raise no_credential_error(repository)
    if repository.is_pypi:
        username = TOKEN_USERNAME
    user = (username, "prompt") if username else None
    found_user, secret = _complete(repository, user, None, interactive, prompt)
    return _credential(repository, found_user, secret, ())


def no_credential_error(repository: Repository) -> CredentialError:
    """The error for "no credential anywhere, and no way to ask"."""
    how = "--token or TPUBLISH_TOKEN" if repository.is_pypi else "--username/--password"
    return CredentialError(
        f"no credentials found for {repository.url}",
        hint=f"pass {how} (or TWINE_USERNAME/TWINE_PASSWORD), add them to ~/.pypirc or the "
        "keyring, or set up trusted publishing for this CI job",
    )


def default_prompt(message: str, secret: bool) -> str:
    """Ask on the terminal; the answer to a secret question is not echoed."""
    if secret:
        return getpass.getpass(message)
    sys.stderr.write(message)
    sys.stderr.flush()
    return sys.stdin.readline().rstrip("\r\n")


def _candidates(
    repository: Repository,
    token: str | None,
    username: str | None,
    password: str | None,
    env: Mapping[str, str],
) -> list[_Candidate]:
    """Flags, environment and ``.pypirc``, in order; secrets are registered here."""
    pypirc = _pypirc_source(repository)
    candidates: list[_Candidate] = [
        ("--token", "token", token),
        ("--username", "username", username),
        ("--password", "password", password),
        ("TPUBLISH_TOKEN", "token", env.get("TPUBLISH_TOKEN")),
        ("TPUBLISH_USERNAME", "username", env.get("TPUBLISH_USERNAME")),
        ("TPUBLISH_PASSWORD", "password", env.get("TPUBLISH_PASSWORD")),
        ("TWINE_USERNAME", "username", env.get("TWINE_USERNAME")),
        ("TWINE_PASSWORD", "password", env.get("TWINE_PASSWORD")),
        (pypirc, "username", repository.username),
        (pypirc, "password", repository.password),
    ]
    for _, kind, value in candidates:
        if kind == "token":
            register_secret(value, username=TOKEN_USERNAME)
        elif kind == "password":
            register_secret(value)
    return candidates


def _pypirc_source(repository: Repository) -> str:
    return repository.credentials_source or "~/.pypirc"


@dataclass
class _Lookup:
    """Where one setting (username or password) was looked for, and what was found."""

    what: str
    found: Found | None = None
    not_set: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    _tried_before: int = 0  # how many of ``not_set`` were looked at before ``found``

    def line(self, final: Found | None, *, shown: bool) -> str:
        """``password: from TWINE_PASSWORD (tried first: --token, …; also set, not used: …)``."""
        unused = f"also set, not used: {', '.join(self.unused)}" if self.unused else ""
        if final is None:
            text = f"{self.what}: not set (looked in {', '.join(self.not_set)})"
            return f"{text}; {unused}" if unused else text
        if final[1] == DEFAULT_PYPI_USERNAME:
            text = f"{self.what}: __token__, the default for PyPI (it takes API tokens only)"
            return f"{text}; {unused}" if unused else text
        text = (
            f"{self.what}: {final[0]} from {final[1]}" if shown else f"{self.what}: from {final[1]}"
        )
        # Only what was looked at before the winner was tried; what came after was not needed.
        tried = self.not_set if self.found is None else self.not_set[: self._tried_before]
        extra = [f"tried first: {', '.join(tried)}" if tried else "", unused]
        extra = [part for part in extra if part]
        return f"{text} ({'; '.join(extra)})" if extra else text


def _first(what: str, candidates: list[_Candidate], *, ignored: str | None = None) -> _Lookup:
    """The first candidate with a value for ``what``, and where else it was looked for."""
    lookup = _Lookup(what)
    for source, kind, value in candidates:
        if kind not in (what, "token"):
            continue
        if kind == "token" and what == "username" and value:
            value = TOKEN_USERNAME
        if not value:
            lookup.not_set.append(f"{source} (empty)" if value == "" else source)
        elif source == ignored and value != TOKEN_USERNAME:
            lookup.unused.append(f"{source} (PyPI takes API tokens only)")
        elif lookup.found is not None:
            lookup.unused.append(source)
        else:
            lookup.found, lookup._tried_before = (value, source), len(lookup.not_set)
    return lookup


def _complete(
    repository: Repository,
    user: Found | None,
    secret: Found | None,
    interactive: bool,
    prompt: Prompt | None,
) -> tuple[Found, Found]:
    """Prompt for what is still missing, or say what is missing and how to provide it."""
    if user is None:
        if not interactive:
            raise (
                _missing_username(repository, secret) if secret else no_credential_error(repository)
            )
        user = (_ask(prompt, f"Enter your username for {repository.url}: ", False), "prompt")
    if secret is None:
        if not interactive:
            raise _missing_password(repository, user)
        what = "API token" if user[0] == TOKEN_USERNAME else "password"
        value = _ask(prompt, f"Enter your {what} for {repository.url}: ", True)
        register_secret(value, username=user[0])
        secret = (value, "prompt")
    return user, secret


def _ask(prompt: Prompt | None, message: str, secret: bool) -> str:
    answer = (prompt or default_prompt)(message, secret)
    if secret:
        register_secret(answer)
    if not answer:
        raise CredentialError(f"nothing entered at: {message.strip()}")
    return answer


def _missing_username(repository: Repository, secret: Found) -> CredentialError:
    return CredentialError(
        f"a password was found ({secret[1]}) but no username for {repository.url}",
        hint="pass --username or set TPUBLISH_USERNAME or TWINE_USERNAME"
        " (for an API token use --token or TPUBLISH_TOKEN instead)",
    )


def _missing_password(repository: Repository, user: Found) -> CredentialError:
    section = f"[{repository.name}] section of ~/.pypirc" if repository.name else "~/.pypirc"
    return CredentialError(
        f"no password for username {user[0]!r} ({user[1]}) for {repository.url}",
        hint=f"pass --password, set TPUBLISH_PASSWORD or TWINE_PASSWORD, add `password` to the "
        f"{section}, or store it with `keyring set {repository.url} {user[0]}`"
        " (or run in a terminal without --non-interactive to be asked)",
    )


def _credential(
    repository: Repository, user: Found, secret: Found, warnings: tuple[str, ...]
) -> Credential:
    register_secret(secret[0], username=user[0])
    kind = "token" if user[0] == TOKEN_USERNAME else "password"
    source = _pair_source(user[1], secret[1])
    warnings += _value_warnings(repository, user[0], secret[0], kind, source)
    return Credential(user[0], secret[0], source=source, kind=kind, warnings=warnings)


def _pair_source(user_source: str, secret_source: str) -> str:
    """One name for where the pair came from: ``--token``, ``TWINE_USERNAME/TWINE_PASSWORD``…"""
    if user_source in (secret_source, DEFAULT_PYPI_USERNAME):
        return secret_source
    if user_source.replace("USERNAME", "PASSWORD").replace("username", "password") == secret_source:
        return f"{user_source}/{secret_source}"
    return f"username from {user_source}, password from {secret_source}"


def _layer_warnings(candidates: list[_Candidate]) -> tuple[str, ...]:
    """A token set next to a username or password in the same place wins; say so."""
    warnings = []
    for token_source, others in (
        ("--token", "--username/--password"),
        ("TPUBLISH_TOKEN", "TPUBLISH_USERNAME/TPUBLISH_PASSWORD"),
    ):
        values = {s: v for s, _, v in candidates if s in (token_source, *others.split("/"))}
        if values[token_source] and any(values[s] for s in others.split("/")):
            warnings.append(f"{token_source} is set, so {others} is ignored")
    return tuple(warnings)


def _value_warnings(
    repository: Repository, username: str, secret: str, kind: str, source: str
) -> tuple[str, ...]:
    """Things about the credential that will probably make the index refuse it."""
    warnings = []
    if repository.is_pypi and kind == "token" and not secret.startswith("pypi-"):
        warnings.append(
            f"the token from {source} does not look like a PyPI API token"
            " (those start with 'pypi-')"
        )
    if repository.is_pypi and kind == "password":
        warnings.append(
            f"PyPI does not accept passwords (username {username!r}, from"
            f" {source}): use an API token (--token) or trusted publishing"
        )
    elif kind == "password" and secret.startswith("pypi-"):
        warnings.append(
            f"the password from {source} looks like an API token, but the username"
            f" is {username!r}: API tokens go with the username __token__"
        )
    if secret != secret.strip() or any(unicodedata.category(c)[0] == "C" for c in secret):
        warnings.append(
            f"the {kind} from {source} contains whitespace or control characters (a stray newline?)"
        )
    return tuple(warnings)


def _truthy(value: str | None) -> bool:
    return bool(value and value.strip().lower() not in ("0", "false", "no", ""))
