"""``POST /legacy/``: Warehouse's ``file_upload`` in the order of protocol §7.2, with its messages.

Nothing is stored unless every check passes (Warehouse rolls the transaction back on any error, and
on an identical re-upload).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import TYPE_CHECKING

from packaging.metadata import Metadata
from packaging.utils import canonicalize_name, canonicalize_version

from . import archives
from .attestations import AttestationError
from .attestations import validate as validate_attestations
from .forms import Form, UploadError, sanitize, validate_form, validate_metadata
from .pages import error_response, upload_info_page
from .state import Identity, Project, RecordedRequest, Release, StoredFile
from .wire import Part, Request, Response

if TYPE_CHECKING:
    from .index import FakeIndex

HELP = "https://pypi.org/help/"
MIB, GIB = 1024 * 1024, 1024 * 1024 * 1024
INVALID_AUTH = f"Invalid or non-existent authentication information. See {HELP}#invalid-auth for more information."
NO_PASSWORDS = (
    "Username/Password authentication is no longer supported. Migrate to API Tokens or Trusted Publishers "
    f"instead. See {HELP}#apitoken and {HELP}#trusted-publishers"
)
NON_USER = (
    "Non-user identities cannot create new projects. This was probably caused by successfully using a pending "
    "publisher but specifying the project name incorrectly (either in the publisher or in your project's "
    "metadata). Please ensure that both match. See: https://docs.pypi.org/trusted-publishers/troubleshooting/"
)
GONE = {
    "submit": "Project pre-registration is no longer required or supported, upload your files instead.",
    "submit_pkg_info": "Project pre-registration is no longer required or supported, upload your files instead.",
    "doc_upload": "Uploading documentation is no longer supported, we recommend using https://readthedocs.org/.",
}
FOURTEEN_DAYS = 14 * 24 * 3600
VERIFY_PREFIX = "Could not verify the uploaded artifact using the included attestation: "


def handle(index: FakeIndex, request: Request, record: RecordedRequest) -> Response:
    parts = request.parts
    action: str | None = (request.query.get(":action") or [""])[0]
    action = action or next(
        (p.text for p in parts if p.name == ":action" and p.filename is None), None
    )
    accept = request.header("accept")
    if action in GONE:
        return error_response(410, GONE[action], accept=accept, reason_phrases=index.reason_phrases)
    if action != "file_upload":
        return upload_info_page()
    try:
        with index.lock:
            return _upload(index, request, parts)
    except UploadError as exc:
        record.detail = exc.message
        return error_response(
            exc.status, exc.message, accept=accept, reason_phrases=index.reason_phrases
        )


def authenticate(index: FakeIndex, header: str | None) -> Identity:
    """Step 3: Basic ``__token__:<token>`` (or ``token``/``bearer`` schemes); passwords only if allowed."""
    scheme, _, credential = (header or "").strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            username, _, secret = (
                base64.b64decode(credential.strip(), validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise UploadError(403, INVALID_AUTH) from None
        if username != "__token__":
            if not index.allow_passwords:
                raise UploadError(403, NO_PASSWORDS)
            if username in index.users and hmac.compare_digest(index.users[username], secret):
                return Identity(user=username)
            raise UploadError(403, INVALID_AUTH)
    elif scheme.lower() in ("token", "bearer"):
        secret = credential.strip()
    else:
        raise UploadError(403, INVALID_AUTH)
    minted = index.minted_tokens.get(secret)
    if minted is not None and not minted.revoked:
        return Identity(minted=minted)
    api_token = index.api_tokens.get(secret)
    if api_token is not None:
        return Identity(user=api_token.owner, api_token=api_token)
    raise UploadError(403, INVALID_AUTH)


def check_permission(identity: Identity, project: Project, now: float) -> None:
    """Step 9: the token's caveats (first failure wins), then the user's role."""
    if identity.minted is not None:
        minted = identity.minted
        if project.normalized not in minted.projects:
            raise UploadError(
                403,
                f"Invalid API Token: OIDC scoped token is not valid for project '{project.name}'",
            )
        if not minted.not_before <= now < minted.expires_at:
            raise UploadError(403, "Invalid API Token: token is expired")
        return
    token = identity.api_token
    if (
        token is not None
        and token.projects is not None
        and project.normalized not in token.projects
    ):
        raise UploadError(
            403,
            f"Invalid API Token: project-scoped token is not valid for project: '{project.name}'",
        )
    if token is not None and token.expires_at is not None and now >= token.expires_at:
        raise UploadError(403, "Invalid API Token: token is expired")
    if identity.user not in project.owners:
        raise UploadError(
            403,
            f"The user '{identity.user}' isn't allowed to upload to project '{project.name}'. "
            f"See {HELP}#project-name for more information.",
        )


def _check_sizes(index: FakeIndex, project: Project, size: int) -> None:
    """Step 16."""
    limit = max(project.upload_limit or 0, index.upload_size_limit)
    if size > limit:
        raise UploadError(
            400,
            f"File too large. Limit for project {project.name!r} is {limit // MIB} MB. See "
            "https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-limit-increase "
            "for more information.",
        )
    total_limit = max(project.total_size_limit or 0, index.project_size_limit)
    used = sum(f.size for f in index.files.values() if f.project == project.normalized)
    if size + used > total_limit:
        raise UploadError(
            400,
            f"Project size too large. Limit for project {project.name!r} total size is {total_limit // GIB} GB. See "
            "https://docs.pypi.org/project-management/storage-limits#requesting-a-project-size-limit-increase",
        )


def _digests(form: Form, data: bytes) -> dict[str, str]:
    """Step 17: every digest the client sent must match."""
    hashes = {
        "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "blake2_256": hashlib.blake2b(data, digest_size=32).hexdigest(),
    }
    for name, value in hashes.items():
        supplied = form.get(f"{name}_digest")
        if supplied and not hmac.compare_digest(supplied.lower().encode(), value.encode()):
            raise UploadError(
                400,
                "The digest supplied does not match a digest calculated from the uploaded file.",
            )
    return hashes


def _is_duplicate(index: FakeIndex, filename: str, hashes: dict[str, str]) -> bool:
    """Step 18: True = identical re-upload (200, no change); raises when name or content collide."""
    for stored in index.files.values():
        if stored.filename == filename or stored.blake2_256 == hashes["blake2_256"]:
            if stored.filename == filename and (stored.sha256, stored.blake2_256) == (
                hashes["sha256"],
                hashes["blake2_256"],
            ):
                return True
            raise UploadError(
                400,
                f"File already exists ({filename!r}, with blake2_256 hash {hashes['blake2_256']!r}). "
                f"See {HELP}#file-name-reuse for more information.",
            )
    return False


def _check_release(index: FakeIndex, release: Release | None, filename: str, filetype: str) -> None:
    """Steps 19-21."""
    if filename in index.deleted_filenames:
        raise UploadError(
            400,
            "This filename was previously used by a file that has since been deleted. Use a different version. "
            f"See {HELP}#file-name-reuse for more information.",
        )
    if release is None:
        return
    if index.now() - release.created > FOURTEEN_DAYS:
        raise UploadError(400, "Uploading new files to releases older than 14 days is not allowed.")
    if filetype == "sdist" and any(
        index.files[name].packagetype == "sdist" for name in release.files
    ):
        raise UploadError(400, "Only one sdist may be uploaded per release.")


def _check_file(
    index: FakeIndex, form: Form, meta: Metadata, project: Project, content: Part
) -> dict[str, str] | None:
    """Steps 14-24 (everything about the file itself); its digests, or None for an identical re-upload."""
    filename, filetype, data = content.filename or "", form.get("filetype") or "", content.data
    archives.validate_filename(filename, filetype)
    if not content.content_type or content.content_type.startswith("image/"):
        raise UploadError(400, "Invalid distribution file.")
    _check_sizes(index, project, len(data))
    hashes = _digests(form, data)
    if _is_duplicate(index, filename, hashes):
        return None
    _check_release(
        index, project.releases.get(canonicalize_version(meta.version)), filename, filetype
    )
    archives.validate_archive(filename, data)
    license_files = meta.license_files or []
    if filetype == "sdist":
        archives.validate_sdist_name(filename, project.name, meta.version)
        archives.sdist_license_files_present(filename, data, license_files)
    if filename.endswith(".whl"):
        archives.validate_wheel(
            filename, data, project.name, meta.name, meta.version, license_files
        )
    return hashes


def _upload(index: FakeIndex, request: Request, parts: list[Part]) -> Response:
    form, content = sanitize(parts)
    if index.read_only:
        raise UploadError(403, "Read-only mode: Uploads are temporarily disabled.")
    if index.uploads_disabled:
        raise UploadError(
            403,
            f"New uploads are temporarily disabled. See {HELP}#admin-intervention for more information.",
        )
    identity = authenticate(index, request.header("authorization"))
    if (form.get("protocol_version") or "1") != "1":
        raise UploadError(400, "Unknown protocol version.")
    validate_form(form)
    meta = validate_metadata(form)
    if content is None:
        raise UploadError(400, "Upload payload does not have a file.")
    project = index.projects.get(canonicalize_name(meta.name))
    if project is None:
        if identity.user is None:
            raise UploadError(400, NON_USER)
        project = Project(meta.name, owners={identity.user})
    check_permission(identity, project, index.now())
    hashes = _check_file(index, form, meta, project, content)
    if hashes is None:
        return Response(200)
    attestations = None
    if form.get("attestations") is not None and index.attestations_enabled:
        attestations = _attestations(
            index,
            identity,
            form.get("attestations") or "",
            content.filename or "",
            hashes["sha256"],
        )
    _store(index, identity, form, meta, project, content, hashes, attestations)
    return Response(200)


def _attestations(
    index: FakeIndex, identity: Identity, text: str, filename: str, sha256: str
) -> list[dict[str, object]]:
    """Step 25; with ``index.attestation_verifier`` set, the signatures too (Warehouse's real
    integrity service: ``Attestation.verify`` against the uploading trusted publisher)."""
    prefix = "Invalid attestations supplied during upload: "
    if not identity.is_trusted_publisher:
        raise UploadError(
            400, prefix + "Attestations are only supported when using Trusted Publishing"
        )
    try:
        attestations = validate_attestations(text, filename=filename, sha256=sha256)
    except AttestationError as exc:
        raise UploadError(400, prefix + str(exc)) from None
    if index.attestation_verifier is not None and identity.minted is not None:
        try:
            for attestation in attestations:
                index.attestation_verifier(attestation, identity.minted.publisher, filename, sha256)
        except Exception as exc:  # noqa: BLE001  (Warehouse reports any verification failure so)
            raise UploadError(400, prefix + VERIFY_PREFIX + str(exc)) from None
    return attestations


def _store(
    index: FakeIndex,
    identity: Identity,
    form: Form,
    meta: Metadata,
    project: Project,
    content: Part,
    hashes: dict[str, str],
    attestations: list[dict[str, object]] | None,
) -> None:
    """Step 26: commit project, display name, release and file."""
    now = index.now()
    index.projects[project.normalized] = project
    project.name = meta.name
    release = project.releases.setdefault(
        canonicalize_version(meta.version),
        Release(
            str(meta.version),
            now,
            meta.summary,
            str(meta.requires_python) if meta.requires_python else None,
        ),
    )
    filename = content.filename or ""
    release.files.append(filename)
    index.files[filename] = StoredFile(
        filename=filename,
        project=project.normalized,
        version=str(meta.version),
        sha256=hashes["sha256"],
        blake2_256=hashes["blake2_256"],
        md5=hashes["md5"],
        size=len(content.data),
        packagetype=form.get("filetype") or "",
        python_version=form.get("pyversion") or "source",
        data=content.data,
        requires_python=release.requires_python,
        attestations=attestations,
        publisher=identity.minted.publisher if identity.minted else None,
        uploaded_by=identity.user,
        upload_time=now,
        form=list(form.items),
    )
