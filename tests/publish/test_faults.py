"""Reliability: the real CLI against the fake index with injected faults (protocol §7.3, §7.5).

Each scenario ends by comparing the index's final state with the release (every file exactly once,
byte for byte) and with what tpublish reported (``--json`` outcomes and the exit code). Backoff is
0.01 s and timeouts are short, so the whole module runs in seconds.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from builders import make_sdist, make_wheel
from cli_helpers import Run, tpublish_interrupted, wait_until
from fakeindex import FakeIndex, RecordedRequest
from fault_helpers import (
    EXISTS,
    PLAIN_METADATA,
    POST,
    assert_index_holds,
    assert_report_matches,
    by_name,
    outcomes,
    plain_release,
    publish,
)
from tlsfront import Listener, address
from tpublish.errors import EXIT_INTERRUPTED, EXIT_NETWORK, EXIT_OK, EXIT_UPLOAD


@pytest.fixture
def dist(tmp_path: Path) -> list[Path]:
    """A release: one wheel, one sdist (in ``tmp_path / "dist"``)."""
    return plain_release(tmp_path)


def posts_of(index: FakeIndex, path: Path) -> list[RecordedRequest]:
    return [r for r in index.uploads if r.content_filename == path.name]


def warnings(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if "attempt" in line and "failed" in line]


# -- lost connections --------------------------------------------------------------------------------


def test_connection_dropped_before_the_body_is_read(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    index.faults.add("/legacy/", "drop_before", method=POST)

    run, report = publish(index, token, dist)

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    assert by_name(report)[dist[0].name]["attempts"] == 2
    assert [r.fault for r in index.uploads] == ["drop_before", None, None]
    assert len(warnings(run)) == 1
    assert "Server disconnected without sending a response" in warnings(run)[0]


def test_connection_dropped_after_the_file_was_stored(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    """Warehouse answers the identical re-post 200: the file is not stored twice."""
    index.faults.add("/legacy/", "drop_after_store", method=POST)

    run, report = publish(index, token, dist)

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    assert [r.status for r in posts_of(index, dist[0])] == [200, 200]
    assert by_name(report)[dist[0].name]["attempts"] == 2


def test_lost_answer_then_already_exists_is_confirmed_by_hash_and_counted_uploaded(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    """An index that says "already exists" to the re-post: our earlier attempt stored it."""
    wheel = dist[0]
    index.faults.add("/legacy/", "drop_after_store", method=POST)
    index.faults.add("/legacy/", "status", method=POST, code=400, reason=EXISTS.format(wheel.name))

    run, report = publish(index, token, dist)

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    assert by_name(report)[wheel.name]["note"] == "stored by an earlier attempt"
    assert index.requests_to("/simple/demo-pkg/", "GET")  # the hash check


def test_a_stall_longer_than_the_timeout_is_retried(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    index.faults.add("/legacy/", "stall", method=POST, seconds=5)

    started = time.monotonic()
    run, report = publish(index, token, dist, timeout=0.5)

    assert time.monotonic() - started < 4
    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    assert by_name(report)[dist[0].name]["attempts"] == 2
    assert "did not answer in time" in warnings(run)[0]


# -- 5xx and 429 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_a_5xx_burst_shorter_than_the_retries_succeeds(
    index: FakeIndex, token: str, dist: list[Path], code: int
) -> None:
    index.faults.add("/legacy/", "status", 3, method=POST, code=code)

    run, report = publish(index, token, dist, "--retries", "4")

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    assert by_name(report)[dist[0].name]["attempts"] == 4
    assert [r.status for r in posts_of(index, dist[0])] == [code, code, code, 200]
    assert [f"attempt {n} failed ({code}:" in line for n, line in enumerate(warnings(run), 1)] == [
        True,
        True,
        True,
    ]


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_a_5xx_burst_longer_than_the_retries_fails_and_stops_the_release(
    index: FakeIndex, token: str, dist: list[Path], code: int
) -> None:
    index.faults.add("/legacy/", "status", 10, method=POST, code=code)

    run, report = publish(index, token, dist, "--retries", "2")

    assert run.exit_code == EXIT_NETWORK
    assert report["exit_code"] == EXIT_NETWORK
    assert outcomes(report) == {dist[0].name: "failed", dist[1].name: "not attempted"}
    failed = by_name(report)[dist[0].name]
    assert failed["attempts"] == 3
    assert failed["error"]["exit_code"] == EXIT_NETWORK
    assert failed["error"]["message"].startswith(f"{code}: ")
    assert len(index.uploads) == 3  # 1 + 2 retries, then nothing more
    assert index.files == {}


def test_429_retry_after_is_honoured_and_logged(
    index: FakeIndex, token: str, dist: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    arrivals: list[tuple[float, str]] = []
    record = index.record

    def timed(request: RecordedRequest) -> None:
        arrivals.append((time.monotonic(), request.method))
        record(request)

    monkeypatch.setattr(index, "record", timed)
    index.faults.add("/legacy/", "status", method=POST, code=429, retry_after=1)

    run, report = publish(index, token, dist)

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    posts = [at for at, method in arrivals if method == POST]
    assert posts[1] - posts[0] >= 1.0  # Retry-After: 1, although the backoff is 0.01 s
    (line,) = warnings(run)
    assert line.startswith(f"warning: {dist[0].name}: attempt 1 failed (429: ")
    assert line.endswith("retrying in 1.0 s")


def test_a_retry_after_beyond_patience_fails_instead_of_hanging(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    index.faults.add("/legacy/", "status", method=POST, code=429, retry_after=86400)

    started = time.monotonic()
    run, report = publish(index, token, dist)

    assert time.monotonic() - started < 30
    assert run.exit_code == EXIT_NETWORK
    assert [f["outcome"] for f in report["files"]] == ["failed", "not attempted"]
    assert "the index asks to wait 86400 s" in report["files"][0]["error"]["message"]
    assert "the index asks to wait 86400 s" in run.stderr  # the log says it too, not only the JSON
    assert index.files == {}


def test_a_400_is_never_retried(index: FakeIndex, token: str, dist: list[Path]) -> None:
    index.faults.add("/legacy/", "status", 5, method=POST, code=400, reason="Invalid value.")

    run, report = publish(index, token, dist, "--retries", "4")

    assert run.exit_code == EXIT_UPLOAD
    assert outcomes(report) == {dist[0].name: "failed", dist[1].name: "not attempted"}
    assert len(index.uploads) == 1
    assert warnings(run) == []
    assert index.files == {}


# -- odd answers ---------------------------------------------------------------------------------------


class TruncatingRelay(Listener):
    """A TCP relay to ``backend`` that cuts the answers to the first ``cuts`` uploads (POSTs) after
    ``keep`` bytes and closes their connection; reads (the pre-flight look-up) pass whole.

    HTTP/1.1 without pipelining: once a request starting with ``POST`` has gone to the server,
    the next bytes back are its answer.
    """

    def __init__(self, backend: tuple[str, int], *, keep: int, cuts: int = 1) -> None:
        self.backend, self.keep, self.cuts = backend, keep, cuts
        self.truncated = 0
        self._lock = threading.Lock()
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}/legacy/"

    def serve(self, client: socket.socket) -> None:
        cut = threading.Event()  # set once this connection carries an upload to cut
        with client, socket.create_connection(self.backend) as server:
            threading.Thread(target=self._requests, args=(client, server, cut), daemon=True).start()
            self._answers(server, client, cut)

    def _requests(self, source: socket.socket, sink: socket.socket, cut: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if data.startswith(b"POST") and not cut.is_set():
                    with self._lock:
                        if self.truncated < self.cuts:
                            self.truncated += 1
                            cut.set()
                sink.sendall(data)
        self._close(source, sink)

    def _answers(self, source: socket.socket, sink: socket.socket, cut: threading.Event) -> None:
        sent = 0
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if cut.is_set():
                    data = data[: self.keep - sent]
                    sink.sendall(data)
                    sent += len(data)
                    if sent >= self.keep:
                        break
                else:
                    sink.sendall(data)
        self._close(source, sink)

    @staticmethod
    def _close(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            source.shutdown(socket.SHUT_RDWR)


@pytest.mark.parametrize("keep", [12, 60], ids=["in-status-line", "in-headers"])
def test_a_truncated_answer_is_retried_and_the_file_stored_once(
    index: FakeIndex, token: str, dist: list[Path], keep: int
) -> None:
    relay = TruncatingRelay(address(index.url), keep=keep)
    try:
        run, report = publish(index, token, dist, url=relay.url)
    finally:
        relay.close()

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    assert by_name(report)[dist[0].name]["attempts"] == 2
    assert [r.status for r in posts_of(index, dist[0])] == [200, 200]
    assert len(warnings(run)) == 1


def test_a_cdn_error_page_instead_of_an_answer_is_retried_and_explained(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    index.faults.add("/legacy/", "non_json", method=POST, code=503)

    run, report = publish(index, token, dist)

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    assert "attempt 1 failed (503: Error 503 Backend fetch failed)" in warnings(run)[0]


def test_a_slow_trickling_answer_within_the_timeout_is_fine(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    index.faults.add("/legacy/", "trickle", method=POST, chunk=8, delay=0.01)

    run, report = publish(index, token, dist, timeout=1.0)

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    assert by_name(report)[dist[0].name]["attempts"] == 1
    assert warnings(run) == []


def test_a_trickle_slower_than_the_timeout_is_retried_and_stored_once(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    index.faults.add("/legacy/", "trickle", method=POST, chunk=40, delay=1.0)

    run, report = publish(index, token, dist, timeout=0.4)

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    assert by_name(report)[dist[0].name]["attempts"] == 2
    assert "did not answer in time" in warnings(run)[0]


# -- a name that is taken, and finishing a release ---------------------------------------------------


@pytest.mark.parametrize("skip_existing", [False, True])
def test_a_different_file_under_the_same_name_is_an_error_even_after_a_lost_answer(
    index: FakeIndex, token: str, dist: list[Path], tmp_path: Path, skip_existing: bool
) -> None:
    theirs = make_wheel(
        tmp_path / "theirs",
        "demo-pkg",
        "1.0.0",
        extra_metadata=PLAIN_METADATA,
        extra_files=[("demo_pkg/other.py", b"y = 2\n")],
    )
    first, _ = publish(index, token, [theirs])
    assert first.exit_code == EXIT_OK, first.output
    index.faults.add("/legacy/", "drop_before", method=POST)
    extra = ["--skip-existing"] if skip_existing else []

    run, report = publish(index, token, dist, *extra)

    assert run.exit_code == EXIT_UPLOAD
    assert outcomes(report) == {dist[0].name: "failed", dist[1].name: "not attempted"}
    error = by_name(report)[dist[0].name]["error"]
    assert error["message"] == f"a different file named {dist[0].name} is already on the index"
    assert index.files[theirs.name].data == theirs.read_bytes()
    assert dist[1].name not in index.files


def test_a_rerun_with_skip_existing_finishes_a_half_uploaded_release(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    wheel, sdist = dist
    index.faults.add("/legacy/", "stall", method=POST, seconds=0)  # the wheel goes through
    index.faults.add("/legacy/", "status", 10, method=POST, code=503)
    failed, first = publish(index, token, dist, "--retries", "1")
    assert failed.exit_code == EXIT_NETWORK
    assert outcomes(first) == {wheel.name: "uploaded", sdist.name: "failed"}
    assert sorted(index.files) == [wheel.name]
    index.faults.clear()

    run, report = publish(index, token, dist, "--skip-existing")

    assert run.exit_code == EXIT_OK, run.output
    assert report["exit_code"] == EXIT_OK
    assert_index_holds(index, dist)
    # The index listed the wheel before the first byte: only the sdist is sent.
    assert outcomes(report) == {wheel.name: "skipped", sdist.name: "uploaded"}
    assert [r.content_filename for r in index.uploads if r.status == 200] == [
        wheel.name,
        sdist.name,
    ]


# -- Ctrl-C ---------------------------------------------------------------------------------------------


def test_ctrl_c_during_a_stalled_upload_reports_each_file_and_exits_130(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    directory = tmp_path / "dist"
    # The glob sorts the py2 wheel first; the first wheel goes alone, then the others.
    first = make_wheel(
        directory, "demo-pkg", "1.0.0", tag="py2-none-any", extra_metadata=PLAIN_METADATA
    )
    second = make_wheel(directory, "demo-pkg", "1.0.0", extra_metadata=PLAIN_METADATA)
    sdist = make_sdist(directory, "demo-pkg", "1.0.0", extra_metadata=PLAIN_METADATA)
    index.faults.add("/legacy/", "stall", method=POST, seconds=0)  # the first wheel goes through
    index.faults.add("/legacy/", "stall", method=POST, seconds=60)  # the second one hangs
    interrupted = 0.0

    def second_started(_process: subprocess.Popen[str]) -> None:
        nonlocal interrupted
        wait_until(lambda: len(index.uploads) >= 2)
        assert len(index.uploads) == 2, "the second upload never started"
        time.sleep(0.3)
        interrupted = time.monotonic()

    run = tpublish_interrupted(
        "upload", "--repository-url", index.upload_url, "--json", "--no-progress",
        "--timeout", "60", "--concurrency", "1", str(directory / "*"),
        ready=second_started, env={"TPUBLISH_TOKEN": token}, timeout=20,
    )  # fmt: skip

    assert run.exit_code == EXIT_INTERRUPTED, run.stderr
    assert time.monotonic() - interrupted < 5  # not the 60 s read timeout
    assert "Traceback" not in run.stderr
    report = json.loads(run.stdout)
    assert report["interrupted"] is True
    assert report["exit_code"] == EXIT_INTERRUPTED
    assert outcomes(report) == {
        first.name: "uploaded",
        second.name: "interrupted",
        sdist.name: "not attempted",
    }
    assert index.files[first.name].data == first.read_bytes()
    assert sdist.name not in index.files
