"""What the index already holds, read the way each kind of index serves it.

PyPI and TestPyPI cannot be reached from the tests: their JSON API (one request per release) is
played by ``httpx.MockTransport`` with the answers PyPI gives; the simple API runs against the real
servers in the other tests.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from builders import make_sdist, make_wheel
from tpublish.dists.distribution import load_release
from tpublish.index.http import make_client
from tpublish.index.read import CannotTell, read_listing
from tpublish.index.remote import Index
from tpublish.publish.preflight import DIFFERENT, NEW, SAME, UNKNOWN, look_up

PYPI = "https://upload.pypi.org/legacy/"
TESTPYPI = "https://test.pypi.org/legacy/"


def pypi_answering(answers: dict[str, httpx.Response], seen: list[str]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return answers.get(str(request.url), httpx.Response(404, json={"message": "Not Found"}))

    return make_client(transport=httpx.MockTransport(handler))


def release_json(files: dict[str, str]) -> httpx.Response:
    urls = [
        {
            "filename": name,
            "url": f"https://files.pythonhosted.org/x/{name}",
            "digests": {"sha256": sha},
        }
        for name, sha in files.items()
    ]
    return httpx.Response(200, json={"info": {}, "urls": urls})


@pytest.mark.parametrize(
    ("upload_url", "base"), [(PYPI, "https://pypi.org"), (TESTPYPI, "https://test.pypi.org")]
)
def test_pypi_is_read_through_its_json_api_for_the_release(upload_url: str, base: str) -> None:
    seen: list[str] = []
    page = f"{base}/pypi/demo-pkg/1.0/json"
    client = pypi_answering({page: release_json({"demo_pkg-1.0.tar.gz": "ab" * 32})}, seen)

    listing = read_listing(client, upload_url, "demo-pkg", "1.0", ("__token__", "pypi-secret"))

    assert listing.exists
    assert listing.url == page
    assert listing.files["demo_pkg-1.0.tar.gz"].sha256 == "ab" * 32
    assert seen == [page]


def test_a_release_pypi_does_not_know_is_an_empty_listing() -> None:
    seen: list[str] = []

    listing = read_listing(pypi_answering({}, seen), PYPI, "demo-pkg", "9.9", None)

    assert not listing.exists and listing.files == {}


@pytest.mark.parametrize("status", [403, 500, 503])
def test_an_unreadable_pypi_answer_is_cannot_tell(status: int) -> None:
    page = "https://pypi.org/pypi/demo-pkg/1.0/json"
    client = pypi_answering({page: httpx.Response(status, text="oops")}, [])

    with pytest.raises(CannotTell, match=f"{page} answered {status}"):
        read_listing(client, PYPI, "demo-pkg", "1.0", None)


def test_the_json_api_never_gets_the_credential() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(404)

    client = make_client(transport=httpx.MockTransport(handler))
    read_listing(client, PYPI, "demo-pkg", "1.0", ("__token__", "pypi-secret"))

    assert "authorization" not in sent[0].headers  # pypi.org is not the upload host


def test_preflight_on_pypi_reads_once_per_release(tmp_path: Path) -> None:
    meta = (("Description-Content-Type", "text/markdown"),)
    ours = [
        make_wheel(tmp_path, "demo-pkg", "1.0", tag="py3-none-any", extra_metadata=meta),
        make_wheel(tmp_path, "demo-pkg", "1.0", tag="py2.py3-none-any", extra_metadata=meta),
        make_sdist(tmp_path, "demo-pkg", "1.0", extra_metadata=meta),
        make_wheel(tmp_path, "demo-pkg", "2.0", extra_metadata=meta),
    ]
    same = hashlib.sha256(ours[0].read_bytes()).hexdigest()
    page = "https://pypi.org/pypi/demo-pkg/1.0/json"
    seen: list[str] = []
    answers = {page: release_json({ours[0].name: same, ours[2].name: "0" * 64})}
    dists = load_release([str(p) for p in ours])

    with pypi_answering(answers, seen) as client:
        preflight = look_up(Index(client, PYPI), dists, None)

    assert sorted(seen) == [page, "https://pypi.org/pypi/demo-pkg/2.0/json"]
    states = [preflight.verdicts[d.path].state for d in dists]
    by_name = dict(zip([d.filename for d in dists], states, strict=True))
    assert by_name == {
        ours[0].name: SAME,
        ours[1].name: NEW,
        ours[2].name: DIFFERENT,
        ours[3].name: NEW,
    }


def test_preflight_when_pypi_cannot_be_read_is_unknown(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "demo-pkg", "1.0")
    dists = load_release([str(wheel)])

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("unreachable", request=request)

    with make_client(transport=httpx.MockTransport(handler)) as client:
        preflight = look_up(Index(client, PYPI), dists, None)

    assert preflight.verdicts[dists[0].path].state == UNKNOWN
    assert preflight.unreadable == ["demo-pkg"]
