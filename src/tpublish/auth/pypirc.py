"""The ``.pypirc`` file, read as twine 7 reads it: ``index-servers``, sections, built-in repositories.

``pypi`` always exists; ``testpypi`` exists when ``index-servers`` lists it (as it does by default,
without the file or without ``[distutils]``). Only the sections ``index-servers`` lists are read.
A section whose ``username`` and ``password`` are both present and empty means "upload without
credentials" (an index that takes anonymous uploads), as in twine. Every password is registered
for redaction the moment it is read; a parse error never quotes the line (it may hold a password).
"""

from __future__ import annotations

import configparser
import locale
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tpublish.errors import InputError
from tpublish.redact import register_secret

PYPI_UPLOAD_URL = "https://upload.pypi.org/legacy/"
TESTPYPI_UPLOAD_URL = "https://test.pypi.org/legacy/"
DEFAULT_CONFIG_FILE = "~/.pypirc"
PYPIRC_SPEC = "https://packaging.python.org/specifications/pypirc/"

_BUILTIN_URLS = {"pypi": PYPI_UPLOAD_URL, "testpypi": TESTPYPI_UPLOAD_URL}
_SECTION_KEYS = ("repository", "username", "password", "ca_cert", "client_cert")


@dataclass(frozen=True)
class PypircSection:
    """One repository of a ``.pypirc`` file (or a built-in one)."""

    name: str
    repository: str | None
    username: str | None
    password: str | None = field(repr=False)
    ca_cert: str | None
    client_cert: str | None
    builtin_url: bool = False  # ``repository`` is the built-in default, not from the file
    anonymous: bool = False  # ``username =`` and ``password =`` both present and empty


@dataclass(frozen=True)
class Pypirc:
    """A parsed ``.pypirc``: the usable sections and those present but not in ``index-servers``."""

    display: str
    sections: Mapping[str, PypircSection]
    unlisted: tuple[str, ...] = ()


def first_set(*candidates: tuple[str | None, str]) -> tuple[str, str] | None:
    """The first (value, source) with a non-empty value."""
    for value, source in candidates:
        if value and value.strip():
            return value.strip(), source
    return None


def read_config(config_file: str | None, env: Mapping[str, str]) -> Pypirc:
    """Load the config file named by flag or environment, else ``~/.pypirc`` if it exists."""
    named = first_set(
        (config_file, "--config-file"),
        (env.get("TPUBLISH_CONFIG_FILE"), "TPUBLISH_CONFIG_FILE"),
    )
    if named is None:
        return load_pypirc(Path(DEFAULT_CONFIG_FILE).expanduser(), required=False)
    return load_pypirc(Path(named[0]).expanduser(), display=named[0])


def load_pypirc(path: Path, *, required: bool = True, display: str | None = None) -> Pypirc:
    """Parse a ``.pypirc`` the way twine does, with the built-in ``pypi`` and ``testpypi``."""
    display = display or _display_path(path)
    parser = _parse(path, display, required=required)
    defaults = {  # [server-login] is obsolete, but twine still reads it
        "username": parser.get("server-login", "username", fallback=None),
        "password": parser.get("server-login", "password", fallback=None),
    }
    listed = parser.get("distutils", "index-servers", fallback="pypi testpypi").split()
    sections = {}
    # twine 7: pypi always exists, testpypi only when listed; unlisted sections are not read.
    for name in dict.fromkeys([*listed, "pypi"]):
        raw = {**defaults, "repository": None, "ca_cert": None, "client_cert": None}
        if name in listed:
            raw.update(
                (k, parser.get(name, k)) for k in _SECTION_KEYS if parser.has_option(name, k)
            )
        anonymous = _is_empty(raw["username"]) and _is_empty(raw["password"])
        values = {k: v.strip() if v and v.strip() else None for k, v in raw.items()}
        register_secret(values["password"], username=values["username"])
        builtin = values["repository"] is None and name in _BUILTIN_URLS
        if builtin:
            values["repository"] = _BUILTIN_URLS[name]
        sections[name] = PypircSection(
            name=name, builtin_url=builtin, anonymous=anonymous, **values
        )
    skip = {"distutils", "server-login", *listed}
    unlisted = tuple(s for s in parser.sections() if s not in skip)
    return Pypirc(display=display, sections=sections, unlisted=unlisted)


def _is_empty(value: str | None) -> bool:
    """Present in the file (or ``[server-login]``) with nothing after the ``=``."""
    return value is not None and not value.strip()


def _display_path(path: Path) -> str:
    home = Path("~").expanduser()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


def _parse(path: Path, display: str, *, required: bool) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise InputError(f"config file not found: {display}") from None
        return parser
    except OSError as exc:
        raise InputError(f"cannot read config file {display}: {exc.strerror}") from None
    try:
        parser.read_string(_decode(data, display), source=display)
    except configparser.Error as exc:
        # The parser's own message quotes the offending line, which may hold a password.
        raise InputError(
            f"malformed config file {display}: {_describe(exc)}", hint=f"see {PYPIRC_SPEC}"
        ) from None
    return parser


def _decode(data: bytes, display: str) -> str:
    for encoding in ("utf-8", locale.getpreferredencoding(False)):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"config file {display} is not UTF-8 text")


def _describe(exc: configparser.Error) -> str:
    """The parse error without the offending line's text."""
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno}: expected a [section] header first"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"line {exc.lineno}: section [{exc.section}] appears twice"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"line {exc.lineno}: {exc.option!r} appears twice in [{exc.section}]"
    if isinstance(exc, configparser.ParsingError):
        lines = ", ".join(str(lineno) for lineno, _ in exc.errors)
        return f"line {lines}: expected `key = value`"
    return type(exc).__name__
