"""``--allow-http``: a plain-http index on another host, by explicit choice and with a warning.

The index must have a name that is not this machine's, yet run here: each run happens in a private
mount namespace (``unshare -m``) whose own ``/etc/hosts`` says ``pypi.internal`` is 127.0.0.1,
where the fake index listens. Nothing on the machine changes; without ``unshare`` (or the right
to use it) these tests are skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fakeindex import FakeIndex
from fault_helpers import plain_release
from hosts import SKIP_REASON, hosts_file, private_hosts_work, tpublish_seeing
from tpublish.errors import EXIT_INPUT, EXIT_OK

HOST = "pypi.internal"

pytestmark = pytest.mark.skipif(not private_hosts_work(), reason=SKIP_REASON)


@pytest.fixture
def hosts(tmp_path: Path) -> Path:
    return hosts_file(tmp_path, HOST)


@pytest.fixture
def dist(tmp_path: Path) -> list[Path]:
    return plain_release(tmp_path)


def url_of(index: FakeIndex) -> str:
    return f"http://{HOST}:{index.url.rsplit(':', 1)[1]}/legacy/"


def test_plain_http_to_another_host_is_refused_and_the_refusal_names_the_way_out(
    index: FakeIndex, token: str, hosts: Path, dist: list[Path]
) -> None:
    run = tpublish_seeing(
        hosts, "upload", "--repository-url", url_of(index), "-t", token, *map(str, dist)
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
    hosts: Path,
    dist: list[Path],
    args: list[str],
    env: dict[str, str],
) -> None:
    common = ["upload", "--repository-url", url_of(index), "-t", token, "--skip-existing", *args]

    runs = [tpublish_seeing(hosts, *common, *map(str, dist), env=env) for _ in range(2)]

    for run in runs:
        assert run.exit_code == EXIT_OK, run.output
        warning = f"warning: --allow-http: credentials and files go to {url_of(index)} unencrypted"
        assert warning in run.stderr
        assert token not in run.output
    assert sorted(index.files) == sorted(p.name for p in dist)
    assert {r.headers["host"] for r in index.requests} == {url_of(index).split("/")[2]}
