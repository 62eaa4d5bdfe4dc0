"""Fixtures shared by every test: a clean environment and the dist builders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from builders import make_release
from fakeindex import FakeIndex, fake_index
from tpublish.redact import forget_secrets

if TYPE_CHECKING:
    from fakesigstore import FakeSigstore
    from pypi_proxy import PyPIProxy

# Variables through which a CI provider, twine, tpublish or keyring could change what a test sees.
_ISOLATED_PREFIXES = (
    "TPUBLISH_",
    "TWINE_",
    "GITHUB_",
    "ACTIONS_",
    "GITLAB_",
    "CI_",
    "BUILDKITE",
    "CIRCLE",
    "GOOGLE_",
    "RUNNER_",
    "ID_",
    "PYPI_",
    "TESTPYPI_",
    "SIGSTORE_",
)
_ISOLATED_NAMES = (
    "CI",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "BUILDKITE",
    "CIRCLECI",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NO_COLOR",
    "FORCE_COLOR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def clean_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """No CI identity, no twine/tpublish settings, an empty HOME and a keyring that knows nothing."""
    for name in list(os.environ):
        if (
            name in _ISOLATED_NAMES
            or name.endswith("_ID_TOKEN")
            or name.startswith(_ISOLATED_PREFIXES)
        ):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setenv("COLUMNS", "200")
    forget_secrets()
    yield home
    forget_secrets()


@pytest.fixture
def index() -> Iterator[FakeIndex]:
    """A running fake Warehouse on 127.0.0.1 (see tests/fakeindex)."""
    with fake_index() as running:
        yield running


@pytest.fixture
def token(index: FakeIndex) -> str:
    """A user API token of the fake index, valid for every project."""
    return index.add_api_token()


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A folder with demo-pkg 1.0.0's wheel and sdist (a test may define its own ``dist``)."""
    make_release(tmp_path / "dist", "demo-pkg", "1.0.0")
    return tmp_path / "dist"


@pytest.fixture
def sigstore(index: FakeIndex) -> Iterator[FakeSigstore]:
    """A local Fulcio and Rekor; the fake index verifies attestations against their root."""
    from fakesigstore import fake_sigstore  # cryptography-heavy: only for the signing tests
    from sign_helpers import index_verifier

    with fake_sigstore() as running:
        index.attestation_verifier = index_verifier(running)
        yield running


@pytest.fixture
def pypi(index: FakeIndex, tmp_path: Path) -> Iterator[PyPIProxy]:
    """``https://upload.pypi.org`` (and pypi.org, test.pypi.org) served by the fake index, for a
    run given ``pypi.env()`` (see tests/pypi_proxy.py)."""
    from pypi_proxy import PyPIProxy  # trustme: only for the tests that play PyPI

    proxy = PyPIProxy(index, tmp_path)
    try:
        yield proxy
    finally:
        proxy.close()
