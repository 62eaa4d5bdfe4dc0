"""Credentials from the system keyring (service = the repository URL), as twine looks them up.

Any keyring failure (no backend, a locked store, no D-Bus) means "nothing found", never an error;
without a terminal a keyring that does not answer within ``KEYRING_TIMEOUT`` seconds is given up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from tpublish.redact import redact, register_secret

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

    from tpublish.auth.settings import Repository

TOKEN_USERNAME = "__token__"  # noqa: S105 - a username, not a password
KEYRING_TIMEOUT = 10.0

_T = TypeVar("_T")
Found = tuple[str, str]  # (value, source)


def from_keyring(
    repository: Repository,
    user: Found | None,
    secret: Found | None,
    enabled: bool,
    limit: float | None,
    notes: list[str],
) -> tuple[Found | None, Found | None]:
    """Fill in whatever is missing from the keyring (service = repository URL)."""
    source = f"keyring ({repository.url})"
    if not enabled:
        notes.append(f"{source}: not asked (--no-keyring / TPUBLISH_NO_KEYRING)")
        return user, secret
    failures: list[str] = []
    if user is None and not repository.is_pypi:
        found = _ask_keyring(lambda kr: kr.get_credential(repository.url, None), limit, failures)
        if found is not None and found.username:
            user = (found.username, source)
            register_secret(found.password, username=found.username)
            secret = secret or ((found.password, source) if found.password else None)
    name = user[0] if user else TOKEN_USERNAME if repository.is_pypi else None
    if secret is None and name is not None:
        value = _ask_keyring(lambda kr: kr.get_password(repository.url, name), limit, failures)
        register_secret(value, username=name)
        secret = (value, source) if value else None
    used = [
        what
        for what, found in (("username", user), ("password", secret))
        if found and found[1] == source
    ]
    if failures:
        notes.append(f"{source}: unavailable ({failures[0]})")
    else:
        notes.append(f"{source}: {'gave the ' + ' and '.join(used) if used else 'nothing stored'}")
    return user, secret


def _ask_keyring(
    call: Callable[[KeyringBackend], _T], timeout: float | None, notes: list[str]
) -> _T | None:
    """Run one keyring call; any failure (no backend, locked, no D-Bus, a hang) means None."""
    try:
        import keyring  # imported here: it is slow to import and rarely needed

        return _within(lambda: call(keyring.get_keyring()), timeout)
    except Exception as exc:  # noqa: BLE001 - a broken keyring must never stop an upload
        notes.append(_why(exc))
        return None


def _why(exc: Exception) -> str:
    """A keyring failure in a few words: a person needs the cause, not the library's essay."""
    name = type(exc).__name__
    if name == "NoKeyringError":
        return "no keyring backend is installed"
    if isinstance(exc, TimeoutError):
        return str(exc)
    if isinstance(exc, ImportError):
        return f"its backend cannot be loaded: {redact(str(exc))}"
    first = redact(str(exc)).split(". ")[0].rstrip(".")
    return f"{name}: {first}" if first else name


def _within(function: Callable[[], _T], timeout: float | None) -> _T:
    """``function()``, given up on after ``timeout`` seconds (it keeps running in a daemon)."""
    if timeout is None:
        return function()
    outcome: list[_T] = []
    failure: list[Exception] = []

    def run() -> None:
        try:
            outcome.append(function())
        except Exception as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=run, name="tpublish-keyring", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {timeout:g}s")
    if failure:
        raise failure[0]
    return outcome[0]
