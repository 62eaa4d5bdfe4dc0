"""Never report success the index cannot back (issue 12, class 1).

"already exists" after a lost answer is decided by sha256, always, and is ``uncertain`` where the
index offers no way to tell; a 2xx that is a web page or a JSON error is confirmed through the read
API or failed; a file stored by an earlier try and then answered with 5xx until the tries ran out
is uploaded when the index holds our bytes. Every test ends with the index's exact state and the
exit code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from builders import make_wheel
from cli_helpers import tpublish
from fakeindex import FakeIndex
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
    sha256,
)
from tpublish.errors import EXIT_NETWORK, EXIT_OK, EXIT_UPLOAD

PORTAL = "<html><head><title>Sign in - Hotel WiFi</title></head><body>Welcome</body></html>"
NGINX_413 = (
    "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@pytest.fixture
def dist(tmp_path: Path) -> list[Path]:
    return plain_release(tmp_path)


def lookups(index: FakeIndex) -> list[str]:
    """Requests to the read API (listings and downloads) once the uploads began (not the
    look-up before the release)."""
    first = next(n for n, r in enumerate(index.requests) if r.method == "POST")
    later = index.requests[first:]
    return [r.path for r in later if r.method == "GET" and not r.path.startswith("/_")]


def no_way_to_tell(index: FakeIndex, how: str) -> None:
    if how == "no-listing":
        index.serve_listings = False
    else:  # listed without digests, and the download refused
        index.serve_digests = False
        index.serve_files = False


# -- "already exists" is decided by hash, always ---------------------------------------------------


@pytest.mark.parametrize("how", ["no-listing", "no-digests-no-download"])
@pytest.mark.parametrize("lost", ["503", "502-page", "timeout", "drop"])
def test_already_exists_for_another_file_after_a_lost_answer_is_uncertain(
    index: FakeIndex, token: str, dist: list[Path], how: str, lost: str
) -> None:
    """The example of the issue: a 503, then "already exists" for a *different* file."""
    wheel, sdist = dist
    no_way_to_tell(index, how)
    if lost == "503":
        index.faults.add("/legacy/", "status", method=POST, code=503)
    elif lost == "502-page":
        index.faults.add("/legacy/", "non_json", method=POST, code=502, body="<h1>Bad gateway</h1>")
    elif lost == "timeout":
        index.faults.add("/legacy/", "stall", method=POST, seconds=3)
    else:
        index.faults.add("/legacy/", "drop_before", method=POST)
    index.faults.add("/legacy/", "status", method=POST, code=400, reason=EXISTS.format(wheel.name))
    if how != "no-listing":  # someone else's file of that name, listed without a digest
        theirs = make_wheel(wheel.parent.parent / "theirs", extra_files=[("demo_pkg/x.py", b"2")])
        index.faults.clear()
        first, _ = publish(index, token, [theirs])
        assert first.exit_code == EXIT_OK, first.output
        index.faults.add("/legacy/", "status", method=POST, code=503)
        index.faults.add(
            "/legacy/", "status", method=POST, code=400, reason=EXISTS.format(wheel.name)
        )

    run, report = publish(index, token, dist, timeout=1.0)

    assert run.exit_code == EXIT_UPLOAD, run.output
    assert report["exit_code"] == EXIT_UPLOAD
    assert outcomes(report) == {wheel.name: "uncertain", sdist.name: "uploaded"}
    entry = by_name(report)[wheel.name]
    assert entry["error"] is None
    assert entry["check_by_hand"].startswith(f"download {wheel.name} from the index")
    assert sha256(wheel) in entry["check_by_hand"]
    assert "uncertain: " + wheel.name in run.stderr
    assert "check by hand: download" in run.stderr
    assert index.files[sdist.name].data == sdist.read_bytes()
    held = index.files.get(wheel.name)
    assert held is None or held.data != wheel.read_bytes()  # theirs, never reported as ours
    assert sorted(index.files) == sorted(
        [sdist.name, *([wheel.name] if how != "no-listing" else [])]
    )


def test_uncertain_is_its_own_outcome_in_the_table(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    wheel, sdist = dist
    index.serve_listings = False
    index.faults.add("/legacy/", "status", method=POST, code=503)
    index.faults.add("/legacy/", "status", method=POST, code=400, reason=EXISTS.format(wheel.name))

    run = tpublish(
        "upload", "--repository-url", index.upload_url, "--token", token, "--no-progress",
        "--retry-backoff", "0.01", *(str(p) for p in dist),
    )  # fmt: skip

    assert run.exit_code == EXIT_UPLOAD
    rows = {line.split()[0]: line.split()[1] for line in run.stdout.splitlines()[2:] if line}
    assert rows == {wheel.name: "uncertain", sdist.name: "uploaded"}
    assert sorted(index.files) == [sdist.name]


def test_our_file_stored_before_the_answer_was_lost_is_uncertain_without_a_listing(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    """Stored, but nothing shows it: not "uploaded" (unbacked), not "failed" (it is there)."""
    wheel, sdist = dist
    index.serve_listings = False
    index.faults.add("/legacy/", "drop_after_store", method=POST)
    index.faults.add("/legacy/", "status", method=POST, code=400, reason=EXISTS.format(wheel.name))

    run, report = publish(index, token, dist)

    assert run.exit_code == EXIT_UPLOAD
    assert outcomes(report) == {wheel.name: "uncertain", sdist.name: "uploaded"}
    assert_index_holds(index, dist)


@pytest.mark.parametrize("digests", [True, False], ids=["listed-digest", "downloaded"])
def test_already_exists_after_a_lost_answer_is_confirmed_by_the_listing_or_a_download(
    index: FakeIndex, token: str, dist: list[Path], digests: bool
) -> None:
    wheel, _ = dist
    index.serve_digests = digests
    index.faults.add("/legacy/", "drop_after_store", method=POST)
    index.faults.add("/legacy/", "status", method=POST, code=400, reason=EXISTS.format(wheel.name))

    run, report = publish(index, token, dist)

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    assert by_name(report)[wheel.name]["note"] == "stored by an earlier attempt"
    assert (f"/files/{wheel.name}" in lookups(index)) is not digests


def test_skip_existing_without_a_way_to_check_is_uncertain_not_skipped(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    wheel, sdist = dist
    index.serve_listings = False
    index.faults.add("/legacy/", "status", method=POST, code=409, body="exists")

    run, report = publish(index, token, dist, "--skip-existing")

    assert run.exit_code == EXIT_UPLOAD
    assert outcomes(report) == {wheel.name: "uncertain", sdist.name: "uploaded"}
    assert sorted(index.files) == [sdist.name]


# -- a 2xx is proof only when it is the upload API's -----------------------------------------------


JSON_ERRORS: dict[str, Any] = {
    "error": {"error": "quota exceeded"},
    "errors": {"errors": [{"code": "x", "description": "refused"}]},
    "success-false": {"success": False, "message": "no"},
    "status-error": {"status": "error", "message": "maintenance"},
    "pyramid-code": {"code": "503 Service Unavailable", "message": "try later"},
}


@pytest.mark.parametrize(
    ("kind", "body", "content_type"),
    [
        ("page", PORTAL, "text/html; charset=utf-8"),
        ("page-untyped", PORTAL, "application/octet-stream"),
        *[
            (f"json-{name}", json.dumps(value), "application/json")
            for name, value in JSON_ERRORS.items()
        ],
    ],
)
def test_a_200_that_is_a_page_or_a_json_error_and_stored_nothing_fails(
    index: FakeIndex, token: str, dist: list[Path], kind: str, body: str, content_type: str
) -> None:
    wheel, sdist = dist
    index.faults.add(
        "/legacy/", "status", method=POST, code=200, body=body, content_type=content_type
    )

    run, report = publish(index, token, dist)

    assert run.exit_code == EXIT_UPLOAD, run.output
    assert outcomes(report) == {wheel.name: "failed", sdist.name: "not attempted"}
    message = by_name(report)[wheel.name]["error"]["message"]
    assert "instead of an upload answer" in message
    assert "the upload is not confirmed" in message
    if kind.startswith("page"):
        assert "a web page (Sign in - Hotel WiFi)" in message
    else:
        assert "a JSON error" in message
    assert index.files == {}


def test_a_huge_200_is_not_proof(index: FakeIndex, token: str, dist: list[Path]) -> None:
    index.faults.add("/legacy/", "huge", method=POST, size=5 * 1024 * 1024)

    run, report = publish(index, token, dist)

    assert run.exit_code == EXIT_UPLOAD
    assert "an answer far larger than an upload API's" in report["files"][0]["error"]["message"]
    assert index.files == {}


def test_a_page_200_after_the_file_was_stored_is_confirmed_by_hash(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    wheel, _ = dist
    index.faults.add("/legacy/", "after_store", method=POST, code=200, body=PORTAL)

    run, report = publish(index, token, dist)

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    assert by_name(report)[wheel.name]["note"].startswith("confirmed by its sha256")


@pytest.mark.parametrize("how", ["no-listing", "no-digests-no-download"])
def test_a_page_200_that_cannot_be_confirmed_fails(
    index: FakeIndex, token: str, dist: list[Path], how: str
) -> None:
    wheel, sdist = dist
    no_way_to_tell(index, how)
    index.faults.add("/legacy/", "after_store", method=POST, code=200, body=PORTAL)

    run, report = publish(index, token, dist)

    assert run.exit_code == EXIT_UPLOAD
    assert outcomes(report) == {wheel.name: "failed", sdist.name: "not attempted"}
    assert sorted(index.files) == [wheel.name]  # what the index did is not what it told us


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("", "text/html; charset=UTF-8"),  # Warehouse and pypiserver
        ("", None),
        ("Upload warnings: none\n", "text/plain"),  # Warehouse's body holds warnings, if any
        (
            json.dumps(  # devpi, stored, a plugin failed afterwards (Pyramid's JSON page)
                {
                    "message": "OK, but a trigger plugin failed: boom",
                    "code": "200 OK, but a trigger plugin failed: boom",
                    "title": "OK, but a trigger plugin failed: boom",
                }
            ),
            "application/json",
        ),
    ],
    ids=["warehouse-empty", "no-type", "plain-text", "devpi-json"],
)
def test_an_upload_apis_own_2xx_needs_no_lookup(
    index: FakeIndex, token: str, dist: list[Path], body: str, content_type: str | None
) -> None:
    index.faults.add(
        "/legacy/", "after_store", 2, method=POST, code=200, body=body, content_type=content_type
    )

    run, report = publish(index, token, dist)

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    assert lookups(index) == []


# -- stored by an earlier try, then 5xx until the tries ran out -------------------------------------


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_stored_then_5xx_until_the_retries_run_out_is_uploaded(
    index: FakeIndex, token: str, dist: list[Path], code: int
) -> None:
    index.faults.add("/legacy/", "after_store", 3, method=POST, code=code)

    run, report = publish(index, token, dist, "--retries", "2")

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)
    entry = by_name(report)[dist[0].name]
    assert entry["attempts"] == 3
    assert entry["note"] == "stored by an earlier attempt; later answers were errors"


def test_stored_then_lost_answers_until_the_retries_run_out_is_uploaded(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    index.faults.add("/legacy/", "drop_after_store", 3, method=POST)

    run, report = publish(index, token, dist, "--retries", "2")

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert_report_matches(report, dist)


def test_stored_then_5xx_without_a_listing_fails_and_says_it_may_be_there(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    wheel, sdist = dist
    index.serve_listings = False
    index.faults.add("/legacy/", "after_store", 3, method=POST, code=503)

    run, report = publish(index, token, dist, "--retries", "2")

    assert run.exit_code == EXIT_NETWORK
    assert outcomes(report) == {wheel.name: "failed", sdist.name: "not attempted"}
    assert "an earlier attempt may have stored it" in run.stderr
    assert sorted(index.files) == [wheel.name]


def test_a_file_never_sent_whole_is_not_looked_up(
    index: FakeIndex, token: str, tmp_path: Path
) -> None:
    """Dropped before the body was read: more than the socket buffers hold never went out."""
    big = make_wheel(tmp_path, extra_metadata=PLAIN_METADATA, payload_size=24 * 1024 * 1024)
    index.faults.add("/legacy/", "drop_before", 3, method=POST)

    run, report = publish(index, token, [big], "--retries", "2")

    assert run.exit_code == EXIT_NETWORK
    assert outcomes(report) == {big.name: "failed"}
    assert lookups(index) == []
    assert index.files == {}


# -- a proxy's page --------------------------------------------------------------------------------


def test_a_proxys_413_page_says_what_refused_the_file(
    index: FakeIndex, token: str, dist: list[Path]
) -> None:
    index.reason_phrases = False
    index.faults.add(
        "/legacy/", "status", 3, method=POST, code=413, body=NGINX_413, content_type="text/html"
    )

    run, report = publish(index, token, dist)

    assert run.exit_code == EXIT_UPLOAD
    assert len(index.uploads) == 1  # not retried
    assert report["files"][0]["error"]["message"] == (
        "413 Request Entity Too Large: the index or a proxy in front of it refuses a file this big"
    )
    assert "nginx/1.25.3" not in run.stderr  # the signature is not a message
    assert index.files == {}
