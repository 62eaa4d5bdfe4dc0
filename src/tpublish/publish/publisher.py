"""Publish a whole release: upload every file, retry what is worth retrying, report each outcome.

The files were all validated before this module sees them. Order: the first wheel alone (so the
index creates the project and release once), the other wheels with bounded concurrency, the
sdists last. The first failure stops new uploads; files not started are reported as such, so a
re-run (with ``--skip-existing``) finishes the release.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from tpublish.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UPLOAD,
    CredentialError,
    TPublishError,
    UploadError,
)
from tpublish.index.upload import RetryableError
from tpublish.index.multipart import Digests, hash_file

if TYPE_CHECKING:
    from tpublish.auth.credentials import Credential
    from tpublish.dists.distribution import Distribution
    from tpublish.index.upload import Index, RemoteFile

CANCEL_GRACE = 1.0  # seconds cancelled uploads get to stop before the report is made

UPLOADED, SKIPPED, FAILED, NOT_ATTEMPTED, INTERRUPTED = (
    "uploaded",
    "skipped",
    "failed",
    "not attempted",
    "interrupted",
)


MAX_RETRY_AFTER = 300.0  # seconds: a longer Retry-After fails the file instead of waiting


class CredentialSource(Protocol):
    """Gives the credential for the next request (a trusted-publishing source renews it)."""

    def current(self) -> Credential: ...

    def explain_refusal(self, error: CredentialError) -> TPublishError:
        """The error to show when the index refused this source's credential."""
        ...


@dataclass(frozen=True)
class StaticCredential:
    credential: Credential

    def current(self) -> Credential:
        return self.credential

    def explain_refusal(self, error: CredentialError) -> TPublishError:
        return error


@dataclass(frozen=True)
class Options:
    skip_existing: bool = False
    retries: int = 4
    backoff: float = 1.0  # seconds before the first retry; doubles each time, with jitter
    max_backoff: float = 60.0
    concurrency: int = 1
    extra_fields: Callable[[Distribution], Sequence[tuple[str, str]]] = lambda _dist: ()


@dataclass
class FileResult:
    dist: Distribution
    outcome: str = NOT_ATTEMPTED
    digests: Digests | None = None
    error: TPublishError | None = None
    note: str = ""
    attempts: int = 0


@dataclass
class Report:
    upload_url: str
    results: list[FileResult]
    interrupted: bool = False
    release_urls: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        errors = [r.error for r in self.results if r.error is not None]
        if errors:
            return errors[0].exit_code
        done = all(r.outcome in (UPLOADED, SKIPPED) for r in self.results)
        return EXIT_OK if done else EXIT_UPLOAD


# Events for the console, emitted from worker threads.
@dataclass(frozen=True)
class Started:
    dist: Distribution


@dataclass(frozen=True)
class Sending:
    dist: Distribution
    nbytes: int


@dataclass(frozen=True)
class Retrying:
    dist: Distribution
    attempt: int
    delay: float
    reason: str


@dataclass(frozen=True)
class Finished:
    result: FileResult


Event = Started | Sending | Retrying | Finished
Emit = Callable[[Event], None]


class _Cancelled(Exception):
    """Raised inside an upload's body stream to abandon it after Ctrl-C or another file's failure."""


