"""A Warehouse-like package index on 127.0.0.1 for tests (spec: /work/shared/protocol.md §11).

    with FakeIndex() as index:                      # serves on an ephemeral port until exit
        index.add_project("demo-pkg", owner="alice")
        index.add_publisher("github", projects=["demo-pkg"])   # octo/demo, release.yml, owner id 42
        jwt = index.github_oidc_token()                 # signed RS256, matches that publisher
        token = httpx.post(index.url + "/_/oidc/mint-token", json={"token": jwt}).json()["token"]
        ... upload to index.upload_url with Basic __token__:<token> ...
        assert index.files["demo_pkg-1.0.0-py3-none-any.whl"].data == wheel.read_bytes()

Endpoints: ``GET /_/oidc/audience``, ``POST /_/oidc/mint-token`` (and ``/_/oidc/github/mint-token``),
``POST /_/oidc/burn-token``, ``POST /legacy/`` (+ ``POST /legacy`` -> 308, ``GET /legacy/`` -> 200),
``GET /simple/``, ``/simple/<name>/`` (HTML or PEP 691 JSON), ``/files/<filename>``,
``/pypi/<name>/json``, ``/pypi/<name>/<version>/json``,
``/integrity/<project>/<version>/<filename>/provenance``, and for tests ``GET /_fake/github/token``
(``ACTIONS_ID_TOKEN_REQUEST_URL`` = ``index.github_token_url``) and ``GET /_fake/jwks``.

Settings (plain attributes, change them any time): ``audience`` ("pypi"), ``tp_enabled``,
``implements_tp`` (False: 404 on ``/_/oidc/*``), ``disabled_kinds`` (e.g. {"gitlab"}),
``verify_signatures`` (False: Warehouse's null service), ``attestation_verifier`` (None: attestations
are checked for shape only, like Warehouse's null integrity service; a callable
``(attestation, publisher, filename, sha256)`` that raises is reported as Warehouse reports a failed
``Attestation.verify``), ``minted_token_lifetime`` (900),
``send_expires``, ``allow_passwords`` (False), ``reason_phrases`` (False: generic status line, message
only in the body, as over HTTP/2), ``read_only``, ``uploads_disabled``, ``attestations_enabled``,
``upload_size_limit`` (100 MiB), ``project_size_limit`` (10 GiB), ``clock_offset`` (seconds added to
the server clock: expire tokens without sleeping), ``github_claims`` (claims of
``/_fake/github/token``), ``github_request_token``.

State: ``files`` (filename -> StoredFile), ``projects`` (normalised name -> Project), ``requests``
(RecordedRequest log), ``minted_tokens``, ``api_tokens``, ``used_jtis``, ``publishers``,
``deleted_filenames``, ``server_errors`` (tracebacks of bugs in the fake; tests may assert it's empty),
``faults`` (see ``Faults``).

Setup and helpers (``FakeIndex`` methods):
- ``add_user(username, password)``; ``add_api_token(token=None, *, owner="alice", projects=None,
  expires_at=None) -> str``; ``add_project(name, owner="alice", *, upload_limit=None) -> Project``;
  ``add_release(project, version, *, created=None)``; ``delete_file(filename)``;
  ``add_publisher(kind, projects, *, pending=False, owner="alice", **config) -> Publisher``.
- ``github_oidc_token(aud=None, **overrides)``, ``gitlab_oidc_token(aud=None, *, issuer=...)``,
  ``google_oidc_token``, ``circleci_oidc_token``, ``buildkite_oidc_token``: fresh signed JWTs
  (``key=`` signs with another ``SigningKey``; an override of ``None`` removes a claim);
  ``oidc_token(issuer, claims, aud=None)``; ``make_jwt(claims, *, key=None, headers=None)`` signs as is.
- ``mint(jwt=None) -> str`` exchanges over HTTP; ``requests_to(path, method=None)``; ``uploads``;
  ``now()`` (server clock incl. ``clock_offset``); ``url``, ``upload_url``, ``github_token_url``.

Module helpers: ``fake_index(**kwargs)`` (context manager that also fails on ``server_errors``),
``make_attestation(filename, sha256, ...)`` (structurally valid PEP 740 object).
"""

from __future__ import annotations

from .attestations import make_attestation
from .index import FakeIndex, fake_index
from .jwt import SigningKey, shared_key
from .state import Fault, Faults, Project, Publisher, RecordedRequest, StoredFile

__all__ = [
    "FakeIndex",
    "Fault",
    "Faults",
    "Project",
    "Publisher",
    "RecordedRequest",
    "SigningKey",
    "StoredFile",
    "fake_index",
    "make_attestation",
    "shared_key",
]
