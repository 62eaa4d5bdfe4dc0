"""Real files that PyPI accepted keep passing ``tpublish check`` (issue 13).

About twenty small wheels and sdists, pinned, from every common build backend (hatchling,
setuptools, flit-core, poetry-core, maturin, scikit-build-core, pdm-backend) and platform
(pure, manylinux, musllinux, macOS arm64 and universal2, Windows), are downloaded once with pip
and kept in pytest's cache. Each must check without an error. Without the registry the test
skips; the downloads are bounded in time (``TIMEOUT`` per pip run) and size (``MAX_BYTES`` per
file). Only files today's PyPI would still take are listed: MarkupSafe 3.0.2's wheels, named
``MarkupSafe-…`` before PyPI required normalised wheel names, would be refused now.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli_helpers import tpublish

TIMEOUT = 300  # seconds for one pip run (sdists build their metadata in isolation)
MAX_BYTES = 2 << 20
PLATFORM = ("--python-version", "3.11", "--implementation", "cp", "--abi", "cp311", "--abi", "none")
# (cache key, pip arguments, requirements): each group is one pip run.
GROUPS = (
    (
        "pure-wheels",
        ("--only-binary", ":all:", "--platform", "any", *PLATFORM),
        (
            "iniconfig==2.1.0",  # hatchling
            "six==1.17.0",  # setuptools, py2.py3
            "idna==3.10",  # flit-core
            "tomli==2.2.1",  # flit-core
            "tomlkit==0.13.2",  # poetry-core
            "attrs==24.3.0",  # hatchling with plugins
            "pluggy==1.5.0",  # setuptools-scm
            "pdm-backend==2.4.3",  # pdm-backend
        ),
    ),
    (
        "manylinux",
        ("--only-binary", ":all:", "--platform", "manylinux2014_x86_64", *PLATFORM),
        (
            "rpds-py==0.22.3",  # maturin
            "ninja==1.11.1.3",  # scikit-build-core, manylinux2010 + manylinux_2_12
            "charset-normalizer==3.4.1",  # setuptools + mypyc
        ),
    ),
    (
        "macos-universal2",
        ("--only-binary", ":all:", "--platform", "macosx_10_9_universal2", *PLATFORM),
        ("charset-normalizer==3.4.1",),
    ),
    (
        "macos-arm64",
        ("--only-binary", ":all:", "--platform", "macosx_11_0_arm64", *PLATFORM),
        ("rpds-py==0.22.3",),
    ),
    (
        "windows",
        ("--only-binary", ":all:", "--platform", "win_amd64", *PLATFORM),
        ("charset-normalizer==3.4.1",),
    ),
    (
        "musllinux",
        ("--only-binary", ":all:", "--platform", "musllinux_1_2_x86_64", *PLATFORM),
        ("rpds-py==0.22.3",),
    ),
    (
        "sdists",
        ("--no-binary", ":all:"),
        ("iniconfig==2.1.0", "tomli==2.2.1", "tomlkit==0.13.2", "six==1.17.0"),
    ),
)


def _pip_download(target: Path, options: tuple[str, ...], requirements: tuple[str, ...]) -> str:
    """Download into ``target``; '' on success, else pip's last words."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(target)]
    try:
        done = subprocess.run(
            [*command, *options, *requirements],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"pip took more than {TIMEOUT} s"
    if done.returncode == 0:
        return ""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"pip exited with {done.returncode}"


@pytest.fixture(scope="module")
def real_files(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    cache = getattr(pytestconfig, "cache", None)
    root = cache.mkdir("tpublish-real-dists-v1") if cache else tmp_path_factory.mktemp("real")
    files: list[Path] = []
    for position, (key, options, requirements) in enumerate(GROUPS):
        directory = root / key
        done = directory / "complete"
        if not done.exists():
            directory.mkdir(parents=True, exist_ok=True)
            problem = _pip_download(directory, options, requirements)
            if problem and position == 0:
                pytest.skip(f"the package registry is unreachable: {problem}")
            assert not problem, f"{key}: {problem}"
            done.write_text("\n".join(requirements) + "\n", encoding="utf-8")
        found = sorted(p for p in directory.iterdir() if p.name.endswith((".whl", ".tar.gz")))
        assert len(found) == len(requirements), (key, [p.name for p in found])
        files += found
    return files


@pytest.mark.slow
def test_real_files_pypi_accepted_have_no_errors(real_files: list[Path]) -> None:
    assert len(real_files) == sum(len(group[2]) for group in GROUPS)
    assert {p.suffix for p in real_files} == {".whl", ".gz"}
    failures = {}
    for path in real_files:
        assert path.stat().st_size <= MAX_BYTES, path.name
        result = tpublish("check", "--json", str(path))
        (report,) = json.loads(result.stdout)["files"]
        errors = [f["message"] for f in report["findings"] if f["severity"] == "error"]
        if errors or result.exit_code != 0:
            failures[path.name] = errors
    assert failures == {}
