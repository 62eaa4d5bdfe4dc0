"""Publish a whole release: upload every file, retry what is worth retrying, report each outcome.

The files were all validated before this module sees them. First the index is asked what it
already holds (``preflight``): a file name it holds with other content, or the same file without
``--skip-existing``, refuses the whole release before the first byte. Then the order: the first
wheel alone (so the index creates the project and release once), the other wheels with bounded
concurrency, the sdists last. The first failure stops new uploads; files not started are reported
as such, so a re-run (with ``--skip-existing``) finishes the release.

"uploaded" is said only when the index's answer or its read API backs it (``existing``): a 2xx
that is a web page, an "already exists" after a lost answer, the last failed try of a file sent
whole before, and a file waiting for a retry when the release stops are all checked by sha256.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tpublish.errors import CredentialError, TPublishError
from tpublish.index.multipart import hash_file
from tpublish.index.retry import RetryPolicy
from tpublish.index.upload import RetryableError
from tpublish.publish.existing import ExistingFiles
from tpublish.publish.pause import Cancelled, Pause
from tpublish.publish.preflight import SAME, Preflight, look_up
from tpublish.publish.report import (
    FAILED,
    INTERRUPTED,
    NOT_ATTEMPTED,
    SKIPPED,
    UPLOADED,
    Emit,
    FileResult,
    Finished,
    Report,
    Retrying,
    Sending,
    Started,
    internal_error,
)
from tpublish.publish.runner import BatchRunner

if TYPE_CHECKING:
    from tpublish.auth.source import CredentialSource
    from tpublish.dists.distribution import Distribution
    from tpublish.index.remote import Index


@dataclass(frozen=True)
class Options:
    skip_existing: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    concurrency: int = 1
    extra_fields: Callable[[Distribution], Sequence[tuple[str, str]]] = lambda _dist: ()
    # Says more about a refusal where the caller knows more (e.g. about attestations it sent).
    explain: Callable[[TPublishError, Distribution], TPublishError] = lambda error, _dist: error


class Publisher:
    """Uploads one release to one index."""

    def __init__(
        self, index: Index, credentials: CredentialSource, options: Options, emit: Emit
    ) -> None:
        self.index = index
        self.credentials = credentials
        self.options = options
        self.emit = emit
        self.existing = ExistingFiles(index, credentials, skip_existing=options.skip_existing)
        self._stop = threading.Event()  # no new upload starts once set
        self._ctrl_c = threading.Event()  # the person stopped it: no time for lookups
        self._pause = Pause()  # waits between retries; cancelled to cut them short

    def run(self, dists: Sequence[Distribution]) -> Report:
        results = [FileResult(dist) for dist in dists]
        report = Report(self.index.upload_url, results)
        preflight = look_up(self.index, dists, self.credentials.current().basic_auth)
        if self._refused(results, preflight):
            return report
        results = [r for r in results if not self._skipped_before(r, preflight)]
        wheels = [r for r in results if r.dist.filetype != "sdist"]
        sdists = [r for r in results if r.dist.filetype == "sdist"]
        runner = BatchRunner(self._upload_one, self.options.concurrency, self._stop.is_set)
        try:
            for batch in (wheels[:1], wheels[1:], sdists[:1], sdists[1:]):
                if self._stop.is_set():
                    break
                runner.run(batch, on_interrupt=self._interrupt)
        except KeyboardInterrupt:
            self._cancel()
            report.interrupted = True
            for result in results:
                if result.outcome == NOT_ATTEMPTED and result.attempts:
                    result.outcome = INTERRUPTED
        return report

    def _interrupt(self) -> None:
        self._ctrl_c.set()
        self._cancel()

    def _refused(self, results: list[FileResult], preflight: Preflight) -> bool:
        """A file the index holds with other content (or the same, without --skip-existing):
        nothing of the release is sent, every such file is named."""
        refused = preflight.refusals(
            [r.dist for r in results], skip_existing=self.options.skip_existing
        )
        if not refused:
            return False
        for result in results:
            if result.dist.path in refused:
                verdict = preflight.verdicts[result.dist.path]
                result.outcome, result.error = FAILED, refused[result.dist.path]
                result.digests = verdict.digests
                self.emit(Finished(result))
            else:
                result.note = "nothing sent: the release conflicts with the index"
        return True

    def _skipped_before(self, result: FileResult, preflight: Preflight) -> bool:
        """--skip-existing: the index lists this very file (same sha256), so it is not sent."""
        verdict = preflight.verdicts[result.dist.path]
        if verdict.state != SAME:
            return False
        result.outcome, result.digests = SKIPPED, verdict.digests
        result.note = "already on the index (same sha256)"
        self.emit(Finished(result))
        return True

    def _cancel(self) -> None:
        self._stop.set()
        self._pause.cancel()

    def _upload_one(self, result: FileResult) -> None:
        if self._stop.is_set():
            return
        self.emit(Started(result.dist))
        try:
            self._attempt_until_done(result)
        except Cancelled:
            result.outcome = INTERRUPTED
        except TPublishError as exc:
            result.outcome, result.error = FAILED, self.options.explain(exc, result.dist)
            self._stop.set()
        except Exception as exc:  # noqa: BLE001  (a bug: reported with the file, not lost in a thread)
            result.outcome, result.error = FAILED, internal_error(exc)
            self._stop.set()
        self.emit(Finished(result))

    def _attempt_until_done(self, result: FileResult) -> None:
        dist = result.dist
        fields = [
            ("filetype", dist.filetype),
            ("pyversion", dist.pyversion),
            *dist.fields,
            *self.options.extra_fields(dist),
        ]
        tries = _Tries()
        try:
            self._try_until_done(result, fields, tries)
        except Cancelled:
            # Another file's failure stops the release: a try of this one may have been stored.
            if tries.sent_whole and not self._ctrl_c.is_set():
                self.existing.after_cancel(result)
                if result.outcome == UPLOADED:
                    return
            raise

    def _try_until_done(
        self, result: FileResult, fields: Sequence[tuple[str, str]], tries: _Tries
    ) -> None:
        dist = result.dist
        while True:
            result.attempts += 1
            try:
                sent = self.index.upload(
                    dist.path,
                    fields,
                    self.credentials.current().basic_auth,
                    on_chunk=lambda n: self._sent(dist, n),
                )
            except CredentialError as exc:
                raise self.credentials.explain_refusal(exc) from exc
            except RetryableError as exc:
                tries.sent_whole = tries.sent_whole or exc.body_sent
                delay = self.options.retry.next_wait(result.attempts, exc, tries.waited)
                if delay is None:
                    if not tries.sent_whole:
                        raise
                    self.existing.after_last_try(result, exc)
                    return
                self._wait_before_retry(dist, result.attempts, exc, delay)
                tries.waited += delay
                continue
            result.digests = sent.digests or hash_file(dist.path)
            if not sent.stored:
                self.existing.settle(
                    result, sent.message, maybe_ours=tries.sent_whole, identical=sent.identical
                )
            elif sent.doubt is not None:
                self.existing.confirm_stored(result, sent.doubt)
            else:
                result.outcome = UPLOADED
            return

    def _sent(self, dist: Distribution, nbytes: int) -> None:
        if self._stop.is_set():
            raise Cancelled
        self.emit(Sending(dist, nbytes))

    def _wait_before_retry(
        self, dist: Distribution, attempt: int, exc: RetryableError, delay: float
    ) -> None:
        if self._stop.is_set():
            raise Cancelled  # no "retrying" line when nothing will be retried
        self.emit(Retrying(dist, attempt, delay, exc.message))
        self._pause.wait(delay)
        if self._stop.is_set():
            raise Cancelled


@dataclass
class _Tries:
    """What the tries of one file so far add up to."""

    sent_whole: bool = False  # one sent the whole file: the index may have stored it
    waited: float = 0.0  # seconds waited between them
