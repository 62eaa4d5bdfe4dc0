"""Read an OIDC token's claims (never its signature) and explain them next to the publisher form.

When the index refuses a token because no trusted publisher matches, the user needs to see what
the CI provider claimed and what to type into the index's "add a trusted publisher" form.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GOOGLE_ISSUER = "https://accounts.google.com"
TROUBLESHOOTING_URL = "https://docs.pypi.org/trusted-publishers/troubleshooting/"

# The claims the reference action prints for debugging, in its order.
DEBUG_CLAIMS = (
    "sub",
    "repository",
    "repository_owner",
    "repository_owner_id",
    "workflow_ref",
    "job_workflow_ref",
    "ref",
    "environment",
)
GITLAB_DEBUG_CLAIMS = ("sub", "project_path", "ci_config_ref_uri", "ref_path", "environment")
# What ``tpublish auth`` shows: who issued the token and for whom, what the publisher forms match
# on, and its lifetime.
SHOWN_CLAIMS = (
    "iss",
    "aud",
    *DEBUG_CLAIMS,
    "event_name",  # the GitHub event that ran the workflow
    *(name for name in GITLAB_DEBUG_CLAIMS if name not in DEBUG_CLAIMS),
    "email",
    "exp",
)


def decode_claims(token: str) -> dict[str, Any]:
    """The JWT payload as a dict (unverified); empty when the token is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, RecursionError):  # RecursionError: a hostile, deeply nested payload
        return {}
    return claims if isinstance(claims, dict) else {}


def issuer_kind(claims: dict[str, Any]) -> str:
    """GitHub, GitLab, Google, CircleCI, Buildkite or the issuer itself."""
    issuer = str(claims.get("iss", ""))
    if issuer == GITHUB_ISSUER:
        return "GitHub"
    if issuer == GOOGLE_ISSUER:
        return "Google"
    if "gitlab" in issuer or "project_path" in claims:
        return "GitLab"
    if "circleci" in issuer:
        return "CircleCI"
    if "buildkite" in issuer:
        return "Buildkite"
    return issuer or "unknown"


def _workflow_filename(job_workflow_ref: str) -> str:
    """``owner/repo/.github/workflows/release.yml@refs/tags/v1`` -> ``release.yml``."""
    path = job_workflow_ref.split("@", 1)[0]
    return path.rsplit("/", 1)[-1] if path else ""


def gitlab_ci_path(ci_config_ref_uri: str) -> str:
    """``gitlab.com/ns/proj//.gitlab-ci.yml@refs/heads/main`` -> ``.gitlab-ci.yml``."""
    _, _, rest = ci_config_ref_uri.partition("//")
    return rest.split("@", 1)[0]


def publisher_form(claims: dict[str, Any]) -> list[tuple[str, str]]:
    """The values to enter in the index's trusted-publisher form for the CI job that made ``claims``."""
    kind = issuer_kind(claims)
    if kind == "GitHub":
        repository = str(claims.get("repository", ""))
        return [
            ("Owner", str(claims.get("repository_owner", "MISSING"))),
            ("Repository name", repository.split("/", 1)[1] if "/" in repository else "MISSING"),
            (
                "Workflow name",
                _workflow_filename(str(claims.get("job_workflow_ref", ""))) or "MISSING",
            ),
            ("Environment name", str(claims.get("environment") or "(any; none used by this job)")),
        ]
    if kind == "GitLab":
        namespace, _, project = str(claims.get("project_path", "")).rpartition("/")
        return [
            ("Namespace", namespace or "MISSING"),
            ("Project name", project or "MISSING"),
            (
                "Top-level pipeline file path",
                gitlab_ci_path(str(claims.get("ci_config_ref_uri", ""))) or "MISSING",
            ),
            ("Environment name", str(claims.get("environment") or "(any; none used by this job)")),
        ]
    if kind == "Google":
        return [
            ("Email", str(claims.get("email", "MISSING"))),
            ("Subject", str(claims.get("sub", ""))),
        ]
    return [
        ("Issuer", str(claims.get("iss", "MISSING"))),
        ("Subject", str(claims.get("sub", "MISSING"))),
    ]


