"""``FakeIndex``: the running fake index, its settings, state and setup helpers (see the package
docstring)."""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import httpx
from packaging.utils import canonicalize_name, canonicalize_version

from . import claims as claimsets
from .jwt import SigningKey, shared_key
from .server import FakeServer
from .state import (
    ApiToken,
    Faults,
    MintedToken,
    Project,
    Publisher,
    RecordedRequest,
    Release,
    StoredFile,
)

AttestationVerifier = Callable[[dict[str, Any], Publisher, str, str], None]

_PUBLISHER_DEFAULTS = {
    "github": claimsets.DEFAULT_GITHUB,
    "gitlab": claimsets.DEFAULT_GITLAB,
    "google": claimsets.DEFAULT_GOOGLE,
}


class FakeIndex:
    def __init__(self, *, audience: str = "pypi", host: str = "127.0.0.1") -> None:
        self.host = host
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.signing_key: SigningKey = shared_key()
        # settings
        self.audience = audience
        self.tp_enabled = True
        self.implements_tp = True
        self.disabled_kinds: set[str] = set()
        self.verify_signatures = True
        self.minted_token_lifetime = 900
        self.send_expires = True
        self.allow_passwords = False
        self.reason_phrases = True
        self.read_only = False
        self.uploads_disabled = False
        self.attestations_enabled = True
        # (attestation, uploading publisher, filename, sha256) -> None, or raises: verification
        self.attestation_verifier: AttestationVerifier | None = None
        self.upload_size_limit = 100 * 1024 * 1024
        self.project_size_limit = 10 * 1024 * 1024 * 1024
        self.clock_offset = 0.0
        self.github_claims: dict[str, Any] = claimsets.github_claims()
        self.github_request_token = secrets.token_urlsafe(24)
        # state
        self.users: dict[str, str] = {}
        self.api_tokens: dict[str, ApiToken] = {}
        self.minted_tokens: dict[str, MintedToken] = {}
        self.used_jtis: set[str] = set()
        self.publishers: list[Publisher] = []
        self.projects: dict[str, Project] = {}
        self.files: dict[str, StoredFile] = {}
        self.deleted_filenames: set[str] = set()
        self.requests: list[RecordedRequest] = []
        self.server_errors: list[str] = []
        self.faults = Faults()
        self._server: FakeServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeIndex:
        self.stopping.clear()
        self._server = FakeServer(self, self.host)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeIndex:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("the fake index is not running")
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def upload_url(self) -> str:
        return f"{self.url}/legacy/"

    @property
    def github_token_url(self) -> str:
        """For ``ACTIONS_ID_TOKEN_REQUEST_URL`` (with ``ACTIONS_ID_TOKEN_REQUEST_TOKEN=github_request_token``)."""
        return f"{self.url}/_fake/github/token?api-version=2.0"

    def now(self) -> float:
        return time.time() + self.clock_offset

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self.requests.append(request)

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Logged requests for ``path`` (exact), optionally of one method."""
        with self.lock:
            return [r for r in self.requests if r.path == path and method in (None, r.method)]

    @property
    def uploads(self) -> list[RecordedRequest]:
        """Logged ``POST /legacy/`` requests."""
        return self.requests_to("/legacy/", "POST")

    # setup -------------------------------------------------------------------------------------

    def add_user(self, username: str, password: str) -> None:
        """A user who can log in with a password (only while ``allow_passwords`` is True)."""
        with self.lock:
            self.users[username] = password

    def add_api_token(
        self,
        token: str | None = None,
        *,
        owner: str = "alice",
        projects: list[str] | None = None,
        expires_at: float | None = None,
    ) -> str:
        """A user API token (created if None); ``projects`` None = every project of ``owner``."""
        value = token or "pypi-AgEIcHlwaS5vcmc" + secrets.token_urlsafe(64)
        scope = None if projects is None else [str(canonicalize_name(p)) for p in projects]
        with self.lock:
            self.api_tokens[value] = ApiToken(value, owner, scope, expires_at)
        return value

    def add_project(
        self, name: str, owner: str | None = "alice", *, upload_limit: int | None = None
    ) -> Project:
        """An existing project (owned by ``owner``); returns the existing one if already there."""
        with self.lock:
            project = self.projects.setdefault(canonicalize_name(name), Project(name))
            if owner:
                project.owners.add(owner)
            if upload_limit is not None:
                project.upload_limit = upload_limit
            return project

    def add_release(self, project: str, version: str, *, created: float | None = None) -> Release:
        """An (empty) release, e.g. ``created=index.now() - 15 * 86400`` for the 14-day rule."""
        with self.lock:
            owner = self.add_project(project, owner=None)
            release = Release(version, self.now() if created is None else created)
            return owner.releases.setdefault(canonicalize_version(version), release)

    def add_publisher(
        self,
        kind: str,
        projects: list[str],
        *,
        pending: bool = False,
        owner: str | None = "alice",
        **config: str,
    ) -> Publisher:
        """A trusted publisher. Missing config fields take the defaults the default claims match
        (GitHub: repository_owner="octo", repository_name="demo", repository_owner_id="42",
        workflow_filename="release.yml", environment=""; GitLab: namespace="octo", project="demo",
        workflow_filepath=".gitlab-ci.yml", environment="", issuer_url="https://gitlab.com";
        Google: email=..., sub=""). Missing projects are created (owned by ``owner``) unless
        ``pending``: a pending publisher creates its single project on its first successful mint."""
        if kind not in _PUBLISHER_DEFAULTS:
            raise ValueError(f"unsupported publisher kind {kind!r}")
        unknown = set(config) - set(_PUBLISHER_DEFAULTS[kind])
        if unknown:
            raise ValueError(f"unknown {kind} publisher fields: {sorted(unknown)}")
        full = {**_PUBLISHER_DEFAULTS[kind], **{k: str(v) for k, v in config.items()}}
        if kind == "github":
            full["environment"] = full["environment"].lower()
        publisher = Publisher(kind, full, [canonicalize_name(p) for p in projects], pending, owner)
        with self.lock:
            if pending:
                if len(projects) != 1:
                    raise ValueError("a pending publisher is for exactly one project")
                publisher.pending_name = projects[0]
            else:
                for name in projects:
                    self.add_project(name, owner)
            self.publishers.append(publisher)
        return publisher

    def delete_file(self, filename: str) -> None:
        """Delete an uploaded file; its name can never be used again."""
        with self.lock:
            stored = self.files.pop(filename)
            self.deleted_filenames.add(filename)
            for release in self.projects[stored.project].releases.values():
                if filename in release.files:
                    release.files.remove(filename)

    def known_issuers(self) -> dict[str, str]:
        """Issuer URL -> service name: GitHub, GitLab (+ publishers' custom issuers), Google, ActiveState."""
        issuers = dict(claimsets.KNOWN_ISSUERS)
        with self.lock:
            for publisher in self.publishers:
                if publisher.kind == "gitlab":
                    issuers.setdefault(publisher.config["issuer_url"], "gitlab")
        return issuers

    # OIDC tokens -------------------------------------------------------------------------------

    def make_jwt(
        self,
        claims: dict[str, Any],
        *,
        key: SigningKey | None = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        """Sign ``claims`` as they are (RS256 with the index's key unless ``key`` is given)."""
        return (key or self.signing_key).sign(claims, headers=headers)

    def oidc_token(
        self,
        issuer: str,
        claims: dict[str, Any],
        aud: str | list[str] | None = None,
        *,
        key: SigningKey | None = None,
        with_jti: bool = True,
        **overrides: Any,
    ) -> str:
        """A signed JWT from ``issuer``: ``claims`` plus ``iss``, ``aud`` (default: the index's
        audience), ``iat``/``nbf``/``exp`` (5 min) and a fresh ``jti``; then ``overrides`` (``None``
        removes a claim). ``key`` signs instead of the index's key (a stranger: bad signature)."""
        audience = self.audience if aud is None else aud
        timed = claimsets.timed(claims, issuer=issuer, audience=audience, now=int(self.now()))
        if not with_jti:
            del timed["jti"]
        return self.make_jwt(claimsets.apply_overrides(timed, overrides), key=key)

    def github_oidc_token(self, aud: str | list[str] | None = None, **overrides: Any) -> str:
        """A fresh GitHub Actions JWT from ``github_claims`` (matches the default GitHub publisher).
        Like every ``*_oidc_token`` helper it takes ``key=`` and claim overrides (see ``oidc_token``)."""
        return self.oidc_token(claimsets.GITHUB_ISSUER, dict(self.github_claims), aud, **overrides)

    def gitlab_oidc_token(
        self,
        aud: str | list[str] | None = None,
        *,
        issuer: str = claimsets.GITLAB_ISSUER,
        **overrides: Any,
    ) -> str:
        """A GitLab CI job JWT (matches the default GitLab publisher); ``issuer`` for self-managed GitLab."""
        claims = claimsets.gitlab_claims()
        host = issuer.split("://", 1)[-1].rstrip("/")
        claims["ci_config_ref_uri"] = claims["ci_config_ref_uri"].replace("gitlab.com", host, 1)
        return self.oidc_token(issuer, claims, aud, **overrides)

    def google_oidc_token(self, aud: str | list[str] | None = None, **overrides: Any) -> str:
        """A Google ID token (no ``jti``, like Google's)."""
        return self.oidc_token(
            claimsets.GOOGLE_ISSUER, claimsets.google_claims(), aud, with_jti=False, **overrides
        )

    def circleci_oidc_token(self, aud: str | list[str] | None = None, **overrides: Any) -> str:
        """PyPI does not accept CircleCI yet: minting answers "unknown trusted publishing issuer"."""
        return self.oidc_token(
            claimsets.CIRCLECI_ISSUER, claimsets.circleci_claims(), aud, **overrides
        )

    def buildkite_oidc_token(self, aud: str | list[str] | None = None, **overrides: Any) -> str:
        """Buildkite's issuer is unknown to PyPI as well."""
        return self.oidc_token(
            claimsets.BUILDKITE_ISSUER, claimsets.buildkite_claims(), aud, **overrides
        )

    def mint(self, jwt: str | None = None) -> str:
        """Exchange ``jwt`` (default: a fresh GitHub token) over HTTP and return the minted token."""
        response = httpx.post(
            f"{self.url}/_/oidc/mint-token", json={"token": jwt or self.github_oidc_token()}
        )
        response.raise_for_status()
        return str(response.json()["token"])


@contextlib.contextmanager
def fake_index(**kwargs: Any) -> Iterator[FakeIndex]:
    """A running FakeIndex for the block; in a pytest fixture: ``with fake_index() as index: yield index``.
    Fails the block's exit if the fake itself crashed while serving (see ``server_errors``)."""
    with FakeIndex(**kwargs) as index:
        yield index
        if index.server_errors:
            raise AssertionError("the fake index crashed:\n" + "\n".join(index.server_errors))
