"""``tpublish upload --dry-run``: the release a real run would make, and the exit code it would have.

The same look-up as a real run (``publish.preflight``) tells, for each file, what the index holds
under its name, so each file gets the outcome a real run would give it: would upload, would skip
(the same file is there, ``--skip-existing``), would fail (the same file without
``--skip-existing``, or a different file of that name), or would not be sent (another file of the
release refuses it). Without any credential the run ends with exit code 3, as a real run would,
after showing the predictions; with ``--json`` the error is part of the one document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tpublish.auth.credentials import no_credential_error
from tpublish.cli.boundary import report_error
from tpublish.errors import EXIT_OK, EXIT_UPLOAD
from tpublish.output.summary import error_document
from tpublish.publish.preflight import DIFFERENT, NEW, SAME, UNKNOWN, UNVERIFIED, look_up
from tpublish.units import human_size

if TYPE_CHECKING:
    from pathlib import Path

    from tpublish.auth.login import Login
    from tpublish.auth.settings import Repository
    from tpublish.cli.attest import Attesting
    from tpublish.cli.options import UploadOptions
    from tpublish.dists.distribution import Distribution
    from tpublish.index.multipart import Digests
    from tpublish.index.remote import Index
    from tpublish.output.console import Console
    from tpublish.publish.preflight import Preflight

WOULD_UPLOAD, WOULD_SKIP, WOULD_FAIL, NOT_SENT = (
    "would upload",
    "would skip",
    "would fail",
    "would not be sent",
)
# What the index holds under the file's name, as the JSON document says it.
ON_INDEX = {
    NEW: "absent",
    SAME: "same",
    DIFFERENT: "different",
    UNVERIFIED: "listed",
    UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class Prediction:
    dist: Distribution
    digests: Digests
    on_index: str
    outcome: str
    note: str
    index_sha256: str | None


def dry_run(
    console: Console,
    repository: Repository,
    index: Index,
    dists: list[Distribution],
    login: Login,
    interactive: bool,
    options: UploadOptions,
    attesting: Attesting,
    digests: Callable[[Path], Digests],
) -> int:
    """Show what a real run would do to each file; return the exit code it would have."""
    would_start = login.source is not None or interactive
    auth = login.source.current().basic_auth if login.source is not None else None
    preflight = look_up(index, dists, auth)
    predictions = predict(dists, preflight, digests, skip_existing=options.skip_existing)
    refused = any(p.outcome == WOULD_FAIL for p in predictions)
    error = None if would_start else no_credential_error(repository)
    exit_code = error.exit_code if error else (EXIT_UPLOAD if refused else EXIT_OK)
    if console.json_mode:
        document = plan_document(repository, predictions, login, preflight, would_start, exit_code)
        document["attestations"] = attesting.document()
        document["error"] = error_document(error) if error else None
        console.emit_json(document)
    else:
        _show(console, repository, predictions, login, interactive, preflight)
        for line in attesting.describe():
            console.info(line)
    if error is not None:
        report_error(console, error)  # on stderr: the one JSON document already holds it
    elif refused and not console.json_mode:
        console.info(
            f"A real run would send nothing: the index already holds files of this release "
            f"(exit code {exit_code})."
        )
    return exit_code


def predict(
    dists: list[Distribution],
    preflight: Preflight,
    digests: Callable[[Path], Digests],
    *,
    skip_existing: bool,
) -> list[Prediction]:
    """Each file's outcome in a real run, from what the index holds under its name.

    A file the look-up did not hash (not on the index) is hashed with ``digests``: the run's
    digests, so a file signing already read is not read again.
    """
    refused = preflight.refusals(dists, skip_existing=skip_existing)
    predictions = []
    for dist in dists:
        verdict = preflight.verdicts[dist.path]
        outcome, note = _outcome(verdict.state, skip_existing)
        if refused and dist.path not in refused:
            outcome = NOT_SENT
            note = f"{note}; nothing is sent: another file of the release is refused"
        predictions.append(
            Prediction(
                dist,
                verdict.digests or digests(dist.path),
                ON_INDEX[verdict.state],
                outcome,
                note,
                verdict.remote_sha256,
            )
        )
    return predictions


def _outcome(state: str, skip_existing: bool) -> tuple[str, str]:
    if state == NEW:
        return WOULD_UPLOAD, "not on the index yet"
    if state == SAME and skip_existing:
        return WOULD_SKIP, "already on the index (same sha256)"
    if state == SAME:
        return WOULD_FAIL, "already on the index (same sha256): use --skip-existing to skip it"
    if state == DIFFERENT:
        return WOULD_FAIL, "a different file of that name is on the index"
    if state == UNVERIFIED:
        return WOULD_UPLOAD, "the index lists this name without a digest: its answer decides"
    return WOULD_UPLOAD, "the index could not be read: its answer to the upload decides"


def plan_document(
    repository: Repository,
    predictions: list[Prediction],
    login: Login,
    preflight: Preflight,
    would_start: bool,
    exit_code: int,
) -> dict[str, Any]:
    """What a real run would do, as the ``--json`` document of a dry run."""
    return {
        "dry_run": True,
        "repository_url": repository.url,
        "repository_source": repository.url_source,
        "credential": login.description if login.source is not None else None,
        "trusted_publishing": login.trusted is not None,
        "would_start": would_start,  # a credential is in hand (or a terminal to ask on)
        "exit_code": exit_code,
        "index_read": not preflight.unreadable,
        "files": [
            {
                "filename": p.dist.filename,
                "path": str(p.dist.path),
                "name": p.dist.name,
                "version": p.dist.version,
                "filetype": p.dist.filetype,
                "size": p.dist.size,
                "sha256": p.digests.sha256,
                "blake2_256": p.digests.blake2_256,
                "warnings": list(p.dist.warnings),
                "on_index": p.on_index,
                "index_sha256": p.index_sha256,
                "outcome": p.outcome,
                "note": p.note,
            }
            for p in predictions
        ],
    }


def _show(
    console: Console,
    repository: Repository,
    predictions: list[Prediction],
    login: Login,
    interactive: bool,
    preflight: Preflight,
) -> None:
    console.info(f"Dry run: {len(predictions)} file(s) for {repository.url}")
    width = max(len(p.outcome) for p in predictions)
    for p in predictions:
        console.info(
            f"  {p.outcome:<{width}}  {p.dist.filename} ({human_size(p.dist.size)}) "
            f"sha256={p.digests.sha256} - {p.note}"
        )
    if preflight.unreadable:
        console.info(f"  the index could not be read for: {', '.join(preflight.unreadable)}")
    if login.trusted is not None:
        console.info(f"  credential: {login.description}: token exchange succeeded")
    elif login.source is not None:
        console.info(f"  credential: {login.description}")
    elif interactive:
        console.info("  no credential configured: a real run would prompt for one")
