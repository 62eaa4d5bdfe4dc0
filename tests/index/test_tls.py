"""TLS and where credentials may travel: a private CA, client certificates, clear text, redirects.

The fake index speaks plain HTTP; ``TLSFront`` terminates TLS (with a ``trustme`` test CA) in front
of it, so every upload still lands in the fake index and can be checked there.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import ssl
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trustme

from builders import make_release
from cli_helpers import Run, tpublish
from fakeindex import FakeIndex, fake_index
from fault_helpers import assert_index_holds, plain_release
from servers import PyPIServer, pypiserver
from tlsfront import Listener, TLSFront, address
from tpublish.errors import EXIT_CREDENTIALS, EXIT_INPUT, EXIT_NETWORK, EXIT_OK


@dataclass(frozen=True)
class Pki:
    ca: trustme.CA
    ca_pem: Path
    server: trustme.LeafCert
    client_pem: Path  # key and certificate chain of a client the server trusts


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    ca_pem = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    client_pem = directory / "client.pem"
    ca.issue_cert("uploader@example.com").private_key_and_cert_chain_pem.write_to_path(
        str(client_pem)
    )
    return Pki(ca, ca_pem, ca.issue_cert("127.0.0.1", "localhost"), client_pem)


def backend(index: FakeIndex) -> tuple[str, int]:
    return address(index.url)


@contextlib.contextmanager
def https_front(
    pki: Pki, index: FakeIndex, *, require_client_cert: bool = False
) -> Iterator[TLSFront]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    pki.server.configure_cert(context)
    if require_client_cert:
        pki.ca.configure_trust(context)
        context.verify_mode = ssl.CERT_REQUIRED
        # In TLS 1.3 a refused client certificate is reported after the client's handshake has
        # finished, racing with the request; TLS 1.2 refuses inside the handshake, every time.
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    front = TLSFront(context, backend(index))
    try:
        yield front
    finally:
        front.close()


@pytest.fixture
def front(pki: Pki, index: FakeIndex) -> Iterator[TLSFront]:
    with https_front(pki, index) as running:
        yield running


@pytest.fixture
def dist(tmp_path: Path) -> list[Path]:
    return plain_release(tmp_path)


def upload(
    url: str, token: str, files: list[Path], *args: str, env: dict[str, str] | None = None
) -> Run:
    return tpublish(
        "upload",
        "--repository-url",
        url,
        "--token",
        token,
        "--no-progress",
        "--retry-backoff",
        "0.01",
        "--timeout",
        "5",
        *args,
        *(str(path) for path in files),
        env=env,
    )


def error_lines(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("error:")]


# -- a private CA -----------------------------------------------------------------------------------


def test_upload_over_https_with_the_ca_given_by_cert(
    pki: Pki, index: FakeIndex, front: TLSFront, token: str, dist: list[Path]
) -> None:
    run = upload(f"https://127.0.0.1:{front.port}/legacy/", token, dist, "--cert", str(pki.ca_pem))

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)


def test_without_the_ca_the_upload_fails_once_and_clearly(
    index: FakeIndex, front: TLSFront, token: str, dist: list[Path]
) -> None:
    netloc = f"127.0.0.1:{front.port}"

    run = upload(f"https://{netloc}/legacy/", token, dist)

    assert run.exit_code == EXIT_NETWORK
    assert error_lines(run) == [
        f"error: TLS certificate verification failed for {netloc}: "
        "unable to get local issuer certificate"
    ]
    assert "hint: if the index uses a private CA, give its bundle with --cert" in run.stderr
    assert "Traceback" not in run.output
    assert "retrying" not in run.stderr  # a trust problem is not worth a retry
    assert index.requests == []


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_ca_bundle_from_the_environment_is_honoured(
    pki: Pki, index: FakeIndex, front: TLSFront, token: str, dist: list[Path], variable: str
) -> None:
    run = upload(
        f"https://localhost:{front.port}/legacy/", token, dist, env={variable: str(pki.ca_pem)}
    )

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)


# -- the operating system's trust store (truststore) ---------------------------------------------


def test_native_tls_uses_the_os_store_which_does_not_know_the_test_ca(
    index: FakeIndex, front: TLSFront, token: str, dist: list[Path]
) -> None:
    netloc = f"127.0.0.1:{front.port}"

    run = upload(f"https://{netloc}/legacy/", token, dist, "--native-tls")

    assert run.exit_code == EXIT_NETWORK
    (line,) = error_lines(run)
    assert line.startswith(f"error: TLS certificate verification failed for {netloc}")
    assert index.requests == []


def test_native_tls_with_an_extra_private_ca(
    pki: Pki, index: FakeIndex, front: TLSFront, token: str, dist: list[Path]
) -> None:
    url = f"https://127.0.0.1:{front.port}/legacy/"

    run = upload(url, token, dist, "--native-tls", "--cert", str(pki.ca_pem))

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)


def test_native_tls_without_truststore_installed_says_how_to_get_it(
    index: FakeIndex, front: TLSFront, token: str, dist: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "truststore", None)  # import truststore -> ImportError

    run = upload(f"https://127.0.0.1:{front.port}/legacy/", token, dist, "--native-tls")

    assert run.exit_code == EXIT_INPUT
    assert "error: the OS trust store needs the 'truststore' package" in run.stderr
    assert "pip install truststore" in run.stderr


def test_a_certificate_for_another_host_is_refused(
    pki: Pki, index: FakeIndex, token: str, dist: list[Path]
) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    pki.ca.issue_cert("index.example.org").configure_cert(context)
    front = TLSFront(context, backend(index))
    try:
        run = upload(
            f"https://127.0.0.1:{front.port}/legacy/", token, dist, "--cert", str(pki.ca_pem)
        )
    finally:
        front.close()

    assert run.exit_code == EXIT_NETWORK
    (line,) = error_lines(run)
    assert line.startswith("error: TLS certificate verification failed")
    assert "127.0.0.1" in line
    assert index.requests == []


# -- client certificates ------------------------------------------------------------------------------


def test_client_certificate_authentication(
    pki: Pki, index: FakeIndex, token: str, dist: list[Path]
) -> None:
    with https_front(pki, index, require_client_cert=True) as front:
        url = f"https://127.0.0.1:{front.port}/legacy/"
        run = upload(
            url, token, dist, "--cert", str(pki.ca_pem), "--client-cert", str(pki.client_pem)
        )

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)


def test_without_the_client_certificate_the_upload_fails_clearly(
    pki: Pki, index: FakeIndex, token: str, dist: list[Path]
) -> None:
    with https_front(pki, index, require_client_cert=True) as front:
        netloc = f"127.0.0.1:{front.port}"
        run = upload(f"https://{netloc}/legacy/", token, dist, "--cert", str(pki.ca_pem))
        refused = list(front.handshake_errors)

    assert run.exit_code == EXIT_NETWORK
    (line,) = error_lines(run)
    assert line.startswith(f"error: {netloc} refused the TLS connection: ")
    assert "hint: the index wants a TLS client certificate it trusts" in run.stderr
    assert "--client-cert" in run.stderr
    assert "Traceback" not in run.output
    assert refused and all("certificate" in error.lower() for error in refused)
    assert index.requests == []


# -- the client certificate as the only credential ---------------------------------------------------


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PyPIServer]:
    """pypiserver that asks for no password: the TLS front's client certificate is the gate."""
    with pypiserver(tmp_path_factory.mktemp("open-pypiserver"), anonymous=True) as running:
        yield running