def claim_lines(claims: dict[str, Any], names: Sequence[str] | None = None) -> list[str]:
    """``names`` (by default the identifying claims of the token's issuer), each ``name: value``
    (``MISSING`` when absent)."""
    if names is None:
        kind = issuer_kind(claims)
        names = ("iss", "sub", "aud", "email")
        if kind == "GitHub":
            names = DEBUG_CLAIMS
        elif kind == "GitLab":
            names = GITLAB_DEBUG_CLAIMS
    return [f"  {name}: {claims.get(name, 'MISSING')}" for name in names]


def mismatch_details(claims: dict[str, Any], token: Sequence[str] = ()) -> tuple[str, ...]:
    """Lines that put the token's claims next to the publisher form values, for a refused exchange;
    ``token`` (lines about the token as a whole: iss, aud, exp) opens its claims block."""
    if not claims:
        return ()
    form = publisher_form(claims)
    width = max(len(label) for label, _ in form)
    lines = [f"The index's trusted publisher for this project must say ({issuer_kind(claims)}):"]
    lines += [f"  {label:<{width}}  {value}" for label, value in form]
    lines.append(
        "Claims in this job's OIDC token (for debugging; not a configuration to copy blindly):"
    )
    lines += token
    lines += claim_lines(claims)
    lines.append(f"See {TROUBLESHOOTING_URL}")
    return tuple(lines)


def _workflow_path(ref: Any) -> str:
    """``owner/repo/.github/workflows/release.yml@refs/tags/v1`` -> the part before ``@``."""
    return str(ref).split("@", 1)[0] if ref else ""


def is_reusable_workflow(claims: dict[str, Any]) -> bool:
    """The job runs in another workflow file (or repository) than the one that was triggered."""
    caller, job = (
        _workflow_path(claims.get("workflow_ref")),
        _workflow_path(claims.get("job_workflow_ref")),
    )
    return bool(caller and job) and caller != job


def reusable_workflow_from_elsewhere(claims: dict[str, Any]) -> bool:
    """A reusable workflow from another repository than the caller's: no publisher can match it."""
    if not is_reusable_workflow(claims):
        return False
    owner_repo = "/".join(_workflow_path(claims.get("job_workflow_ref")).split("/")[:2])
    return owner_repo.lower() != str(claims.get("repository", "")).lower()


def reusable_workflow_explanation(claims: dict[str, Any]) -> str:
    """Why a job in another repository's reusable workflow cannot publish, and what to do."""
    repository = claims.get("repository", "the caller's repository")
    job = _workflow_path(claims.get("job_workflow_ref"))
    return (
        f"the index matches the caller's repository ({repository}) together with the reusable "
        f"workflow's file ({job}), so a reusable workflow from another repository can never be "
        f"a trusted publisher: upload from a job of a workflow in {repository} itself (a "
        "reusable workflow may still build the files and hand them over as an artifact), or "
        "use an API token (see https://github.com/pypi/warehouse/issues/11096)"
    )


def reusable_workflow_warning(claims: dict[str, Any]) -> str | None:
    """Before the exchange: the job runs inside a reusable workflow, which the index supports badly."""
    if not is_reusable_workflow(claims):
        return None
    workflow_ref, job_workflow_ref = claims.get("workflow_ref"), claims.get("job_workflow_ref")
    where = f"this job runs in a reusable workflow ({job_workflow_ref}, called by {workflow_ref})"
    if reusable_workflow_from_elsewhere(claims):
        return f"{where}; {reusable_workflow_explanation(claims)}"
    return (
        f"{where}; the index matches the reusable workflow's file name "
        f"({_workflow_filename(str(job_workflow_ref))}), not the calling workflow's, so the "
        "trusted publisher must name that file; PyPI does not officially support trusted "
        "publishing from reusable workflows and the exchange may fail "
        "(see https://github.com/pypi/warehouse/issues/11096)"
    )


def github_fork_pull_request(env: Mapping[str, str]) -> bool:
    """True when this GitHub Actions run is a pull request from a fork (GitHub grants no OIDC there)."""
    if env.get("GITHUB_EVENT_NAME") not in (
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
    ):
        return False
    event_path = env.get("GITHUB_EVENT_PATH")
    if not event_path:
        return False
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
        return bool(event["pull_request"]["head"]["repo"]["fork"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return False
