"""The release's publish attestations (``--attest``): which files to sign, which to reuse, and
writing each signed one beside its file.

Each file gets ``<file>.publish.attestation`` (gh-action-pypi-publish's name, and what
``--attestations`` pairs with the file). gh-action refuses to run when such a file exists; tpublish
reuses one made for the very same bytes (an earlier run's, kept by a retried job) and refuses one
made for other bytes (stale, as ``--attestations`` does), so a re-run never writes a second log
entry for a file it already signed. Everything here is decided before anything is signed: a
stale attestation or a directory that cannot take the new file stops the run before the
transparency log is written to.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tpublish.dists.attestations import (
    MAX_PER_FILE,
    PUBLISH_V1,
    AttestationError,
    InvalidAttestations,
    check_file,
    find,
)
from tpublish.dists.attestations import STALE_HINT as OTHER_BYTES_HINT
from tpublish.errors import DistributionError, InputError

if TYPE_CHECKING:
    from tpublish.dists.distribution import Distribution
    from tpublish.publish.signing import Signed

PUBLISH_SUFFIX = ".publish.attestation"
STALE_HINT = (
    "delete it: tpublish then signs the file anew (or upload with --no-attest); attestations "
    "must be made for the very bytes uploaded"
)


def target(dist_path: Path) -> Path:
    """Where a file's publish attestation lives: ``<file>.publish.attestation`` beside it."""
    return dist_path.with_name(dist_path.name + PUBLISH_SUFFIX)


@dataclass
class Plan:
    """What ``--attest`` will do to each file: sign it, or reuse its attestation."""

    to_sign: list[Distribution] = field(default_factory=list)
    reused: list[Distribution] = field(default_factory=list)
    sha256: dict[Path, str] = field(default_factory=dict)


def plan(dists: Sequence[Distribution], sha256: Callable[[Path], str]) -> Plan:
    """Decide per file; raise ``InvalidAttestations`` listing every file that cannot be attested."""
    result = Plan()
    errors: list[DistributionError] = []
    bad = 0
    for dist in dists:
        digest = result.sha256[dist.path] = sha256(dist.path)
        problems = _others(dist, digest)
        reusable = _reusable(dist, digest)
        if reusable is None:  # none there yet: signing writes one, so the directory must take it
            reusable = _unwritable(dist)
        if isinstance(reusable, DistributionError):
            problems.append(reusable)
        if problems:
            errors += problems
            bad += 1
        elif reusable is True:
            result.reused.append(dist)
        else:
            result.to_sign.append(dist)
    if errors:
        error = InvalidAttestations(errors, bad, len(dists))
        error.message = (
            f"{bad} of {len(dists)} file(s) cannot be attested; nothing was signed or uploaded"
        )
        error.hint = "fix the files listed above, or upload with --no-attest"
        raise error
    return result


def _reusable(dist: Distribution, digest: str) -> bool | DistributionError | None:
    """True: its attestation can be reused; None: it has none; else why the one there won't do."""
    path = target(dist.path)
    if not path.exists():
        return None
    if not path.is_file():
        return AttestationError("exists and is not a regular file", hint="remove it", path=path)
    try:
        check_file(path, dist.filename, digest)
    except AttestationError as exc:
        if exc.hint == OTHER_BYTES_HINT:  # made for another build of the file, or another file
            exc.hint = STALE_HINT
        return exc
    return True


def _others(dist: Distribution, digest: str) -> list[DistributionError]:
    """The file's other attestations (``.slsa.attestation``...), sent with the publish one:
    checked now, so that nothing the index would refuse is found after signing."""
    others = [path for path in find(dist.path) if path != target(dist.path)]
    problems: list[DistributionError] = []
    for path in others:
        try:
            _, predicate_type = check_file(path, dist.filename, digest)
        except AttestationError as exc:
            problems.append(exc)
            continue
        if predicate_type == PUBLISH_V1:
            problems.append(
                AttestationError(
                    f"is a publish attestation too; the index accepts one per file besides "
                    f"{target(dist.path).name}",
                    hint="remove it",
                    path=path,
                )
            )
    if len(others) + 1 > MAX_PER_FILE:
        problems.append(
            AttestationError(
                f"{len(others)} other attestation(s) beside it and the publish one make more "
                f"than the {MAX_PER_FILE} per file the index accepts",
                hint="keep at most one other attestation (e.g. .slsa.attestation)",
                path=dist.path,
            )
        )
    return problems


def _unwritable(dist: Distribution) -> DistributionError | None:
    directory = dist.path.parent
    if os.access(directory, os.W_OK | os.X_OK):
        return None
    return DistributionError(
        f"{target(dist.path).name} cannot be written: {directory} is not writable",
        hint="make the directory writable (the attestations are kept beside the files), or "
        "upload with --no-attest",
        path=dist.path,
    )


def write(signed: Signed) -> Path:
    """Write one attestation beside its file, whole or not at all (a temporary file, renamed)."""
    path = target(signed.item.path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(signed.text)
        Path(temporary).chmod(0o644)  # mkstemp makes it private; it is a CI artifact
        Path(temporary).replace(path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(
            f"{path.name} cannot be written: {exc.strerror or exc}", path=signed.item.path
        ) from exc
    return path