@contextlib.contextmanager
def gated(pki: Pki, backend_address: tuple[str, int]) -> Iterator[TLSFront]:
    """TLS in front of ``backend_address`` that lets in only clients with a certificate of our CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    pki.server.configure_cert(context)
    pki.ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    context.maximum_version = ssl.TLSVersion.TLSv1_2  # refused inside the handshake, every time
    front = TLSFront(context, backend_address)
    try:
        yield front
    finally:
        front.close()


def upload_with(url: str, files: list[Path], *args: str) -> Run:
    return tpublish(
        "upload",
        "--repository-url",
        url,
        "--non-interactive",
        "--no-progress",
        "--retry-backoff",
        "0.01",
        *args,
        *(str(path) for path in files),
    )


@pytest.mark.slow
def test_the_client_certificate_alone_uploads(
    pki: Pki, open_server: PyPIServer, tmp_path: Path
) -> None:
    files = make_release(tmp_path / "dist", "certified-pkg", "1.0")
    with gated(pki, address(open_server.url)) as front:
        url = f"https://127.0.0.1:{front.port}/"
        run = upload_with(
            url, files, "--cert", str(pki.ca_pem), "--client-cert", str(pki.client_pem), "-v"
        )

    assert run.exit_code == EXIT_OK, run.output
    assert "credential: no username or password: the TLS client certificate from --client-cert" in (
        run.stderr
    )
    assert sorted(p.name for p in open_server.packages.iterdir()) == sorted(p.name for p in files)
    for path in files:
        assert (open_server.packages / path.name).read_bytes() == path.read_bytes()


def test_a_username_with_the_client_certificate_goes_without_a_password(
    pki: Pki, index: FakeIndex, dist: list[Path]
) -> None:
    """twine's rule: the username is sent with an empty password; here the fake Warehouse, which
    wants a token, says no, and shows what it received."""
    with gated(pki, backend(index)) as front:
        url = f"https://127.0.0.1:{front.port}/legacy/"
        run = upload_with(
            url,
            dist,
            "-u",
            "alice",
            "--cert",
            str(pki.ca_pem),
            "--client-cert",
            str(pki.client_pem),
        )

    assert run.exit_code == EXIT_CREDENTIALS  # the index's 403, not "no credentials found"
    assert "refused the credentials (403)" in run.stderr
    sent = base64.b64encode(b"alice:").decode()
    assert index.uploads[0].headers["authorization"] == f"Basic {sent}"


def test_the_client_certificate_alone_sends_no_authorization_header(
    pki: Pki, index: FakeIndex, dist: list[Path]
) -> None:
    with gated(pki, backend(index)) as front:
        url = f"https://127.0.0.1:{front.port}/legacy/"
        run = upload_with(
            url, dist, "--cert", str(pki.ca_pem), "--client-cert", str(pki.client_pem)
        )

    assert run.exit_code == EXIT_CREDENTIALS
    assert index.uploads
    assert all("authorization" not in r.headers for r in index.requests)


@pytest.fixture(scope="module")
def bad_client_certs(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    directory = tmp_path_factory.mktemp("bad-certs")
    leaf = pki.ca.issue_cert("uploader@example.com")
    certificate = leaf.cert_chain_pems[0].bytes()
    key = ec.generate_private_key(ec.SECP256R1())
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )
    other_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    files = {
        "garbage": b"this is not PEM\n",
        "certificate-only": certificate,
        "encrypted-key": certificate + encrypted,
        "wrong-key": certificate + other_key,
    }
    for name, data in files.items():
        (directory / f"{name}.pem").write_bytes(data)
    return {name: directory / f"{name}.pem" for name in files}


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("garbage", "no PEM certificate in it"),
        ("certificate-only", "no private key in it"),
        ("encrypted-key", "its private key is encrypted (tpublish cannot ask for the passphrase)"),
        ("wrong-key", "the private key does not match the certificate, or the file is damaged"),
    ],
)
def test_a_bad_client_certificate_is_named_as_the_client_certificate(
    pki: Pki, index: FakeIndex, dist: list[Path], bad_client_certs: dict[str, Path], name: str,
    problem: str,
) -> None:  # fmt: skip
    path = bad_client_certs[name]

    run = upload_with(
        index.upload_url, dist, "-u", "alice", "--cert", str(pki.ca_pem), "--client-cert", str(path)
    )

    assert run.exit_code == EXIT_INPUT
    (line,) = error_lines(run)
    assert line.startswith(f"error: cannot load the client certificate {path}: {problem}")
    assert "CA bundle" not in run.stderr
    assert "hint: --client-cert takes one PEM file holding the certificate" in run.stderr
    assert "Traceback" not in run.output
    assert not index.requests


def test_a_bad_ca_bundle_is_named_as_the_ca_bundle(
    pki: Pki, index: FakeIndex, dist: list[Path], tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate\n")

    run = upload_with(
        index.upload_url,
        dist,
        "-u",
        "alice",
        "--cert",
        str(bundle),
        "--client-cert",
        str(pki.client_pem),
    )

    assert run.exit_code == EXIT_INPUT
    (line,) = error_lines(run)
    assert line.startswith(f"error: cannot load the CA bundle {bundle}")
    assert "client certificate" not in line


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_a_bad_ca_bundle_from_the_environment_stops_an_https_upload_before_it_starts(
    index: FakeIndex, front: TLSFront, token: str, dist: list[Path], tmp_path: Path, variable: str
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate\n")

    run = upload(
        f"https://localhost:{front.port}/legacy/", token, dist, env={variable: str(bundle)}
    )

    assert run.exit_code == EXIT_INPUT
    (line,) = error_lines(run)
    assert line.startswith(f"error: cannot load the CA bundle {bundle}")
    assert index.requests == []


def test_a_plain_http_upload_to_this_machine_loads_no_ca_bundle(
    index: FakeIndex, token: str, dist: list[Path], tmp_path: Path
) -> None:
    """The environment's default trust is loaded when a request needs TLS: none does here."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate\n")

    run = upload(index.upload_url, token, dist, env={"SSL_CERT_FILE": str(bundle)})

    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)


