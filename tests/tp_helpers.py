"""CI environments for trusted-publishing tests: real inputs for the real ``id`` package."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from fakeindex import FakeIndex


def github_env(index: FakeIndex, **extra: str) -> dict[str, str]:
    """What GitHub Actions sets for a job with ``permissions: id-token: write``."""
    return {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": index.github_token_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": index.github_request_token,
        **extra,
    }


def fork_pull_request_env(tmp_path: Path) -> dict[str, str]:
    """A pull_request run from a fork: GitHub sets no token request variables."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"head": {"repo": {"fork": True}}}}))
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
    }


def fake_executable(
    directory: Path, name: str, *, stdout: str = "", stderr: str = "", code: int = 0
) -> Path:
    """A stand-in for ``buildkite-agent`` / ``circleci`` on PATH that prints what a test wants."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / name
    script.write_text(
        "#!/bin/sh\n"
        f"printf '%s' '{stdout}'\n"
        f"printf '%s' '{stderr}' >&2\n"
        f'echo "$@" > "{directory}/{name}.args"\n'
        f"exit {code}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script
