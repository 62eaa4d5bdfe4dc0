"""Helpers for the fault tests: run a release with short timeouts, read its JSON report, and
compare it with what the index holds in the end."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from builders import make_sdist, make_wheel
from cli_helpers import Run, tpublish
from fakeindex import FakeIndex

ESC = "\x1b"
PLAIN_METADATA = (("Description-Content-Type", "text/markdown"),)
POST = "POST"
EXISTS = (
    "File already exists ('{}', with blake2_256 hash '0'). "
    "See https://pypi.org/help/#file-name-reuse for more information."
)


def plain_release(tmp_path: Path) -> list[Path]:
    """demo-pkg 1.0.0: one wheel, one sdist (in ``tmp_path / "dist"``), wheel first."""
    directory = tmp_path / "dist"
    return [
        make_wheel(directory, "demo-pkg", "1.0.0", extra_metadata=PLAIN_METADATA),
        make_sdist(directory, "demo-pkg", "1.0.0", extra_metadata=PLAIN_METADATA),
    ]


def publish(
    index: FakeIndex,
    token: str,
    files: list[Path],
    *args: str,
    timeout: float = 1.0,
    url: str | None = None,
    env: dict[str, str] | None = None,
) -> tuple[Run, dict[str, Any]]:
    """``tpublish upload --json`` with 0.01 s backoff and short timeouts; the run and its report."""
    run = tpublish(
        "upload",
        "--repository-url",
        url or index.upload_url,
        "--token",
        token,
        "--json",
        "--no-progress",
        "--retry-backoff",
        "0.01",
        "--timeout",
        str(timeout),
        "--connect-timeout",
        "1",
        *args,
        *(str(path) for path in files),
        env=env,
    )
    return run, json.loads(run.stdout)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["filename"]: entry for entry in report["files"]}


def outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {name: entry["outcome"] for name, entry in by_name(report).items()}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_index_holds(index: FakeIndex, files: list[Path]) -> None:
    """The final state: exactly these files, each with the bytes of the original."""
    assert sorted(index.files) == sorted(path.name for path in files)
    for path in files:
        assert index.files[path.name].data == path.read_bytes(), path.name


def assert_report_matches(report: dict[str, Any], files: list[Path]) -> None:
    """Every uploaded file is reported with the digests of the bytes the index holds."""
    entries = by_name(report)
    for path in files:
        entry = entries[path.name]
        assert entry["outcome"] == "uploaded", entry
        assert entry["sha256"] == sha256(path)


def assert_report_is_the_index(index: FakeIndex, report: dict[str, Any], files: list[Path]) -> None:
    """ "uploaded" exactly for the files the index holds with our bytes; nothing else stored."""
    entries = by_name(report)
    for path in files:
        stored = index.files.get(path.name)
        if entries[path.name]["outcome"] == "uploaded":
            assert stored is not None and stored.data == path.read_bytes(), path.name
        else:
            assert stored is None, (path.name, entries[path.name])
    assert set(index.files) <= {path.name for path in files}
