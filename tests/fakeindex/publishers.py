"""Matching verified OIDC claims to a registered trusted publisher, the way Warehouse does (§6.3).

``find_publisher`` raises ``PublisherError`` with Warehouse's reason text (it becomes
``valid token, but no corresponding publisher (<reason>)``) or ``ReusedToken`` for a seen ``jti``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable
from typing import Any

from .state import Publisher

Claims = dict[str, Any]
Check = Callable[[Publisher, Any, Claims], bool]

NOT_FOUND = "Publisher with matching claims was not found"


class PublisherError(Exception):
    pass


class ReusedToken(Exception):
    pass


def _filename_before_at(ref: object, pattern: str) -> str | None:
    if not isinstance(ref, str):
        return None
    match = re.search(pattern, ref)
    return match.group(1) if match else None


def _pick_for_environment(
    candidates: list[Publisher], environment: object, *, fold_case: bool
) -> Publisher:
    """Prefer the publisher pinned to the claim's environment, else one without environment."""
    if isinstance(environment, str) and environment:
        wanted = environment.lower() if fold_case else environment
        for publisher in candidates:
            configured = publisher.config["environment"]
            if (configured.lower() if fold_case else configured) == wanted:
                return publisher
    for publisher in candidates:
        if not publisher.config["environment"]:
            return publisher
    raise PublisherError(NOT_FOUND)


# GitHub ---------------------------------------------------------------------------------------


def _github_lookup(candidates: Iterable[Publisher], claims: Claims) -> Publisher:
    repository = claims.get("repository")
    if not isinstance(repository, str):
        raise PublisherError("Missing claim 'repository'")
    owner, _, name = repository.partition("/")
    workflow = _filename_before_at(claims.get("job_workflow_ref"), r"/([^/@]+\.ya?ml)@")
    if not workflow:
        raise PublisherError("Could not job extract workflow filename from OIDC claims")
    matches = [
        p
        for p in candidates
        if p.config["repository_owner"].lower() == owner.lower()
        and p.config["repository_name"].lower() == name.lower()
        and p.config["repository_owner_id"] == str(claims.get("repository_owner_id"))
        and p.config["workflow_filename"] == workflow
    ]
    return _pick_for_environment(matches, claims.get("environment"), fold_case=True)


def _check_ref_uri(
    claim_name: str, ground_truth: str, value: str, refs: list[object], refs_error: str
) -> bool:
    if not value:
        raise PublisherError(f"The {claim_name} claim is empty")
    if not any(refs):
        raise PublisherError(refs_error)
    expected = {f"{ground_truth}@{ref}" for ref in refs if ref}
    if value not in expected:
        raise PublisherError(
            f"The {claim_name} claim does not match, expecting one of {sorted(expected)}, got {value!r}"
        )
    return True


def _github_job_workflow_ref(p: Publisher, value: Any, claims: Claims) -> bool:
    c = p.config
    truth = (
        f"{c['repository_owner']}/{c['repository_name']}/.github/workflows/{c['workflow_filename']}"
    )
    refs = [claims.get("ref"), claims.get("sha")]
    return _check_ref_uri(
        "job_workflow_ref", truth, value, refs, "The ref and sha claims are empty"
    )


def _github_event_name(p: Publisher, value: Any, claims: Claims) -> bool:
    if value == "pull_request_target":
        raise PublisherError(
            "Publishing from a workflow invoked via 'pull_request_target' is not supported."
        )
    return True


def _github_environment(p: Publisher, value: Any, claims: Claims) -> bool:
    configured = p.config["environment"]
    if not configured:
        return True
    return isinstance(value, str) and bool(value) and value.lower() == configured.lower()


GITHUB_REQUIRED: dict[str, Check] = {
    "repository": lambda p, v, c: (
        str(v).lower() == f"{p.config['repository_owner']}/{p.config['repository_name']}".lower()
    ),
    "repository_owner": lambda p, v, c: v == p.config["repository_owner"],
    "repository_owner_id": lambda p, v, c: str(v) == p.config["repository_owner_id"],
    "job_workflow_ref": _github_job_workflow_ref,
    "jti": lambda p, v, c: True,  # replaced by the jti check in find_publisher
    "event_name": _github_event_name,
}


# GitLab ---------------------------------------------------------------------------------------


