"""Does the index already hold this file? Decided by content (sha256), never by name alone.

An index refuses a second file under a used name (devpi says "identical file" with a 200);
whether that answer is harmless depends on whether the file there is ours. ``preflight`` asks
before the release; this module decides after an upload's answer, when the index could not be
read beforehand or changed meanwhile. The index's read API (PyPI's JSON API, the simple API, or a
download) tells; where it cannot, the answer is "cannot tell" and the caller must say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tpublish.errors import UploadError
from tpublish.publish.preflight import REUSED_NAME_HINT, SKIP_EXISTING_HINT
from tpublish.publish.report import SKIPPED, UPLOADED

if TYPE_CHECKING:
    from tpublish.auth.source import CredentialSource
    from tpublish.index.remote import Index
    from tpublish.publish.report import FileResult


class ExistingFiles:
    """What a file of the same name on ``index`` means for each file of the release."""

    def __init__(self, index: Index, credentials: CredentialSource, *, skip_existing: bool) -> None:
        self.index = index
        self.credentials = credentials
        self.skip_existing = skip_existing

    def settle(
        self, result: FileResult, message: str, response_lost: bool, *, identical: bool = False
    ) -> None:
        """The index has a file of this name: set the outcome, or raise if it is not ours.

        ``identical``: the index compared the bytes itself and says so (devpi), no look-up needed.
        """
        assert result.digests is not None
        same = True if identical else self.same_content(result)
        if same is False:
            raise UploadError(
                f"a different file named {result.dist.filename} is already on the index",
                hint=REUSED_NAME_HINT,
                path=result.dist.path,
                details=(f"the index said: {message}",) if message else (),
            )
        if response_lost:
            # Our earlier attempt stored it and its answer was lost.
            result.outcome = UPLOADED
            result.note = (
                "stored by an earlier attempt" if same else "index says it exists (not verified)"
            )
            return
        if self.skip_existing:
            result.outcome = SKIPPED
            result.note = (
                "already on the index"
                if same
                else f"index says it exists: {message or 'listed, not verified'}"
            )
            return
        raise UploadError(
            f"already on the index: {message}"
            if same is None
            else "the same file is already on the index",
            hint=SKIP_EXISTING_HINT,
            path=result.dist.path,
        )

    def same_content(self, result: FileResult) -> bool | None:
        """True/False when the index shows the file's sha256 (or lets us fetch it), None otherwise."""
        auth = self.credentials.current().basic_auth
        dist = result.dist
        remote = self.index.find(dist.name, dist.version, dist.filename, auth)
        if remote is None:
            return None
        assert result.digests is not None
        remote_sha = remote.sha256
        if remote_sha is None:
            fetched = self.index.download_digests(remote, auth)
            remote_sha = fetched.sha256 if fetched else None
        if remote_sha is None:
            return None
        return remote_sha.lower() == result.digests.sha256
