"""Before the first byte of a release: what the index already holds under each file's name.

One listing per release on PyPI and TestPyPI (their JSON API), one per project elsewhere (the
simple API, where ``existing``'s look-ups go too). Each file is then new, the same file (by
sha256) as the index's, a different file under the same name, or listed without a digest and
not downloadable. A different file anywhere refuses the whole release, and so does the same file
without ``--skip-existing``: nothing is sent, instead of file 7 of 12 failing. When the index
cannot be read, every file is "unknown" and the release goes on: the upload's answer decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from tpublish.errors import UploadError
from tpublish.index.multipart import hash_file

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
    digests: Digests | None = None  # this file's, when it had to be hashed to compare


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
                refused[dist.path] = different_file_error(dist, verdict)
            elif verdict.state == SAME and not skip_existing:
                refused[dist.path] = UploadError(
                    "the same file is already on the index",
                    hint=SKIP_EXISTING_HINT,
                    path=dist.path,
                    details=_where(verdict),
                )
        return refused


def different_file_error(dist: Distribution, verdict: Verdict) -> UploadError:
    assert verdict.digests is not None
    return UploadError(
        f"a different file named {dist.filename} is already on the index",
        hint=REUSED_NAME_HINT,
        path=dist.path,
        details=(
            f"the index's sha256: {verdict.remote_sha256}",
            f"this file's sha256:  {verdict.digests.sha256}",
            *_where(verdict),
        ),
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
            listings[key] = index.list_files(dist.name, dist.version, auth)
            if listings[key] is None:
                preflight.unreadable.append(dist.name)
        preflight.verdicts[dist.path] = _judge(index, dist, listings[key], auth)
    return preflight


def _judge(
    index: Index, dist: Distribution, listing: Listing | None, auth: BasicAuth | None
) -> Verdict:
    if listing is None:
        return Verdict(UNKNOWN)
    remote = listing.files.get(dist.filename)
    if remote is None:
        return Verdict(NEW, listing.url)
    digests = hash_file(dist.path)
    remote_sha = remote.sha256
    if remote_sha is None:
        fetched = index.download_digests(remote, auth)
        remote_sha = fetched.sha256 if fetched is not None else None
    if remote_sha is None:
        return Verdict(UNVERIFIED, listing.url, None, digests)
    state = SAME if remote_sha.lower() == digests.sha256 else DIFFERENT
    return Verdict(state, listing.url, remote_sha.lower(), digests)
