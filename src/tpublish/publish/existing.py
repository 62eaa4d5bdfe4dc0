"""Does the index hold this file? Decided by content (sha256), never by name or by a 2xx alone.

``preflight`` asks before the release; this module asks again, with the same judgement
(``preflight.judge``), after an upload's answer whenever it cannot be taken at its word: "already exists" (ours, stored by an earlier try whose answer was
lost, or someone else's?), a 2xx that is a web page or a JSON error, the last try of a file that
had been sent whole before, and a file waiting for another try when the release stops. devpi's
200 "identical file" is the index comparing the bytes itself: no look-up. The index's read API
(PyPI's JSON API, the simple API, or a download) tells; where it cannot, "already exists" is
reported as ``uncertain`` (with how to check by hand) and anything else stays a failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tpublish.errors import UploadError
from tpublish.index.multipart import hash_file
from tpublish.index.read import CannotTell
from tpublish.publish.preflight import (
    DIFFERENT,
    NEW,
    SAME,
    UNKNOWN,
    UNVERIFIED,
    Verdict,
    different_file_error,
    judge,
    same_file_error,
)
from tpublish.publish.report import SKIPPED, UNCERTAIN, UPLOADED

if TYPE_CHECKING:
    from tpublish.auth.source import CredentialSource
    from tpublish.index.remote import Index
    from tpublish.index.upload import RetryableError
    from tpublish.publish.report import FileResult


class ExistingFiles:
    """What the index holds, for each file of the release."""

    def __init__(self, index: Index, credentials: CredentialSource, *, skip_existing: bool) -> None:
        self.index = index
        self.credentials = credentials
        self.skip_existing = skip_existing

    def settle(
        self, result: FileResult, message: str, maybe_ours: bool, *, identical: bool = False
    ) -> None:
        """The index says a file of this name exists: set the outcome, or raise if it is not ours.

        ``maybe_ours``: an earlier try sent the whole file, and its answer was lost.
        ``identical``: the index compared the bytes itself and says so (devpi), no look-up needed.
        """
        assert result.digests is not None
        verdict = Verdict(SAME) if identical else self.verdict(result)
        if verdict.state == DIFFERENT:
            said = (f"the index said: {message}",) if message else ()
            raise different_file_error(result.dist, *said)
        if verdict.state != SAME:
            self._uncertain(result, message, verdict)
        elif maybe_ours:
            result.outcome, result.note = UPLOADED, "stored by an earlier attempt"
        elif self.skip_existing:
            result.outcome, result.note = SKIPPED, "already on the index"
        else:
            raise same_file_error(result.dist)

    def confirm_stored(self, result: FileResult, doubt: str) -> None:
        """A 2xx that proves nothing (a web page, a JSON error): uploaded only if the index shows it."""
        verdict = self.verdict(result)
        if verdict.state == SAME:
            result.outcome = UPLOADED
            result.note = f"confirmed by its sha256 (the index answered with {doubt})"
            return
        found = {
            DIFFERENT: "lists a different file of that name",
            NEW: "does not list the file",
        }.get(verdict.state, "shows nothing that confirms it")  # UNVERIFIED, UNKNOWN
        raise UploadError(
            f"the index answered with {doubt} instead of an upload answer, and {found}: "
            "the upload is not confirmed",
            hint="a proxy, a captive portal or a page that is not the upload API answered; check "
            "the repository URL (Warehouse's is https://upload.pypi.org/legacy/)",
            path=result.dist.path,
            details=(f"looked for it: {verdict.reason}",) if verdict.reason else (),
        )

    def after_last_try(self, result: FileResult, error: RetryableError) -> None:
        """The tries ran out after the whole file went out at least once: did one of them store it?

        Uploaded when the index holds our bytes; otherwise ``error`` is raised, saying whether the
        index could be asked at all.
        """
        result.digests = result.digests or hash_file(result.dist.path)
        verdict = self.verdict(result)
        if verdict.state == SAME:
            result.outcome = UPLOADED
            result.note = "stored by an earlier attempt; later answers were errors"
            return
        said = None  # NEW: the index does not list it, so no try stored it
        if verdict.state == DIFFERENT:
            said = "the index lists a different file of that name"
        elif verdict.state in (UNVERIFIED, UNKNOWN):
            said = (
                "an earlier attempt may have stored it; the index offers no way to check "
                f"({verdict.reason})"
            )
        if said:
            error.details = (*error.details, said)
        raise error

    def after_cancel(self, result: FileResult) -> None:
        """The release stopped while this file waited for another try: uploaded if a try stored it."""
        result.digests = result.digests or hash_file(result.dist.path)
        if self.verdict(result).state == SAME:
            result.outcome = UPLOADED
            result.note = "stored by an earlier attempt before the release stopped"

    def verdict(self, result: FileResult) -> Verdict:
        """Compare the index's copy of the file with ours (``result.digests``), by sha256."""
        assert result.digests is not None
        auth = self.credentials.current().basic_auth
        dist = result.dist
        try:
            listing = self.index.listing(dist.name, dist.version, auth)
        except CannotTell as exc:
            return Verdict(UNKNOWN, reason=exc.reason)
        return judge(self.index, dist, listing, auth, result.digests)

    def _uncertain(self, result: FileResult, message: str, verdict: Verdict) -> None:
        assert result.digests is not None
        result.outcome = UNCERTAIN
        if verdict.state == NEW:
            result.note = "the index says a file of this name exists, but does not list it"
        else:
            result.note = "the index says a file of this name exists, but shows no way to check it"
        result.details = tuple(
            line
            for line in (f"the index said: {message}" if message else "", verdict.reason)
            if line
        )
        result.check_by_hand = (
            f"download {result.dist.filename} from the index and compare its sha256 with "
            f"{result.digests.sha256}: if they match, it is uploaded; if not, build a new version"
        )
