"""One answer to "is this PyPI or TestPyPI?" for a whole run: the repository's (``is_pypi``).

PyPI's upload URL may be spelt with its port or with ``http://`` (made https); every spelling gets
PyPI's rules: its policy refuses a local version before any connection, and the credential rules
are PyPI's. Nothing here reaches the network: each run stops before its first request.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import make_wheel
from cli_helpers import tpublish
from tpublish.errors import EXIT_CREDENTIALS, EXIT_INPUT

PYPI_SPELLINGS = [
    "https://upload.pypi.org/legacy/",
    "https://upload.pypi.org:443/legacy/",
    "http://upload.pypi.org/legacy/",
    "https://test.pypi.org:443/legacy/",
]
LOCAL_VERSION = "The use of local versions in '1.0.0+local' is not allowed."


def said(stderr: str, severity: str, message: str) -> bool:
    """A line of that severity (``error: <file>: …``) carries ``message``."""
    return any(line.startswith(f"{severity}: ") and message in line for line in stderr.splitlines())


@pytest.mark.parametrize("url", PYPI_SPELLINGS)
def test_pypis_policy_applies_however_its_url_is_spelt(tmp_path: Path, url: str) -> None:
    wheel = make_wheel(tmp_path, version="1.0.0+local")

    run = tpublish(
        "upload", "--non-interactive", "--token", "pypi-test-token", "--repository-url", url,
        str(wheel),
    )  # fmt: skip

    assert run.exit_code == EXIT_INPUT, run.output
    assert said(run.stderr, "error", LOCAL_VERSION)


def test_another_index_only_hears_pypis_policy(tmp_path: Path) -> None:
    """The same file to another index: a warning, then the run goes on (here: to the credential
    rule, which stops it before a connection, as there is none)."""
    wheel = make_wheel(tmp_path, version="1.0.0+local")

    run = tpublish(
        "upload", "--non-interactive", "--repository-url", "http://127.0.0.1:9/legacy/",
        "--trusted-publishing", "never", str(wheel),
    )  # fmt: skip

    assert run.exit_code == EXIT_CREDENTIALS, run.output
    assert said(run.stderr, "warning", LOCAL_VERSION)
    assert not said(run.stderr, "error", LOCAL_VERSION)


@pytest.mark.parametrize("url", PYPI_SPELLINGS)
def test_a_password_is_refused_however_pypis_url_is_spelt(tmp_path: Path, url: str) -> None:
    wheel = make_wheel(tmp_path)

    run = tpublish(
        "upload", "--non-interactive", "-u", "alice", "-p", "secret", "--repository-url", url,
        str(wheel),
    )  # fmt: skip

    assert run.exit_code == EXIT_CREDENTIALS, run.output
    assert "does not accept a username and password" in run.stderr
