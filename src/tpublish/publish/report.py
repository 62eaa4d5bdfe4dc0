"""What a release reports: each file's outcome, and the events the console follows live.

Plain data, no behaviour beyond the exit code: ``output`` renders it, ``publisher`` fills it in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tpublish.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_UPLOAD, InternalError, TPublishError

if TYPE_CHECKING:
    from tpublish.dists.distribution import Distribution
    from tpublish.index.multipart import Digests

UPLOADED, SKIPPED, FAILED, NOT_ATTEMPTED, INTERRUPTED = (
    "uploaded",
    "skipped",
    "failed",
    "not attempted",
    "interrupted",
)
# The index says it has a file of this name but offers no way to check that it is ours (no
# listing, no digests, download refused): neither a success nor a failure, and exit code 1.
UNCERTAIN = "uncertain"
# The outcomes that leave the file on the index; any other (failed, interrupted, not attempted,
# or one that cannot be confirmed) means the release is not all there.
ON_INDEX = (UPLOADED, SKIPPED)


@dataclass
class FileResult:
    dist: Distribution
    outcome: str = NOT_ATTEMPTED
    digests: Digests | None = None
    error: TPublishError | None = None
    note: str = ""
    attempts: int = 0
    attestations: list[str] = field(default_factory=list)  # names of those the index took with it
    details: tuple[str, ...] = ()  # more about the outcome (uncertain: what the index said)
    check_by_hand: str = ""  # for an uncertain outcome: how a person can find out


@dataclass
class Report:
    upload_url: str
    results: list[FileResult]
    interrupted: bool = False
    release_urls: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every file of the release is on the index, and the run was not interrupted."""
        return not self.interrupted and all(r.outcome in ON_INDEX for r in self.results)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        errors = [r.error for r in self.results if r.error is not None]
        if errors:
            return errors[0].exit_code
        return EXIT_OK if self.complete else EXIT_UPLOAD


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


def internal_error(exc: Exception) -> TPublishError:
    """An unexpected exception as an error a user can report (``__cause__`` keeps the traceback)."""
    error = InternalError(
        f"internal error: {type(exc).__name__}: {exc}",
        hint="this is a bug in tpublish; run again with --debug and report the traceback",
    )
    error.__cause__ = exc
    return error