def _gitlab_lookup(candidates: Iterable[Publisher], claims: Claims) -> Publisher:
    project_path = claims.get("project_path")
    if not isinstance(project_path, str):
        raise PublisherError("Missing claim 'project_path'")
    namespace, _, project = project_path.rpartition("/")
    workflow = _filename_before_at(claims.get("ci_config_ref_uri"), r"//(.+\.ya?ml)@")
    if not workflow:
        raise PublisherError("Could not extract workflow filename from OIDC claims")
    matches = [
        p
        for p in candidates
        if p.config["namespace"].lower() == namespace.lower()
        and p.config["project"].lower() == project.lower()
        and p.config["workflow_filepath"] == workflow
        and p.config["issuer_url"] == claims.get("iss")
    ]
    return _pick_for_environment(matches, claims.get("environment"), fold_case=False)


def _gitlab_sub(p: Publisher, value: Any, claims: Claims) -> bool:
    parts = str(value).split(":")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return False
    return (
        f"{parts[0]}:{parts[1]}".lower()
        == f"project_path:{p.config['namespace']}/{p.config['project']}".lower()
    )


def _gitlab_ci_config_ref_uri(p: Publisher, value: Any, claims: Claims) -> bool:
    c = p.config
    host = re.sub(r"^https?://", "", c["issuer_url"]).rstrip("/")
    truth = f"{host}/{c['namespace']}/{c['project']}//{c['workflow_filepath']}"
    ref_path, sha = claims.get("ref_path"), claims.get("sha")
    if value and not (ref_path and sha):
        raise PublisherError("The ref_path and sha claims are empty")
    return _check_ref_uri(
        "ci_config_ref_uri", truth, value, [ref_path, sha], "The ref_path and sha claims are empty"
    )


GITLAB_REQUIRED: dict[str, Check] = {
    "sub": _gitlab_sub,
    "project_path": lambda p, v, c: (
        str(v).lower() == f"{p.config['namespace']}/{p.config['project']}".lower()
    ),
    "ci_config_ref_uri": _gitlab_ci_config_ref_uri,
    "jti": lambda p, v, c: True,
}


def _gitlab_environment(p: Publisher, value: Any, claims: Claims) -> bool:
    return not p.config["environment"] or value == p.config["environment"]


# Google ---------------------------------------------------------------------------------------


def _google_lookup(candidates: Iterable[Publisher], claims: Claims) -> Publisher:
    matches = [p for p in candidates if p.config["email"] == claims.get("email")]
    for publisher in matches:
        if publisher.config["sub"] and publisher.config["sub"] == claims.get("sub"):
            return publisher
    for publisher in matches:
        if not publisher.config["sub"]:
            return publisher
    raise PublisherError(NOT_FOUND)


GOOGLE_REQUIRED: dict[str, Check] = {
    "email": lambda p, v, c: v == p.config["email"],
    "email_verified": lambda p, v, c: v is True,
}


def _google_sub(p: Publisher, value: Any, claims: Claims) -> bool:
    return not p.config["sub"] or value == p.config["sub"]


# kind -> (lookup, required verifiable, required unverifiable, optional verifiable)
RULES: dict[
    str,
    tuple[
        Callable[[Iterable[Publisher], Claims], Publisher],
        dict[str, Check],
        tuple[str, ...],
        dict[str, Check],
    ],
] = {
    "github": (
        _github_lookup,
        GITHUB_REQUIRED,
        ("ref", "sha"),
        {"environment": _github_environment},
    ),
    "gitlab": (
        _gitlab_lookup,
        GITLAB_REQUIRED,
        ("ref_path", "sha"),
        {"environment": _gitlab_environment},
    ),
    "google": (_google_lookup, GOOGLE_REQUIRED, (), {"sub": _google_sub}),
}


def find_publisher(
    publishers: Iterable[Publisher],
    kind: str,
    claims: Claims,
    *,
    pending: bool,
    used_jtis: Container[str],
) -> Publisher:
    """The publisher these (verified) claims identify, after every claim check."""
    if kind not in RULES:
        raise PublisherError(NOT_FOUND)
    lookup, required, unverifiable, optional = RULES[kind]
    publisher = lookup([p for p in publishers if p.kind == kind and p.pending == pending], claims)
    for name in (*required, *unverifiable):
        if claims.get(name) is None:
            raise PublisherError(f"Missing claim {name!r}")
    for name, check in required.items():
        if name == "jti" and claims["jti"] in used_jtis:
            raise ReusedToken
        if not check(publisher, claims[name], claims):
            raise PublisherError(f"Check failed for required claim {name!r}")
    for name, check in optional.items():
        if not check(publisher, claims.get(name), claims):
            raise PublisherError(f"Check failed for optional claim {name!r}")
    return publisher