class Publisher:
    """Uploads one release to one index."""

    def __init__(
        self, index: Index, credentials: CredentialSource, options: Options, emit: Emit
    ) -> None:
        self.index = index
        self.credentials = credentials
        self.options = options
        self.emit = emit
        self._stop = threading.Event()
        self._sleep = threading.Event()  # waited on between retries; set to cut a wait short

    def run(self, dists: Sequence[Distribution]) -> Report:
        results = [FileResult(dist) for dist in dists]
        report = Report(self.index.upload_url, results)
        wheels = [r for r in results if r.dist.filetype != "sdist"]
        sdists = [r for r in results if r.dist.filetype == "sdist"]
        batches = [wheels[:1], wheels[1:], sdists[:1], sdists[1:]]
        try:
            for batch in batches:
                if self._stop.is_set():
                    break
                self._run_batch(batch)
        except KeyboardInterrupt:
            self._cancel()
            report.interrupted = True
            for result in results:
                if result.outcome == NOT_ATTEMPTED and result.attempts:
                    result.outcome = INTERRUPTED
        return report

    def _cancel(self) -> None:
        self._stop.set()
        self._sleep.set()

    def _run_batch(self, batch: list[FileResult]) -> None:
        """Upload ``batch`` on up to ``concurrency`` daemon threads.

        Daemon threads, not a ``ThreadPoolExecutor``: after Ctrl-C an upload blocked on a silent
        index must not hold the process (the executor's threads are joined at exit) until the
        read timeout ends it.
        """
        work: queue.SimpleQueue[FileResult] = queue.SimpleQueue()
        for result in batch:
            work.put(result)
        done = [threading.Event() for _ in range(min(len(batch), max(1, self.options.concurrency)))]
        for n, finished in enumerate(done):
            threading.Thread(
                target=self._work, args=(work, finished), daemon=True, name=f"upload-{n}"
            ).start()
        try:
            for finished in done:
                # A timeout keeps the main thread responsive to Ctrl-C.
                while not finished.wait(0.2):
                    pass
        except KeyboardInterrupt:
            self._cancel()
            self._let_finish(done)
            raise

    @staticmethod
    def _let_finish(done: list[threading.Event]) -> None:
        """Give cancelled uploads a moment to stop cleanly (a second Ctrl-C stops waiting)."""
        deadline = time.monotonic() + CANCEL_GRACE
        try:
            for finished in done:
                finished.wait(max(0.0, deadline - time.monotonic()))
        except KeyboardInterrupt:
            pass

    def _work(self, work: queue.SimpleQueue[FileResult], finished: threading.Event) -> None:
        try:
            while not self._stop.is_set():
                try:
                    result = work.get_nowait()
                except queue.Empty:
                    return
                self._upload_one(result)
        finally:
            finished.set()

    def _upload_one(self, result: FileResult) -> None:
        if self._stop.is_set():
            return
        self.emit(Started(result.dist))
        try:
            self._attempt_until_done(result)
        except _Cancelled:
            result.outcome = INTERRUPTED
        except TPublishError as exc:
            result.outcome, result.error = FAILED, exc
            self._stop.set()
        except Exception as exc:  # noqa: BLE001  (a bug: reported with the file, not lost in a thread)
            result.outcome, result.error = FAILED, internal_error(exc)
            self._stop.set()
        self.emit(Finished(result))

    def _attempt_until_done(self, result: FileResult) -> None:
        dist = result.dist
        if self.options.skip_existing and self._skip_known(result):
            return
        response_lost = False
        while True:
            result.attempts += 1
            try:
                sent = self.index.upload(
                    dist,
                    self.credentials.current(),
                    extra_fields=self.options.extra_fields(dist),
                    on_chunk=lambda n: self._sent(dist, n),
                )
            except CredentialError as exc:
                raise self.credentials.explain_refusal(exc) from exc
            except RetryableError as exc:
                if result.attempts > self.options.retries:
                    raise
                # The index may have stored the file before the answer was lost.
                response_lost = True
                self._wait_before_retry(dist, result.attempts, exc)
                continue
            result.digests = sent.digests or hash_file(dist.path)
            if sent.stored:
                result.outcome = UPLOADED
                return
            self._settle_existing(result, sent.message, response_lost)
            return

    def _sent(self, dist: Distribution, nbytes: int) -> None:
        if self._stop.is_set():
            raise _Cancelled
        self.emit(Sending(dist, nbytes))

    def _wait_before_retry(self, dist: Distribution, attempt: int, exc: RetryableError) -> None:
        delay = exc.retry_after
        if delay is not None and delay > MAX_RETRY_AFTER:
            # Honouring "come back tomorrow" would hang a release; say so instead.
            raise RetryableError(f"{exc.message} (the index asks to wait {delay:.0f} s)")
        if delay is None:
            ceiling = min(self.options.max_backoff, self.options.backoff * 2 ** (attempt - 1))
            delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311  (jitter, not crypto)
        if self._stop.is_set():
            raise _Cancelled  # no "retrying" line when nothing will be retried
        self.emit(Retrying(dist, attempt, delay, exc.message))
        if self._sleep.wait(delay) or self._stop.is_set():
            raise _Cancelled

    def _skip_known(self, result: FileResult) -> bool:
        """With --skip-existing on PyPI, ask its JSON API first and spare the upload."""
        from tpublish.index.upload import pypi_web_base

        if pypi_web_base(self.index.upload_url) is None:
            return False
        remote = self.index.find(result.dist, None)
        if remote is None:
            return False
        result.digests = hash_file(result.dist.path)
        self._settle_existing(result, "", response_lost=False)
        return True

    def _settle_existing(self, result: FileResult, message: str, response_lost: bool) -> None:
        """The index has a file of this name: decide by content whether that is ours."""
        assert result.digests is not None
        same = self._same_content(result)
        if same is False:
            raise UploadError(
                f"a different file named {result.dist.filename} is already on the index",
                hint="an index never lets a file name be reused: build a new version",
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
        if self.options.skip_existing:
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
            hint="use --skip-existing to skip files that are already there",
            path=result.dist.path,
        )

    def _same_content(self, result: FileResult) -> bool | None:
        """True/False when the index shows the file's sha256 (or lets us fetch it), None otherwise."""
        credential = self.credentials.current()
        remote: RemoteFile | None = self.index.find(result.dist, credential)
        if remote is None:
            return None
        assert result.digests is not None
        remote_sha = remote.sha256
        if remote_sha is None:
            fetched = self.index.download_digests(remote, credential)
            remote_sha = fetched.sha256 if fetched else None
        if remote_sha is None:
            return None
        return remote_sha.lower() == result.digests.sha256


def internal_error(exc: Exception) -> TPublishError:
    """An unexpected exception as an error a user can report (``__cause__`` keeps the traceback)."""
    error = TPublishError(
        f"internal error: {type(exc).__name__}: {exc}",
        hint="this is a bug in tpublish; run again with --debug and report the traceback",
    )
    error.__cause__ = exc
    return error