# -- where credentials may go ------------------------------------------------------------------------


def test_plain_http_to_another_host_is_refused_before_anything_is_sent(
    token: str, dist: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[httpx.Request] = []

    def no_network(client: httpx.Client, request: httpx.Request, **kwargs: object) -> None:
        sent.append(request)
        raise AssertionError("nothing may be sent")

    monkeypatch.setattr(httpx.Client, "send", no_network)

    run = upload("http://example.com/legacy/", token, dist)

    assert run.exit_code == EXIT_INPUT
    assert error_lines(run) == [
        "error: refusing to send credentials in clear text to http://example.com/legacy/"
    ]
    assert "https://" in run.stderr  # the hint says what to use instead
    assert "--allow-http (TPUBLISH_ALLOW_HTTP=1)" in run.stderr  # ... and the way out
    assert sent == []


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_is_not_followed(
    index: FakeIndex, token: str, dist: list[Path], code: int
) -> None:
    with fake_index() as elsewhere:
        target = f"http://localhost:{backend(elsewhere)[1]}/legacy/"
        index.faults.add(
            "/legacy/", "status", method="POST", code=code, headers={"Location": target}
        )

        run = upload(index.upload_url, token, dist)

        assert elsewhere.requests == []
        assert elsewhere.files == {}
    assert run.exit_code == EXIT_INPUT
    assert error_lines(run) == [
        f"error: the index redirects {index.upload_url} to {target}; uploads are never redirected"
    ]
    assert "hint: if you trust the new address, give it with --repository-url" in run.stderr
    assert len(index.uploads) == 1
    assert index.files == {}


# -- what the index sends cannot send credentials elsewhere (issue 12, class 3) ---------------------


class ConnectionCounter(Listener):
    """A listener that counts connections and answers none: a proxy that must not be used."""

    def __init__(self) -> None:
        self.connections = 0
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}"

    def serve(self, connection: socket.socket) -> None:
        self.connections += 1
        connection.close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectionCounter]:
    """A proxy named by the environment (and no NO_PROXY)."""
    counter = ConnectionCounter()
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    yield counter
    counter.close()


