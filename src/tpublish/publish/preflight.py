"""What the index holds under each file's name, decided by content (sha256): before the first
byte of a release (``look_up``), and whenever an upload's answer cannot be taken at its word
(``existing``, through ``judge``).

One listing per release on PyPI and TestPyPI (their JSON API), one per project elsewhere (the
simple API). Each file is then new, the same file (by sha256) as the index's, a different file
under the same name, or listed without a digest and not downloadable. A different file anywhere
refuses the whole release, and so does the same file without ``--skip-existing``: nothing is
sent, instead of file 7 of 12 failing. When the index cannot be read, every file is "unknown" and
the release goes on: the upload's answer decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from tpublish.errors import UploadError
from tpublish.index.multipart import hash_file
from tpublish.index.read import CannotTell

if TYPE_CHECKING:
    from pathlib import Path

    from tpublish.dists.distribution import Distribution
    from tpublish.index.multipart import Digests
    from tpublish.index.read import Listing
    from tpublish.index.remote import Index
    from tpublish.index.upload import BasicAuth

NEW, SAME, DIFFERENT, UNVERIFIED, UNKNOWN = "new", "same", "different", "unverified", "unknown"

REUSED_NAME_HINT = "an index never lets a file name be reused: build a new version"
SKIP_EXISTING_HINT = "use --skip-existing to skip files that are already there"


@dataclass(frozen=True)
class Verdict:
    """What the index holds under one file's name."""

    state: str  # NEW | SAME | DIFFERENT | UNVERIFIED (listed, no digest) | UNKNOWN (not readable)
    source: str | None = None  # the page that says so
    remote_sha256: str | None = None
    digests: Digests | None = None  # this file's, when it is listed and so was compared
    reason: str = ""  # UNVERIFIED, UNKNOWN: why the index cannot tell


@dataclass
class Preflight:
    """Every file's verdict, in the release's order."""

    verdicts: dict[Path, Verdict] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)  # projects whose listing failed

    def refusals(
        self, dists: Sequence[Distribution], *, skip_existing: bool
    ) -> dict[Path, UploadError]:
        """The files that refuse the whole release, each with its error."""
        refused = {}
        for dist in dists:
            verdict = self.verdicts[dist.path]
            if verdict.state == DIFFERENT:
                assert verdict.digests is not None
                refused[dist.path] = different_file_error(
                    dist,
                    f"the index's sha256: {verdict.remote_sha256}",
                    f"this file's sha256:  {verdict.digests.sha256}",
                    *_where(verdict),
                )
            elif verdict.state == SAME and not skip_existing:
                refused[dist.path] = same_file_error(dist, *_where(verdict))
        return refused


def different_file_error(dist: Distribution, *details: str) -> UploadError:
    return UploadError(
        f"a different file named {dist.filename} is already on the index",
        hint=REUSED_NAME_HINT,
        path=dist.path,
        details=details,
    )


def same_file_error(dist: Distribution, *details: str) -> UploadError:
    return UploadError(
        "the same file is already on the index",
        hint=SKIP_EXISTING_HINT,
        path=dist.path,
        details=details,
    )


def _where(verdict: Verdict) -> tuple[str, ...]:
    return (f"as listed at {verdict.source}",) if verdict.source else ()


def look_up(index: Index, dists: Sequence[Distribution], auth: BasicAuth | None) -> Preflight:
    """Read the index's listings once per release (PyPI) or project, and judge every file."""
    preflight = Preflight()
    listings: dict[tuple[str, str], Listing | None] = {}
    for dist in dists:
        key = (str(canonicalize_name(dist.name)), dist.version if index.lists_releases else "")
        if key not in listings:
            try:
                listings[key] = index.listing(dist.name, dist.version, auth)
            except CannotTell:
                listings[key] = None
                preflight.unreadable.append(dist.name)
        listing = listings[key]
        verdict = Verdict(UNKNOWN) if listing is None else judge(index, dist, listing, auth)
        preflight.verdicts[dist.path] = verdict
    return preflight


def judge(
    index: Index,
    dist: Distribution,
    listing: Listing,
    auth: BasicAuth | None,
    digests: Digests | None = None,
) -> Verdict:
    """What ``listing`` holds under ``dist``'s name, compared with our file by sha256: with
    ``digests`` where they are known, else the file is hashed (only when it is listed). A file
    listed without a digest is compared by downloading the index's copy."""
    remote = listing.files.get(dist.filename)
    if remote is None:
        return Verdict(NEW, listing.url)
    digests = digests or hash_file(dist.path)
    remote_sha = remote.sha256
    if remote_sha is None:
        fetched = index.download_digests(remote, auth, dist.size)
        if fetched is None:
            reason = f"listed without a digest, and {remote.url} not downloadable"
            return Verdict(UNVERIFIED, listing.url, None, digests, reason)
        remote_sha = fetched.sha256
    state = SAME if remote_sha == digests.sha256 else DIFFERENT
    return Verdict(state, listing.url, remote_sha, digests)
