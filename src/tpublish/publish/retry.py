"""When to try an upload again, and how long to wait first.

Exponential backoff with jitter, or the index's own ``Retry-After`` when it gives one; a wait
longer than ``MAX_RETRY_AFTER`` fails the file instead of hanging the release. Waits can be cut
short (Ctrl-C, or another file's failure) through ``cancel``.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from tpublish.index.upload import RetryableError

MAX_RETRY_AFTER = 300.0  # seconds: a longer Retry-After fails the file instead of waiting


class Cancelled(Exception):
    """The release is stopping: abandon this file (raised in an upload's thread)."""


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 4
    backoff: float = 1.0  # seconds before the first retry; doubles each time, with jitter
    max_backoff: float = 60.0

    def delay(self, attempt: int, exc: RetryableError) -> float:
        """Seconds to wait after failed ``attempt`` (1-based); raises when the wait is unreasonable."""
        delay = exc.retry_after
        if delay is not None and delay > MAX_RETRY_AFTER:
            # Honouring "come back tomorrow" would hang a release; say so instead.
            raise RetryableError(f"{exc.message} (the index asks to wait {delay:.0f} s)")
        if delay is None:
            ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
            delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311  (jitter, not crypto)
        return delay

    def may_retry(self, attempts: int) -> bool:
        return attempts <= self.retries


class Pause:
    """A wait between two tries that ``cancel`` ends at once, for every thread waiting."""

    def __init__(self) -> None:
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``; raise ``Cancelled`` if the release is stopping."""
        if self._cancelled.wait(seconds):
            raise Cancelled