def _exists_then_listed_at(index: FakeIndex, wheel: Path, link: str) -> None:
    """The answer to the first try is lost, the second hears "already exists", and the simple
    page lists the file at ``link`` (without a digest: only a download can tell)."""
    index.faults.add("/legacy/", "drop_after_store", method="POST")
    index.faults.add(
        "/legacy/", "status", method="POST", code=400,
        reason=f"File already exists ('{wheel.name}', with blake2_256 hash '0').",
    )  # fmt: skip
    page = f'<html><body><a href="{link}">{wheel.name}</a></body></html>'
    index.faults.add("/simple/demo-pkg/", "none", method="GET")  # the look-up before the release
    index.faults.add("/simple/demo-pkg/", "status", method="GET", code=200, body=page,
                     content_type="text/html")  # fmt: skip


def test_a_link_to_another_origin_is_followed_without_credentials(
    pki: Pki, index: FakeIndex, front: TLSFront, token: str, dist: list[Path]
) -> None:
    """An https index lists the file on a plain-http host: the download carries no credentials."""
    wheel = dist[0]
    with fake_index() as elsewhere:
        elsewhere_token = elsewhere.add_api_token()
        first = upload(elsewhere.upload_url, elsewhere_token, [wheel])
        assert first.exit_code == EXIT_OK, first.output
        _exists_then_listed_at(index, wheel, f"{elsewhere.url}/files/{wheel.name}")

        run = upload(
            f"https://127.0.0.1:{front.port}/legacy/", token, dist, "--cert", str(pki.ca_pem)
        )

        downloads = elsewhere.requests_to(f"/files/{wheel.name}", "GET")
    assert run.exit_code == EXIT_OK, run.output
    assert_index_holds(index, dist)
    assert len(downloads) == 1
    assert "authorization" not in downloads[0].headers
    listings = index.requests_to("/simple/demo-pkg/", "GET")  # before the release, and after
    assert len(listings) == 2
    assert all("authorization" in listing.headers for listing in listings)  # its own origin


