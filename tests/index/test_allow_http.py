"""``--allow-http``: a plain-http index on another host, by explicit choice and with a warning.

The index must have a name that is not this machine's, yet run here: each run happens in a private
mount namespace (``unshare -m``) whose own ``/etc/hosts`` says ``pypi.internal`` is 127.0.0.1,
where the fake index listens. Nothing on the machine changes; without ``unshare`` (or the right
to use it) these tests are skipped.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from builders import make_sdist, make_wheel
from cli_helpers import Run
from fakeindex import FakeIndex
from tpublish.errors import EXIT_INPUT, EXIT_OK

HOST = "pypi.internal"
PLAIN = (("Description-Content-Type", "text/markdown"),)


@cache
def private_hosts_work() -> bool:
    """Whether this machine lets us bind-mount our own /etc/hosts in a mount namespace."""
    if shutil.which("unshare") is None or not Path("/etc/hosts").exists():
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind /etc/hosts /etc/hosts"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(
    not private_hosts_work(), reason="needs `unshare -m` and mount (root or user namespaces)"
)


@pytest.fixture
def hosts_file(tmp_path: Path) -> Path:
    """This machine's /etc/hosts plus ``pypi.internal`` on 127.0.0.1."""
    path = tmp_path / "hosts"
    path.write_text(Path("/etc/hosts").read_text() + f"\n127.0.0.1 {HOST}\n")
    return path


@pytest.fixture
def dist(tmp_path: Path) -> list[Path]:
    return [
        make_wheel(tmp_path / "dist", "demo-pkg", "1.0.0", extra_metadata=PLAIN),
        make_sdist(tmp_path / "dist", "demo-pkg", "1.0.0", extra_metadata=PLAIN),
    ]


def tpublish_seeing(hosts: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    """``python -m tpublish ARGS`` in a mount namespace whose /etc/hosts is ``hosts``."""
    command = shlex.join([sys.executable, "-m", "tpublish", *args])
    script = f"mount --bind {shlex.quote(str(hosts))} /etc/hosts && exec {command}"
    completed = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


def url_of(index: FakeIndex) -> str:
    return f"http://{HOST}:{index.url.rsplit(':', 1)[1]}/legacy/"


def test_plain_http_to_another_host_is_refused_and_the_refusal_names_the_way_out(
    index: FakeIndex, token: str, hosts_file: Path, dist: list[Path]
) -> None:
    run = tpublish_seeing(
        hosts_file, "upload", "--repository-url", url_of(index), "-t", token, *map(str, dist)
    )

    assert run.exit_code == EXIT_INPUT
    assert f"error: refusing to send credentials in clear text to {url_of(index)}" in run.stderr
    assert "--allow-http" in run.stderr
    assert index.requests == []


@pytest.mark.parametrize(
    ("args", "env"), [(["--allow-http"], {}), ([], {"TPUBLISH_ALLOW_HTTP": "1"})]
)
def test_allow_http_uploads_with_a_warning_on_every_run(
    index: FakeIndex,
    token: str,
    hosts_file: Path,
    dist: list[Path],
    args: list[str],
    env: dict[str, str],
) -> None:
    common = ["upload", "--repository-url", url_of(index), "-t", token, "--skip-existing", *args]

    runs = [tpublish_seeing(hosts_file, *common, *map(str, dist), env=env) for _ in range(2)]

    for run in runs:
        assert run.exit_code == EXIT_OK, run.output
        warning = f"warning: --allow-http: credentials and files go to {url_of(index)} unencrypted"
        assert warning in run.stderr
        assert token not in run.output
    assert sorted(index.files) == sorted(p.name for p in dist)
    assert {r.headers["host"] for r in index.requests} == {url_of(index).split("/")[2]}
