"""Bounded in time and memory (issue 12, class 2).

A server that dribbles its answer (each byte within the read timeout) is cut at the request's
overall deadline: an upload, the audience, the mint and the CI provider's token request. Any
``Retry-After`` is read without a crash. Answers are read up to a cap: a 300 MB answer costs a
few MB. Transient trusted-publishing failures are retried as uploads are. Each test ends with the
index's state and the exit code; "cut" is shown by the bytes the server managed to send (an
endless dribble), not by a clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from builders import make_release
from cli_helpers import Run, tpublish
from fakeindex import FakeIndex
from fault_helpers import (
    POST,
    assert_index_holds,
    assert_report_matches,
    by_name,
    outcomes,
    plain_release,
    publish,
)
from tp_helpers import github_env
from tpublish.errors import EXIT_NETWORK, EXIT_OK, EXIT_TRUSTED_PUBLISHING, EXIT_UPLOAD
from tpublish.index.retry import GiveUp, RetryPolicy, parse_retry_after

DRIBBLE: dict[str, Any] = {
    "delay": 0.15,
    "endless": True,
}  # well within a 1 s read timeout, never finished
EXISTS = "File already exists ('{}', with blake2_256 hash '0')."


@pytest.fixture
def dist(tmp_path: Path) -> list[Path]:
    return plain_release(tmp_path)


def cut_short(index: FakeIndex, kind: str = "dribble") -> None:
    """Each dribble fault sent a few bytes, then the client went away (it never ends by itself)."""
    fired = [fault for fault in index.faults.all if fault.kind == kind and fault.fired]
    assert fired
    for fault in fired:
        assert 0 < fault.params["sent"] < 40, fault.params


# -- an overall deadline per request ---------------------------------------------------------------


def test_a_dribbled_upload_answer_is_cut_and_retried(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    index.faults.add("/legacy/", "dribble", method=POST, **DRIBBLE)

    run, report = publish(index, token, dist, timeout=1.0)

    assert run.exit_code == EXIT_OK, run.output
    cut_short(index)
    assert_index_holds(index, dist)  # stored by the first try, 200 to the identical second
    assert_report_matches(report, dist)
    assert by_name(report)[dist[0].name]["attempts"] == 2
    assert "did not answer in time" in run.stderr


def test_dribbled_answers_until_the_retries_run_out_fail_in_bounded_time(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    index.serve_listings = False  # nothing can confirm the stored file
    index.faults.add("/legacy/", "dribble", 10, method=POST, **DRIBBLE)

    run, report = publish(index, token, dist, "--retries", "2", timeout=1.0)

    assert run.exit_code == EXIT_NETWORK
    cut_short(index)
    assert outcomes(report) == {dist[0].name: "failed", dist[1].name: "not attempted"}
    assert sorted(index.files) == [dist[0].name]  # stored; we said it may be, not that it is
    assert "an earlier attempt may have stored it" in run.stderr


def trusted(index: FakeIndex, dist_dir: Path, *args: str) -> Run:
    return tpublish(
        "upload", "--repository-url", index.upload_url, "--no-progress", "--json",
        "--retry-backoff", "0.01", "--timeout", "1", *args, str(dist_dir / "*"),
        env=github_env(index),
    )  # fmt: skip


@pytest.fixture
def release(tmp_path: Path) -> Path:
    make_release(tmp_path / "dist", "demo-pkg", "1.0.0")
    return tmp_path / "dist"


@pytest.mark.parametrize("path", ["/_/oidc/audience", "/_/oidc/mint-token", "/_fake/github/token"])
def test_a_dribbled_trusted_publishing_call_is_cut_and_retried(
    index: FakeIndex, release: Path, path: str
) -> None:
    index.add_publisher("github", ["demo-pkg"])
    index.faults.add(path, "dribble", **DRIBBLE)

    run = trusted(index, release)

    if path == "/_fake/github/token":  # id's request: no retry on a timeout, a clear error
        assert run.exit_code == EXIT_TRUSTED_PUBLISHING, run.output
        assert "the CI provider did not give an OIDC token within 1 s" in run.stderr
        assert index.files == {}
    else:
        assert run.exit_code == EXIT_OK, run.output
        assert sorted(index.files) == sorted(p.name for p in release.iterdir())
    cut_short(index)


def test_a_hung_ci_token_endpoint_is_bounded(index: FakeIndex, release: Path) -> None:
    """id would wait 30 s per try, four tries; here the whole request has --timeout (1 s)."""
    index.add_publisher("github", ["demo-pkg"])
    index.faults.add("/_fake/github/token", "stall", 5, seconds=60)

    run = trusted(index, release)

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert "did not give an OIDC token within 1 s" in run.stderr
    assert index.files == {}
    assert not index.uploads


# -- transient trusted-publishing failures are retried ----------------------------------------------


@pytest.mark.parametrize(
    ("path", "fault", "params"),
    [
        ("/_/oidc/audience", "status", {"code": 503}),
        ("/_/oidc/audience", "status", {"code": 429, "retry_after": "0.2"}),
        ("/_/oidc/audience", "status", {"code": 502, "retry_after": "soon"}),
        ("/_/oidc/audience", "drop_before", {}),
        ("/_fake/github/token", "status", {"code": 503}),
        ("/_fake/github/token", "status", {"code": 500}),
        ("/_/oidc/mint-token", "status", {"code": 503, "retry_after": "0"}),
        ("/_/oidc/mint-token", "drop_after_store", {}),
    ],
)
def test_one_transient_failure_does_not_fail_a_release(
    index: FakeIndex, release: Path, path: str, fault: str, params: dict[str, Any]
) -> None:
    index.add_publisher("github", ["demo-pkg"])
    index.faults.add(path, fault, **params)

    run = trusted(index, release)

    assert run.exit_code == EXIT_OK, run.output
    assert sorted(index.files) == sorted(p.name for p in release.iterdir())
    assert len(index.requests_to(path)) == 2
    shown = "\n".join(  # canaries: no OIDC token, no minted token, but for ::add-mask::
        line for line in run.output.splitlines() if not line.startswith("::add-mask::")
    )
    assert "eyJ" not in shown
    assert not any(minted in shown for minted in index.minted_tokens)
    assert index.github_request_token not in run.output


def test_a_ci_token_endpoint_that_keeps_failing_fails_after_the_retries(
    index: FakeIndex, release: Path
) -> None:
    index.add_publisher("github", ["demo-pkg"])
    index.faults.add("/_fake/github/token", "status", 10, code=503)

    run = trusted(index, release, "--retries", "2")

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert len(index.requests_to("/_fake/github/token")) == 3
    assert "OIDC token request failed (code=503" in run.stderr
    assert index.files == {}


def test_a_refused_ci_token_request_is_not_retried(index: FakeIndex, release: Path) -> None:
    index.add_publisher("github", ["demo-pkg"])
    index.faults.add("/_fake/github/token", "status", 10, code=403)

    run = trusted(index, release)

    assert run.exit_code == EXIT_TRUSTED_PUBLISHING
    assert len(index.requests_to("/_fake/github/token")) == 1
    assert index.files == {}


# -- Retry-After -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "soon",
        "",
        "-1",
        "1e3",
        "0x10",
        "0",
        "0.2",
        "Wed, 21 Oct 2015 07:28:00 GMT",  # in the past: at once
        "Mon, 32 Foo 2020 99:99:99 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",  # far away: given up below
        "99999999999999999999999999999999",
        "\u00e9t\u00e9",
    ],
)
def test_any_retry_after_is_read_without_a_crash(
    index: FakeIndex, token: str, dist: list[Path], value: str
) -> None:
    index.faults.add("/legacy/", "status", method=POST, code=503, headers={"Retry-After": value})

    run, report = publish(index, token, dist)

    if value.startswith(("Fri, 31 Dec 9999", "9999")):
        assert run.exit_code == EXIT_NETWORK
        assert "the index asks to wait" in report["files"][0]["error"]["message"]
        assert index.files == {}
    else:
        assert run.exit_code == EXIT_OK, run.output
        assert_index_holds(index, dist)
        assert_report_matches(report, dist)
    assert "internal error" not in run.output


def test_retry_after_values() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 7 ") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    for garbage in (None, "", "soon", "-5", "1e3", "Mon, 32 Foo 2020 99:99:99 GMT"):
        assert parse_retry_after(garbage) is None


def test_the_total_wait_across_retries_is_bounded() -> None:
    policy = RetryPolicy(retries=10, backoff=1.0, max_wait=300.0)
    assert policy.wait(1, 200.0, waited=0.0) == 200.0
    with pytest.raises(GiveUp, match="gave up after waiting 200 s"):
        policy.wait(2, 200.0, waited=200.0)
    with pytest.raises(GiveUp, match="the index asks to wait 86400 s"):
        policy.wait(1, 86400.0)
    assert 0.5 <= policy.wait(1, None) <= 1.0  # no Retry-After: the backoff, with jitter


# -- answers read up to a cap ------------------------------------------------------------------------

# The child reports the most memory it held: VmHWM is its own (ru_maxrss would count what the
# test process held when it started the child).
MEASURED = (
    "import atexit, sys\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
    "    sys.stderr.write('\\nMAXRSS_KB %s\\n' % status)\n"
    "atexit.register(peak)\n"
    "from tpublish.cli.main import main\n"
    "main()\n"
)
HUGE = 300 * 1000 * 1000


def measured(*args: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run the CLI in a child process; its result and the most memory it held (KiB)."""
    child = subprocess.run(
        [sys.executable, "-c", MEASURED, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    kib = int(child.stderr.rsplit("MAXRSS_KB ", 1)[1].split()[0])
    return child, kib


def huge_run(
    index: FakeIndex, files: list[Path], *args: str, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], int]:
    return measured(
        "upload", "--repository-url", index.upload_url, "--no-progress", "--json",
        "--retry-backoff", "0.01", "--timeout", "5", *args, *(str(p) for p in files), env=env,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("code", "content_type"),
    [(200, "text/html"), (400, "text/html"), (503, "application/json")],
)
def test_a_300_mb_upload_answer_costs_a_few_mb(
    index: FakeIndex, token: str, dist: list[Path], code: int, content_type: str
) -> None:
    index.faults.add("/legacy/", "huge", 3, method=POST, code=code, content_type=content_type)

    child, kib = huge_run(index, dist, "--retries", "1", env={"TPUBLISH_TOKEN": token})

    assert kib < 200 * 1024, f"{kib} KiB"
    assert child.returncode in (EXIT_UPLOAD, EXIT_NETWORK), child.stderr
    assert "internal error" not in child.stderr
    assert json.loads(child.stdout)["files"][0]["outcome"] == "failed"
    assert index.files == {}
    assert all(f.params["sent"] < HUGE for f in index.faults.all if f.fired)


@pytest.mark.parametrize(
    "content_type", ["text/html", "application/vnd.pypi.simple.v1+json", "application/json"]
)
def test_a_300_mb_listing_costs_a_few_mb(
    index: FakeIndex, token: str, dist: list[Path], content_type: str
) -> None:
    wheel, sdist = dist
    index.faults.add("/legacy/", "drop_after_store", method=POST)
    index.faults.add("/legacy/", "status", method=POST, code=400, reason=EXISTS.format(wheel.name))
    index.faults.add("/simple/", "huge", 3, method="GET", content_type=content_type)

    child, kib = huge_run(index, dist, env={"TPUBLISH_TOKEN": token})

    assert kib < 200 * 1024, f"{kib} KiB"
    assert child.returncode == EXIT_UPLOAD, child.stderr
    report = json.loads(child.stdout)
    assert outcomes(report) == {wheel.name: "uncertain", sdist.name: "uploaded"}
    assert_index_holds(index, dist)


@pytest.mark.parametrize("path", ["/_/oidc/audience", "/_/oidc/mint-token", "/_fake/github/token"])
def test_a_300_mb_oidc_answer_costs_a_few_mb(index: FakeIndex, release: Path, path: str) -> None:
    index.add_publisher("github", ["demo-pkg"])
    index.faults.add(path, "huge", 10, code=200, content_type="application/json", fill="[")

    child, kib = measured(
        "upload", "--repository-url", index.upload_url, "--no-progress", "--retries", "1",
        "--retry-backoff", "0.01", str(release / "*"), env=github_env(index),
    )  # fmt: skip

    assert kib < 200 * 1024, f"{kib} KiB"
    assert child.returncode == EXIT_TRUSTED_PUBLISHING, child.stderr
    assert "internal error" not in child.stderr
    assert index.files == {}


def test_a_huge_download_for_a_hash_stops_past_our_size(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    wheel, sdist = dist
    index.serve_digests = False
    index.faults.add("/legacy/", "drop_after_store", method=POST)
    index.faults.add("/legacy/", "status", method=POST, code=400, reason=EXISTS.format(wheel.name))
    index.faults.add("/files/", "huge", method="GET", content_type="application/octet-stream")

    run, report = publish(index, token, dist, timeout=5.0)

    assert run.exit_code == EXIT_UPLOAD  # the index served other bytes: a different file
    assert outcomes(report) == {wheel.name: "failed", sdist.name: "not attempted"}
    assert "a different file named" in report["files"][0]["error"]["message"]
    (download,) = [f for f in index.faults.all if f.kind == "huge"]
    assert download.params["sent"] < HUGE
    assert sorted(index.files) == [wheel.name]