@pytest.mark.parametrize(
    "link", ["http://127.0.0.1:{port}/files/{name}", "https://localhost:{port}/files/{name}"]
)
def test_a_link_to_the_same_host_but_another_scheme_or_name_gets_no_credentials(
    pki: Pki, index: FakeIndex, front: TLSFront, token: str, dist: list[Path], link: str
) -> None:
    """http:// on the https index's own port, or the same server under another name."""
    wheel = dist[0]
    _exists_then_listed_at(index, wheel, link.format(port=front.port, name=wheel.name))

    run = upload(f"https://127.0.0.1:{front.port}/legacy/", token, dist, "--cert", str(pki.ca_pem))

    assert all(
        "authorization" not in request.headers
        for request in index.requests
        if request.path.startswith("/files/")
    )
    if link.startswith("https"):  # reached, hashed, ours
        assert run.exit_code == EXIT_OK, run.output
    else:  # plain http to a TLS port: nothing to compare, uncertain
        assert run.exit_code == 1, run.output
    assert sorted(index.files) == sorted(p.name for p in dist)


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
def test_a_loopback_index_is_never_reached_through_a_proxy(
    index: FakeIndex,
    token: str,
    dist: list[Path],
    proxy: ConnectionCounter,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    """Plain http is allowed to this machine only: through a proxy it would leave it, in clear."""
    monkeypatch.setenv(variable, proxy.url)

    run = upload(index.upload_url, token, dist)

    assert run.exit_code == EXIT_OK, run.output
    assert proxy.connections == 0
    assert_index_holds(index, dist)


def test_a_loopback_https_index_is_never_reached_through_a_proxy(
    pki: Pki,
    index: FakeIndex,
    front: TLSFront,
    token: str,
    dist: list[Path],
    proxy: ConnectionCounter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)

    run = upload(f"https://localhost:{front.port}/legacy/", token, dist, "--cert", str(pki.ca_pem))

    assert run.exit_code == EXIT_OK, run.output
    assert proxy.connections == 0
    assert_index_holds(index, dist)


def test_other_hosts_still_use_the_environments_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    from tpublish.index.transport import environment_proxy

    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert environment_proxy("https", "upload.pypi.org") == "http://proxy.example:3128"
    monkeypatch.setenv("NO_PROXY", "pypi.org")
    assert environment_proxy("https", "upload.pypi.org") is None


@pytest.mark.parametrize("repository", ["pypi", "testpypi"])
@pytest.mark.parametrize("given", ["flags", "twine-env", "tpublish-env"])
def test_pypi_with_a_username_and_password_is_refused_before_any_connection(
    dist: list[Path],
    proxy: ConnectionCounter,
    monkeypatch: pytest.MonkeyPatch,
    repository: str,
    given: str,
) -> None:
    """Every connection to PyPI would go through the counting proxy: none is made.

    (A ``.pypirc`` username is not used for PyPI at all: its password is sent as a token.)
    """
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    args: list[str] = ["-r", repository]
    env: dict[str, str] = {}
    if given == "flags":
        args += ["-u", "alice", "-p", "canary-password-1b9d"]
    elif given == "twine-env":
        env = {"TWINE_USERNAME": "alice", "TWINE_PASSWORD": "canary-password-1b9d"}
    else:
        env = {"TPUBLISH_USERNAME": "alice", "TPUBLISH_PASSWORD": "canary-password-1b9d"}

    run = tpublish("upload", "--no-progress", "--non-interactive", "--retries", "0", *args,
                   *(str(p) for p in dist), env=env)  # fmt: skip

    host = "test.pypi.org" if repository == "testpypi" else "pypi.org"
    assert run.exit_code == EXIT_CREDENTIALS, run.output
    assert f"error: {host} does not accept a username and password" in run.stderr
    assert f"hint: create an API token at https://{host}/manage/account/token/" in run.stderr
    assert "trusted publishing" in run.stderr
    assert "canary-password-1b9d" not in run.output
    assert proxy.connections == 0
