"""Keyring backends for tests: an in-memory one, one backed by a JSON file, and broken ones.

In-process, install one with ``keyring.set_keyring(MemoryBackend({...}))``. In a subprocess, put
``tests/`` on ``PYTHONPATH`` and set ``PYTHON_KEYRING_BACKEND=keyring_backend.FileBackend`` and
``TPUBLISH_TEST_KEYRING_FILE`` to a JSON file shaped ``{"service": {"username": "password"}}``.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.credentials import SimpleCredential
from keyring.errors import KeyringLocked

KEYRING_FILE_VARIABLE = "TPUBLISH_TEST_KEYRING_FILE"

Entries = dict[str, dict[str, str]]


class MemoryBackend(KeyringBackend):
    """Passwords kept in a dict; ``calls`` records every lookup (service, username)."""

    priority = 1

    def __init__(self, entries: Entries | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.entries: Entries = {s: dict(users) for s, users in (entries or {}).items()}
        self.calls: list[tuple[str, str | None]] = []

    def _load(self) -> Entries:
        return self.entries

    def _save(self, entries: Entries) -> None:
        self.entries = entries

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append((service, username))
        return self._load().get(service, {}).get(username)

    def get_credential(self, service: str, username: str | None) -> SimpleCredential | None:
        self.calls.append((service, username))
        users = self._load().get(service, {})
        if username is not None:
            password = users.get(username)
            return None if password is None else SimpleCredential(username, password)
        for name, password in users.items():
            return SimpleCredential(name, password)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries.setdefault(service, {})[username] = password
        self._save(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        entries.get(service, {}).pop(username, None)
        self._save(entries)


class FileBackend(MemoryBackend):
    """Entries in the JSON file named by ``TPUBLISH_TEST_KEYRING_FILE``, read on every lookup."""

    def _path(self) -> Path:
        return Path(os.environ[KEYRING_FILE_VARIABLE])

    def _load(self) -> Entries:
        path = self._path()
        if not path.exists():
            return {}
        entries: Entries = json.loads(path.read_text(encoding="utf-8"))
        return entries

    def _save(self, entries: Entries) -> None:
        self._path().write_text(json.dumps(entries), encoding="utf-8")


class LockedBackend(MemoryBackend):
    """Every lookup fails the way a locked desktop keyring does."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the keyring is locked (test)")

    def get_credential(self, service: str, username: str | None) -> SimpleCredential | None:
        raise KeyringLocked("the keyring is locked (test)")


class HangingBackend(MemoryBackend):
    """Every lookup blocks until ``release`` is set, like a D-Bus call that never returns."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(30)
        return None

    def get_credential(self, service: str, username: str | None) -> SimpleCredential | None:
        self.release.wait(30)
        return None
