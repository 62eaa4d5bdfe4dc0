"""The trusted-publishing endpoints: audience (§3.1), mint-token (§5), burn-token (§5.7), and the
fake GitHub Actions ID-token endpoint (§11.2) that the ``id`` package can be pointed at."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from . import claims as claimsets
from .jwt import JWTError, decode_unverified, verify
from .pages import error_response
from .publishers import PublisherError, ReusedToken, find_publisher
from .state import MintedToken, Project, Publisher, RecordedRequest
from .wire import Request, Response, json_response

if TYPE_CHECKING:
    from .index import FakeIndex

PYDANTIC_DOCS = "https://errors.pydantic.dev/2.11/v"


def _invalid(code: str, description: str) -> Response:
    return json_response(
        422,
        {"message": "Token request failed", "errors": [{"code": code, "description": description}]},
    )


def _not_allowed(request: Request, allow: str) -> Response:
    return error_response(405, None, accept=request.header("accept"), headers=[("Allow", allow)])


def _validation_error(kind: str, message: str, value: Any, *, field: str | None = None) -> str:
    """pydantic's ``str(ValidationError)`` for ``TokenPayload(token: StrictStr)``."""
    location = f"{field}\n" if field else ""
    text = repr(value)
    shown = text if len(text) <= 50 else text[:24] + "..." + text[-24:]
    return (
        f"1 validation error for TokenPayload\n{location}  {message} [type={kind}, input_value={shown}, "
        f"input_type={type(value).__name__}]\n    For further information visit {PYDANTIC_DOCS}/{kind}"
    )


def _token_from_body(body: bytes) -> tuple[str | None, str | None]:
    """(token, None) or (None, pydantic-style error text)."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "invalid unicode"
        return None, _validation_error("json_invalid", f"Invalid JSON: {detail}", body)
    if not isinstance(payload, dict):
        return None, _validation_error("model_type", "Input should be an object", payload)
    if "token" not in payload:
        return None, _validation_error("missing", "Field required", payload, field="token")
    if not isinstance(payload["token"], str):
        return None, _validation_error(
            "string_type", "Input should be a valid string", payload["token"], field="token"
        )
    return payload["token"], None


def audience(index: FakeIndex, request: Request, record: RecordedRequest) -> Response:
    if request.method != "GET":
        return _not_allowed(request, "GET")
    if not index.tp_enabled:
        return json_response(403, {"message": "Trusted publishing functionality not enabled"})
    return json_response(200, {"audience": index.audience})


def mint(index: FakeIndex, request: Request, record: RecordedRequest) -> Response:
    if request.method != "POST":
        return _not_allowed(request, "POST")
    token, error = _token_from_body(request.body)
    if token is None:
        return _invalid("invalid-payload", error or "")
    try:
        _, unverified = decode_unverified(token)
        issuer = unverified["iss"]
    except (JWTError, KeyError):
        return _invalid("invalid-payload", "malformed JWT")
    service = index.known_issuers().get(issuer) if isinstance(issuer, str) else None
    if service is None:
        return _invalid("invalid-payload", "unknown trusted publishing issuer")
    if not index.tp_enabled or service in index.disabled_kinds:
        return _invalid("not-enabled", f"{service} trusted publishing functionality not enabled")
    try:
        claims = verify(
            token,
            key=index.signing_key,
            issuer=issuer,
            audience=index.audience,
            now=index.now(),
            check_signature=index.verify_signatures,
        )
    except JWTError as exc:
        record.detail = str(exc)
        return _invalid("invalid-token", "malformed or invalid token")
    with index.lock:
        return _exchange(index, service, claims, record)


def _exchange(
    index: FakeIndex, service: str, claims: dict[str, Any], record: RecordedRequest
) -> Response:
    reused = _invalid("invalid-reuse-token", "invalid token: already used")
    try:
        pending = find_publisher(
            index.publishers, service, claims, pending=True, used_jtis=index.used_jtis
        )
    except PublisherError:
        pending = None
    except ReusedToken:
        return reused
    if pending is not None:
        if pending.projects[0] in index.projects:
            index.publishers.remove(pending)
            return _invalid("invalid-pending-publisher", "valid token, but project already exists")
        owners = {pending.owner} if pending.owner else set()
        index.projects[pending.projects[0]] = Project(
            pending.pending_name or pending.projects[0], owners
        )
        pending.pending = False
    try:
        publisher = find_publisher(
            index.publishers, service, claims, pending=False, used_jtis=index.used_jtis
        )
    except PublisherError as exc:
        record.detail = str(exc)
        return _invalid("invalid-publisher", f"valid token, but no corresponding publisher ({exc})")
    except ReusedToken:
        return reused
    jti = claims.get("jti")
    if jti is not None:
        if jti in index.used_jtis:
            return reused
        index.used_jtis.add(str(jti))
    return _mint_for(index, publisher, claims)


def _mint_for(index: FakeIndex, publisher: Publisher, claims: dict[str, Any]) -> Response:
    now = int(index.now())
    value = "pypi-AgEIcHlwaS5vcmc" + secrets.token_urlsafe(96)
    expires = now + index.minted_token_lifetime
    index.minted_tokens[value] = MintedToken(
        value, publisher, list(publisher.projects), now, expires, claims
    )
    payload: dict[str, Any] = {"success": True, "token": value}
    if index.send_expires:
        payload["expires"] = expires
    return json_response(200, payload)


def burn(index: FakeIndex, request: Request, record: RecordedRequest) -> Response:
    """Revoke a minted token; always 202 whatever happened (proposed Warehouse behaviour)."""
    if request.method != "POST":
        return _not_allowed(request, "POST")
    try:
        token = json.loads(request.body).get("token")
    except (ValueError, AttributeError):
        token = None
    with index.lock:
        minted = index.minted_tokens.get(token) if isinstance(token, str) else None
        if minted is not None:
            minted.revoked = True
            record.detail = "revoked"
    return json_response(202, {"message": "Accepted", "errors": []})


def github_token(index: FakeIndex, request: Request, record: RecordedRequest) -> Response:
    """``GET /_fake/github/token?api-version=2.0&audience=X`` with ``Authorization: bearer <req token>``."""
    scheme, _, credential = (request.header("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not credential:
        return json_response(401, {"message": "Unauthorized: missing bearer token"})
    if credential.strip() != index.github_request_token:
        return json_response(403, {"message": "Forbidden: bad request token"})
    claims = index.github_claims
    owner = claims.get("repository_owner", "octo")
    audience = request.query.get("audience", [f"https://github.com/{owner}"])[0]
    value = index.make_jwt(
        claimsets.timed(
            dict(claims), issuer=claimsets.GITHUB_ISSUER, audience=audience, now=int(index.now())
        )
    )
    return json_response(200, {"count": 1, "value": value})
