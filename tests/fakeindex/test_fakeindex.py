"""The fake index itself, exercised over real HTTP with httpx (protocol §3, §5, §6, §7, §8.3, §11)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import id as id_package
import pytest

from builders import make_release, make_sdist, make_wheel
from fakeindex import FakeIndex, fake_index, make_attestation
from fakeindex.jwt import shared_key

HELP = "https://pypi.org/help/"
SPEC = "https://packaging.python.org/specifications/core-metadata"


@pytest.fixture
def index() -> Iterator[FakeIndex]:
    with fake_index() as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


@pytest.fixture
def tp_token(index: FakeIndex) -> str:
    """A minted token for demo-pkg (project owned by alice, GitHub publisher octo/demo)."""
    index.add_publisher("github", projects=["demo-pkg"])
    return index.mint()


def form_for(path: Path, **overrides: Any) -> dict[str, Any]:
    """The legacy upload form twine would send for ``path``; ``None`` overrides drop a field."""
    data = path.read_bytes()
    wheel = path.name.endswith(".whl")
    name_version = (
        path.name.split("-")[:2] if wheel else path.name[: -len(".tar.gz")].rsplit("-", 1)
    )
    form: dict[str, Any] = {
        ":action": "file_upload",
        "protocol_version": "1",
        "metadata_version": "2.4",
        "name": name_version[0].replace("_", "-"),
        "version": name_version[1],
        "summary": "A test package",
        "filetype": "bdist_wheel" if wheel else "sdist",
        "pyversion": "py3" if wheel else "source",
        "sha256_digest": hashlib.sha256(data).hexdigest(),
        "blake2_256_digest": hashlib.blake2b(data, digest_size=32).hexdigest(),
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def upload(
    client: httpx.Client,
    index: FakeIndex,
    path: Path,
    token: str,
    *,
    headers: dict[str, str] | None = None,
    **overrides: Any,
) -> httpx.Response:
    files = {"content": (path.name, path.read_bytes(), "application/octet-stream")}
    data = form_for(path, **overrides)
    auth = ("__token__", token)
    return client.post(index.upload_url, data=data, files=files, auth=auth, headers=headers)


def mint(client: httpx.Client, index: FakeIndex, jwt: str) -> httpx.Response:
    return client.post(f"{index.url}/_/oidc/mint-token", json={"token": jwt})


def mint_error(client: httpx.Client, index: FakeIndex, jwt: str) -> tuple[str, str]:
    response = mint(client, index, jwt)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"] == "Token request failed"
    [error] = body["errors"]
    return error["code"], error["description"]


# uploads ------------------------------------------------------------------------------------


def test_upload_release_then_read_it_back(
    index: FakeIndex, client: httpx.Client, tp_token: str, tmp_path: Path
) -> None:
    wheel, sdist = make_release(tmp_path / "dist")
    for path in (wheel, sdist):
        response = upload(client, index, path, tp_token)
        assert (response.status_code, response.reason_phrase, response.content) == (200, "OK", b"")
        assert index.files[path.name].data == path.read_bytes()
    stored = index.files[wheel.name]
    assert (stored.project, stored.version, stored.packagetype, stored.size) == (
        "demo-pkg",
        "1.0.0",
        "bdist_wheel",
        wheel.stat().st_size,
    )
    assert stored.blake2_256 == hashlib.blake2b(wheel.read_bytes(), digest_size=32).hexdigest()
    assert client.get(f"{index.url}/files/{wheel.name}").content == wheel.read_bytes()

    page = client.get(f"{index.url}/simple/Demo_Pkg/").text
    assert f'href="{index.url}/files/{sdist.name}#sha256={index.files[sdist.name].sha256}"' in page
    simple = client.get(
        f"{index.url}/simple/demo-pkg/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    assert simple.headers["content-type"] == "application/vnd.pypi.simple.v1+json"
    assert {f["filename"] for f in simple.json()["files"]} == {wheel.name, sdist.name}
    urls = client.get(f"{index.url}/pypi/demo-pkg/1.0.0/json").json()["urls"]
    assert {u["filename"]: u["digests"]["blake2b_256"] for u in urls} == {
        name: index.files[name].blake2_256 for name in (wheel.name, sdist.name)
    }
    assert client.get(f"{index.url}/pypi/demo-pkg/json").json()["info"]["version"] == "1.0.0"
    assert client.get(f"{index.url}/pypi/nope/json").status_code == 404
    assert client.get(f"{index.url}/simple/nope/").status_code == 404

    [logged, _] = index.uploads
    assert (logged.content_filename, logged.content_size, logged.status) == (
        wheel.name,
        wheel.stat().st_size,
        200,
    )
    assert logged.field("filetype") == "bdist_wheel" and logged.field("content") is None


def test_reupload_identical_is_a_noop_and_changed_is_refused(
    index: FakeIndex, client: httpx.Client, tp_token: str, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path)
    assert upload(client, index, wheel, tp_token).status_code == 200
    before = index.files[wheel.name]
    again = upload(client, index, wheel, tp_token)
    assert (again.status_code, again.content) == (200, b"")
    assert index.files[wheel.name] is before

    rebuilt = make_wheel(tmp_path, extra_files=[("demo_pkg/extra.py", b"x = 1\n")])
    response = upload(client, index, rebuilt, tp_token)
    blake2 = hashlib.blake2b(rebuilt.read_bytes(), digest_size=32).hexdigest()
    message = (
        f"File already exists ('{wheel.name}', with blake2_256 hash '{blake2}'). "
        f"See {HELP}#file-name-reuse for more information."
    )
    assert (response.status_code, response.reason_phrase) == (400, message)
    assert (
        "already exist" in response.text.lower() and "&#x27;" in response.text
    )  # HTML-escaped quotes
    assert index.files[wheel.name] is before


def test_bigger_upload_streamed_in_chunks(
    index: FakeIndex, client: httpx.Client, tp_token: str, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path, payload_size=24 * 1024 * 1024)
    request = client.build_request(
        "POST",
        index.upload_url,
        data=form_for(wheel),
        files={"content": (wheel.name, wheel.read_bytes(), "application/octet-stream")},
    )
    body, boundary_header = request.read(), request.headers["content-type"]

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 1 << 20):
            yield body[start : start + (1 << 20)]

    response = client.post(
        index.upload_url,
        content=chunks(),
        headers={"Content-Type": boundary_header},
        auth=("__token__", tp_token),
    )
    assert response.status_code == 200, response.reason_phrase
    assert index.requests[-1].headers.get("transfer-encoding") == "chunked"
    assert index.files[wheel.name].data == wheel.read_bytes()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"sha256_digest": "0" * 64},
            "The digest supplied does not match a digest calculated from the uploaded file.",
        ),
        (
            {"md5_digest": "0" * 32},
            "The digest supplied does not match a digest calculated from the uploaded file.",
        ),
        (
            {"sha256_digest": None, "blake2_256_digest": None},
            "Error: Include at least one message digest.",
        ),
        (
            {"sha256_digest": "xyz"},
            "Invalid value for sha256_digest. Error: Use a valid, hex-encoded, SHA256 message digest.",
        ),
        (
            {"blake2_256_digest": "0"},
            "Invalid value for blake2_256_digest. Error: Use a valid, hex-encoded, BLAKE2 message digest.",
        ),
        ({"pyversion": None}, "Error: Python version is required for binary distribution uploads."),
        ({"filetype": "bdist_egg"}, "Invalid value for filetype. Error: Use a known file type."),
        ({"protocol_version": "2"}, "Unknown protocol version."),
        (
            {"name": None},
            f"'' is an invalid value for Name. Error: This field is required. See {SPEC} for more information.",
        ),
        (
            {"name": "-bad-"},
            "'-bad-' is an invalid value for Name. Error: Start and end with a letter or numeral containing "
            f"only ASCII numeric and '.', '_' and '-'. See {SPEC} for more information.",
        ),
        (
            {"version": "1.0.0+local"},
            f"The use of local versions in '1.0.0+local' is not allowed. See {SPEC} for more information.",
        ),
        (
            {"version": "bogus"},
            f"'bogus' is invalid for 'version'. See {SPEC} for more information.",
        ),
        (
            {"metadata_version": "3.0"},
            f"'3.0' is not a valid metadata version. See {SPEC} for more information.",
        ),
        (
            {"metadata_version": "2.6"},
            f"'2.6' is not a valid metadata version. See {SPEC} for more information.",
        ),
        (
            {"summary": "x" * 513},
            f"'summary' field must be 512 characters or less. See {SPEC} for more information.",
        ),
        ({"gpg_signature": None, "comment": "UNKNOWN"}, None),
    ],
)
def test_form_and_metadata_errors(
    index: FakeIndex,
    client: httpx.Client,
    tp_token: str,
    tmp_path: Path,
    overrides: dict[str, Any],
    message: str | None,
) -> None:
    response = upload(client, index, make_wheel(tmp_path), tp_token, **overrides)
    if message is None:
        assert response.status_code == 200
        assert (
            index.uploads[-1].field("comment") == "UNKNOWN"
        )  # logged as sent, dropped by the server
        return
    assert (response.status_code, response.reason_phrase) == (400, message)
    assert not index.files


def test_file_rules(index: FakeIndex, client: httpx.Client, tp_token: str, tmp_path: Path) -> None:
    def refused(path: Path, **overrides: Any) -> str:
        response = upload(client, index, path, tp_token, **overrides)
        assert response.status_code == 400, response.reason_phrase
        return response.reason_phrase

    old_style = make_sdist(tmp_path, filename="demo-pkg-1.0.0.tar.gz")
    assert (
        refused(old_style)
        == "Filename 'demo-pkg-1.0.0.tar.gz' is invalid, should be 'demo_pkg-1.0.0.tar.gz'."
    )
    other = make_sdist(tmp_path, "other-pkg")
    assert refused(other, name="demo-pkg") == "Start filename for 'demo-pkg' with 'demo_pkg'."
    newer = make_wheel(tmp_path, version="1.0.1")
    assert refused(newer, version="1.0.0") == "Version in filename should be '1.0.0' not '1.0.1'."
    assert refused(make_wheel(tmp_path, version="1.0.2", record=False)) == (
        "Wheel 'demo_pkg-1.0.2-py3-none-any.whl' does not contain the required RECORD file: "
        "demo_pkg-1.0.2.dist-info/RECORD"
    )
    assert refused(make_wheel(tmp_path, tag="py3-none-beos_x86")) == (
        "Binary wheel 'demo_pkg-1.0.0-py3-none-beos_x86.whl' has an unsupported platform tag 'beos_x86'."
    )
    assert refused(make_sdist(tmp_path, include_pkg_info=False)) == (
        "Invalid distribution file. PKG-INFO not found at demo_pkg-1.0.0/PKG-INFO"
    )
    assert refused(make_wheel(tmp_path), filetype="sdist", pyversion=None) == (
        "Invalid file extension: Extension .whl is invalid for filetype sdist. "
        "See https://www.python.org/dev/peps/pep-0527 for more information."
    )
    assert upload(client, index, make_sdist(tmp_path), tp_token).status_code == 200
    second = tmp_path / "demo_pkg-1.0.0.zip"
    second.write_bytes(b"not even a zip")
    assert refused(second, version="1.0.0") == "Only one sdist may be uploaded per release."

    index.upload_size_limit = 1024 * 1024
    big = make_wheel(tmp_path, version="2.0", payload_size=2 * 1024 * 1024)
    assert refused(big) == (
        "File too large. Limit for project 'demo-pkg' is 1 MB. See "
        "https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-limit-increase "
        "for more information."
    )
    index.add_release("demo-pkg", "0.9", created=index.now() - 15 * 86400)
    assert (
        refused(make_wheel(tmp_path, version="0.9"))
        == "Uploading new files to releases older than 14 days is not allowed."
    )
    assert sorted(index.files) == ["demo_pkg-1.0.0.tar.gz"]


def test_deleted_filename_cannot_come_back(
    index: FakeIndex, client: httpx.Client, tp_token: str, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path)
    assert upload(client, index, wheel, tp_token).status_code == 200
    index.delete_file(wheel.name)
    response = upload(client, index, wheel, tp_token)
    assert response.reason_phrase.startswith(
        "This filename was previously used by a file that has since been deleted."
    )


def test_legacy_routes(
    index: FakeIndex, client: httpx.Client, tp_token: str, tmp_path: Path
) -> None:
    redirect = client.post(index.upload_url.rstrip("/"), data={":action": "file_upload"})
    assert redirect.status_code == 308
    assert redirect.headers["location"] == index.upload_url
    assert redirect.reason_phrase == (
        "An upload was attempted to /legacy but the expected upload URL is /legacy/ (with a trailing slash)"
    )
    assert client.get(index.upload_url).status_code == 200
    forgotten = upload(client, index, make_wheel(tmp_path), tp_token, **{":action": None})
    assert (forgotten.status_code, "text/html" in forgotten.headers["content-type"]) == (200, True)
    assert not index.files
    gone = client.post(index.upload_url, data={":action": "doc_upload"})
    assert (gone.status_code, gone.reason_phrase) == (
        410,
        "Uploading documentation is no longer supported, we recommend using https://readthedocs.org/.",
    )
    submit = client.post(index.upload_url + "?:action=submit")
    assert submit.reason_phrase.startswith("Project pre-registration is no longer required")


def test_error_body_formats_and_http2_mode(
    index: FakeIndex, client: httpx.Client, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path)
    message = f"Invalid or non-existent authentication information. See {HELP}#invalid-auth for more information."
    html = upload(client, index, wheel, "pypi-unknown")
    assert html.headers["content-type"].startswith("text/html")
    assert f"<title>403 {message}</title>" in html.text and f"<h1>403 {message}</h1>" in html.text
    assert "Access was denied to this resource.<br/><br/>\n" in html.text
    as_json = upload(client, index, wheel, "pypi-unknown", headers={"Accept": "application/json"})
    assert as_json.json() == {
        "message": f"Access was denied to this resource.\n\n\n{message}\n\n",
        "code": f"403 {message}",
        "title": "Forbidden",
    }
    plain = upload(client, index, wheel, "pypi-unknown", headers={"Accept": "text/x-unknown"})
    assert plain.text == f"403 {message}\n\nAccess was denied to this resource.\n\n\n{message}\n\n"

    index.reason_phrases = False
    http2 = upload(client, index, wheel, "pypi-unknown")
    assert (http2.status_code, http2.reason_phrase) == (403, "Forbidden")
    assert message in http2.text


# authentication and token scope ---------------------------------------------------------------


def test_authentication_rules(index: FakeIndex, client: httpx.Client, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    files = {"content": (wheel.name, wheel.read_bytes(), "application/octet-stream")}
    anonymous = client.post(index.upload_url, data=form_for(wheel), files=files)
    assert anonymous.reason_phrase.startswith("Invalid or non-existent authentication information.")
    index.add_user("alice", "secret")
    password = client.post(
        index.upload_url, data=form_for(wheel), files=files, auth=("alice", "secret")
    )
    assert password.reason_phrase == (
        "Username/Password authentication is no longer supported. Migrate to API Tokens or Trusted "
        f"Publishers instead. See {HELP}#apitoken and {HELP}#trusted-publishers"
    )
    index.allow_passwords = True
    assert (
        client.post(
            index.upload_url, data=form_for(wheel), files=files, auth=("alice", "secret")
        ).status_code
        == 200
    )
    assert index.projects["demo-pkg"].owners == {"alice"}


def test_api_tokens(index: FakeIndex, client: httpx.Client, tmp_path: Path) -> None:
    token = index.add_api_token("pypi-AgEcanary-user-token")
    assert upload(client, index, make_wheel(tmp_path, "new-pkg"), token).status_code == 200
    assert index.projects["new-pkg"].owners == {"alice"}
    scoped = index.add_api_token(projects=["new-pkg"])
    refused = upload(client, index, make_wheel(tmp_path, "another"), scoped)
    assert (
        refused.reason_phrase
        == "Invalid API Token: project-scoped token is not valid for project: 'another'"
    )
    assert "another" not in index.projects
    index.add_project("bobs-pkg", owner="bob")
    assert upload(client, index, make_wheel(tmp_path, "bobs-pkg"), token).reason_phrase == (
        f"The user 'alice' isn't allowed to upload to project 'bobs-pkg'. See {HELP}#project-name for more information."
    )
    wheel = make_wheel(tmp_path, "new-pkg", "2.0")
    attested = upload(
        client,
        index,
        wheel,
        token,
        attestations=json.dumps([make_attestation(wheel.name, "0" * 64)]),
    )
    assert attested.reason_phrase == (
        "Invalid attestations supplied during upload: Attestations are only supported when using Trusted Publishing"
    )


def test_minted_token_scope_and_expiry(
    index: FakeIndex, client: httpx.Client, tp_token: str, tmp_path: Path
) -> None:
    index.add_project("other-pkg")
    wrong = upload(client, index, make_wheel(tmp_path, "other-pkg"), tp_token)
    assert (wrong.status_code, wrong.reason_phrase) == (
        403,
        "Invalid API Token: OIDC scoped token is not valid for project 'other-pkg'",
    )
    new = upload(client, index, make_wheel(tmp_path, "brand-new"), tp_token)
    assert new.status_code == 400
    assert new.reason_phrase.startswith("Non-user identities cannot create new projects.")
    index.clock_offset = 901
    expired = upload(client, index, make_wheel(tmp_path), tp_token)
    assert (expired.status_code, expired.reason_phrase) == (
        403,
        "Invalid API Token: token is expired",
    )


def test_burned_token_is_unknown(
    index: FakeIndex, client: httpx.Client, tp_token: str, tmp_path: Path
) -> None:
    burned = client.post(f"{index.url}/_/oidc/burn-token", json={"token": tp_token})
    assert (burned.status_code, burned.json()) == (202, {"message": "Accepted", "errors": []})
    assert client.post(f"{index.url}/_/oidc/burn-token", content=b"junk").status_code == 202
    assert upload(client, index, make_wheel(tmp_path), tp_token).status_code == 403


# trusted publishing ---------------------------------------------------------------------------


def test_audience_endpoint(index: FakeIndex, client: httpx.Client) -> None:
    url = f"{index.url}/_/oidc/audience"
    assert client.get(url).json() == {"audience": "pypi"}
    assert client.post(url).status_code == 405
    index.tp_enabled = False
    assert (client.get(url).status_code, client.get(url).json()) == (
        403,
        {"message": "Trusted publishing functionality not enabled"},
    )
    index.implements_tp = False
    assert client.get(url).status_code == 404


def test_mint_success(index: FakeIndex, client: httpx.Client) -> None:
    index.add_publisher("github", projects=["demo-pkg", "demo-plugin"])
    before = int(time.time())
    body = mint(client, index, index.github_oidc_token()).json()
    assert body["success"] is True and body["token"].startswith("pypi-AgE")
    assert before + 900 <= body["expires"] <= int(time.time()) + 900
    assert index.minted_tokens[body["token"]].projects == ["demo-pkg", "demo-plugin"]
    index.send_expires = False
    index.minted_token_lifetime = 2
    legacy = client.post(
        f"{index.url}/_/oidc/github/mint-token", json={"token": index.github_oidc_token()}
    )
    assert set(legacy.json()) == {"success", "token"}
    minted = index.minted_tokens[legacy.json()["token"]]
    assert minted.expires_at - minted.not_before == 2


def test_mint_payload_and_token_errors(index: FakeIndex, client: httpx.Client) -> None:
    index.add_publisher("github", projects=["demo-pkg"])
    url = f"{index.url}/_/oidc/mint-token"
    for body, expected in (
        (b"not json", "Invalid JSON"),
        (b"[]", "Input should be an object"),
        (b"{}", "token\n  Field required [type=missing"),
        (b'{"token": 7}', "Input should be a valid string"),
    ):
        [error] = client.post(url, content=body).json()["errors"]
        assert error["code"] == "invalid-payload"
        assert (
            error["description"].startswith("1 validation error for TokenPayload\n")
            and expected in error["description"]
        )
    assert mint_error(client, index, "a.b") == ("invalid-payload", "malformed JWT")
    assert mint_error(client, index, index.github_oidc_token(iss=None)) == (
        "invalid-payload",
        "malformed JWT",
    )
    unknown = ("invalid-payload", "unknown trusted publishing issuer")
    assert mint_error(client, index, index.circleci_oidc_token()) == unknown
    assert mint_error(client, index, index.buildkite_oidc_token()) == unknown
    invalid = ("invalid-token", "malformed or invalid token")
    assert mint_error(client, index, index.github_oidc_token(key=shared_key("stranger"))) == invalid
    assert mint_error(client, index, index.github_oidc_token(aud="testpypi")) == invalid
    assert mint_error(client, index, index.github_oidc_token(aud=["pypi"])) == invalid
    assert mint_error(client, index, index.github_oidc_token(exp=int(time.time()) - 31)) == invalid
    assert mint_error(client, index, index.github_oidc_token(nbf=int(time.time()) + 60)) == invalid
    assert mint_error(client, index, index.github_oidc_token(iat=None)) == invalid
    assert (
        mint(client, index, index.github_oidc_token(exp=int(time.time()) - 20)).status_code == 200
    )  # leeway
    index.disabled_kinds.add("github")
    assert mint_error(client, index, index.github_oidc_token()) == (
        "not-enabled",
        "github trusted publishing functionality not enabled",
    )
    index.disabled_kinds.clear()
    index.tp_enabled = False
    assert mint_error(client, index, index.gitlab_oidc_token())[0] == "not-enabled"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"repository_owner_id": "43"}, "Publisher with matching claims was not found"),
        (
            {"job_workflow_ref": "octo/demo/.github/workflows/other.yml@refs/tags/v1.0.0"},
            "Publisher with matching claims was not found",
        ),
        (
            {"job_workflow_ref": "octo/demo/.github/workflows/"},
            "Could not job extract workflow filename from OIDC claims",
        ),
        (
            {"job_workflow_ref": "octo/demo/.github/workflows/release.yml@refs/heads/evil"},
            "The job_workflow_ref claim does not match, expecting one of ['octo/demo/.github/workflows/release.yml@"
            "6f1f8ea9f2a0f8b5c1d7e3a4b9c0d2e5f7a8b1c3', 'octo/demo/.github/workflows/release.yml@refs/tags/v1.0.0'], "
            "got 'octo/demo/.github/workflows/release.yml@refs/heads/evil'",
        ),
        (
            {"event_name": "pull_request_target"},
            "Publishing from a workflow invoked via 'pull_request_target' is not supported.",
        ),
        ({"repository_owner": "OCTO"}, "Check failed for required claim 'repository_owner'"),
        ({"sha": None}, "Missing claim 'sha'"),
        ({"environment": "staging"}, "Publisher with matching claims was not found"),
    ],
)
def test_github_publisher_mismatches(
    index: FakeIndex, client: httpx.Client, overrides: dict[str, Any], reason: str
) -> None:
    index.add_publisher("github", projects=["demo-pkg"], environment="Release")
    token = index.github_oidc_token(**{"environment": "RELEASE", **overrides})
    assert mint_error(client, index, token) == (
        "invalid-publisher",
        f"valid token, but no corresponding publisher ({reason})",
    )


def test_github_environments_and_job_workflow_ref_by_sha(
    index: FakeIndex, client: httpx.Client
) -> None:
    pinned = index.add_publisher("github", projects=["demo-pkg"], environment="PyPI")
    assert mint(client, index, index.github_oidc_token(environment="pypi")).status_code == 200
    assert mint_error(client, index, index.github_oidc_token())[1].endswith(
        "(Publisher with matching claims was not found)"
    )
    index.add_publisher("github", projects=["demo-pkg"])  # no environment: any environment passes
    token = mint(client, index, index.github_oidc_token(environment="anything")).json()["token"]
    assert index.minted_tokens[token].publisher is not pinned
    by_sha = index.github_oidc_token(
        job_workflow_ref=f"octo/demo/.github/workflows/release.yml@{index.github_claims['sha']}"
    )
    assert mint(client, index, by_sha).status_code == 200


def test_jti_reuse(index: FakeIndex, client: httpx.Client) -> None:
    jwt = index.github_oidc_token()
    assert mint_error(client, index, jwt)[0] == "invalid-publisher"  # refused: jti not consumed
    index.add_publisher("github", projects=["demo-pkg"])
    assert mint(client, index, jwt).status_code == 200
    assert mint_error(client, index, jwt) == ("invalid-reuse-token", "invalid token: already used")
    assert mint(client, index, index.github_oidc_token()).status_code == 200


def test_gitlab_and_google_publishers(index: FakeIndex, client: httpx.Client) -> None:
    index.add_publisher("gitlab", projects=["demo-pkg"], environment="Production")
    assert mint_error(client, index, index.gitlab_oidc_token(environment="production"))[1].endswith(
        "(Publisher with matching claims was not found)"
    )
    jwt = index.gitlab_oidc_token(environment="Production")
    assert mint(client, index, jwt).status_code == 200
    assert (
        mint_error(client, index, jwt)[0] == "invalid-reuse-token"
    )  # one exchange per GitLab job token
    bad_uri = index.gitlab_oidc_token(
        environment="Production", ci_config_ref_uri="gitlab.com/octo/demo//.gitlab-ci.yml@main"
    )
    assert "The ci_config_ref_uri claim does not match" in mint_error(client, index, bad_uri)[1]

    index.add_publisher("google", projects=["demo-pkg"])
    assert mint(client, index, index.google_oidc_token()).status_code == 200
    assert mint_error(client, index, index.google_oidc_token(email_verified=False))[1].endswith(
        "(Check failed for required claim 'email_verified')"
    )


def test_pending_publisher(index: FakeIndex, client: httpx.Client, tmp_path: Path) -> None:
    index.add_publisher("github", projects=["Fresh.Pkg"], pending=True, owner="alice")
    token = mint(client, index, index.github_oidc_token()).json()["token"]
    assert index.projects["fresh-pkg"].name == "Fresh.Pkg"
    assert upload(client, index, make_wheel(tmp_path, "fresh-pkg"), token).status_code == 200
    index.add_publisher("gitlab", projects=["fresh-pkg"], pending=True)
    assert mint_error(client, index, index.gitlab_oidc_token()) == (
        "invalid-pending-publisher",
        "valid token, but project already exists",
    )


def test_fake_github_token_endpoint_with_id(
    index: FakeIndex, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.add_publisher("github", projects=["demo-pkg"])
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", index.github_token_url)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", index.github_request_token)
    first, second = id_package.detect_credential("pypi"), id_package.detect_credential("pypi")
    assert first and second and first != second
    _, payload, _ = id_package.decode_oidc_token(first)
    assert json.loads(payload)["aud"] == "pypi"
    assert mint(client, index, first).status_code == 200
    [request, _] = index.requests_to("/_fake/github/token")
    assert "audience=pypi" in request.query and "api-version=2.0" in request.query
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "wrong")
    with pytest.raises(id_package.AmbientCredentialError, match="code=403"):
        id_package.detect_credential("pypi")


# attestations ---------------------------------------------------------------------------------


def test_attestations(
    index: FakeIndex, client: httpx.Client, tp_token: str, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    prefix = "Invalid attestations supplied during upload: "

    def attempt(attestations: Any) -> str:
        text = attestations if isinstance(attestations, str) else json.dumps(attestations)
        return upload(client, index, wheel, tp_token, attestations=text).reason_phrase

    good = make_attestation(wheel.name, digest)
    assert (
        attempt([]) == prefix + "Malformed attestations: an empty attestation set is not permitted"
    )
    assert attempt("{").startswith(prefix + "Malformed attestations: ")
    assert (
        attempt([good, good, good]) == prefix + "A maximum of 2 attestations per file are supported"
    )
    assert attempt([make_attestation(wheel.name, "0" * 64)]) == (
        prefix + "Could not verify the uploaded artifact using the included attestation: "
        "Verification failed: subject does not match distribution digest"
    )
    assert attempt([good, good]) == prefix + (
        "Multiple attestations for the same file with the same predicate type "
        "(https://docs.pypi.org/attestations/publish/v1) are not supported"
    )
    assert attempt(
        [make_attestation(wheel.name, digest, predicate_type="https://example.com/x")]
    ) == (prefix + "Attestation with unsupported predicate type: https://example.com/x")
    assert attempt([good]) == "OK"
    assert index.files[wheel.name].attestations == [good]
    provenance = client.get(f"{index.url}/integrity/demo-pkg/1.0.0/{wheel.name}/provenance").json()
    assert provenance["attestation_bundles"][0]["publisher"]["repository"] == "octo/demo"


# faults ---------------------------------------------------------------------------------------


def test_status_faults_are_counted_and_consumed(
    index: FakeIndex, client: httpx.Client, tp_token: str, tmp_path: Path
) -> None:
    fault = index.faults.add("/legacy/", "status", times=2, code=503)
    index.faults.add("/legacy/", "status", code=429, reason="Slow down", retry_after=3)
    wheel = make_wheel(tmp_path)
    assert [upload(client, index, wheel, tp_token).status_code for _ in range(2)] == [503, 503]
    limited = upload(client, index, wheel, tp_token)
    assert (limited.status_code, limited.reason_phrase, limited.headers["retry-after"]) == (
        429,
        "Slow down",
        "3",
    )
    assert upload(client, index, wheel, tp_token).status_code == 200
    assert (fault.fired, index.faults.fired("status")) == (2, 3)
    assert [r.fault for r in index.uploads] == ["status", "status", "status", None]
    index.faults.add("/_/oidc/mint-token", "status", code=422, json={"errors": []}, method="POST")
    assert client.get(f"{index.url}/_/oidc/mint-token").status_code == 405  # method does not match
    faked = client.post(f"{index.url}/_/oidc/mint-token", json={"token": "x"})
    assert (faked.status_code, faked.json(), faked.headers["content-type"]) == (
        422,
        {"errors": []},
        "application/json",
    )


def test_connection_faults(
    index: FakeIndex, client: httpx.Client, tp_token: str, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path)
    index.faults.add("/legacy/", "drop_before")
    with pytest.raises(httpx.TransportError):
        upload(client, index, wheel, tp_token)
    assert not index.files
    index.faults.add("/legacy/", "drop_after_store")
    with pytest.raises(httpx.RemoteProtocolError):
        upload(client, index, wheel, tp_token)
    assert wheel.name in index.files  # stored although the client never heard back
    assert (
        upload(client, index, wheel, tp_token).status_code == 200
    )  # the retry is an identical re-upload

    index.faults.add("/_/oidc/mint-token", "drop_after_store")
    jwt = index.github_oidc_token()
    with pytest.raises(httpx.RemoteProtocolError):
        mint(client, index, jwt)
    assert mint_error(client, index, jwt)[0] == "invalid-reuse-token"


def test_slow_faults(index: FakeIndex, client: httpx.Client) -> None:
    url = f"{index.url}/_/oidc/audience"
    index.faults.add("/_/oidc/audience", "stall", seconds=5)
    with pytest.raises(httpx.ReadTimeout):
        client.get(url, timeout=0.3)
    index.faults.add("/_/oidc/audience", "trickle", chunk=8, delay=0.01)
    started = time.monotonic()
    assert client.get(url).json() == {"audience": "pypi"}
    assert time.monotonic() - started > 0.1
    index.faults.add("/_/oidc/", "non_json", code=502)
    response = client.get(url)
    assert response.status_code == 502 and response.text.startswith("<html>")
    with pytest.raises(ValueError, match="unknown fault kind"):
        index.faults.add("/", "explode")
