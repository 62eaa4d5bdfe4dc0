"""When to send a request again, and how long to wait first: one policy for uploads and for the
trusted-publishing calls (audience, CI token, mint).

Exponential backoff with jitter, or the server's own ``Retry-After`` (delay-seconds or an HTTP
date; anything else, such as ``soon``, means the usual backoff). A wait longer than
``MAX_RETRY_AFTER`` gives up at once instead of hanging the release, and so does a wait that would
take the time spent waiting on one request past ``max_wait``.
"""

from __future__ import annotations

import email.utils
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timezone
from typing import TypeVar

from tpublish.errors import TPublishError

MAX_RETRY_AFTER = 300.0  # seconds: a longer Retry-After fails instead of waiting
MAX_TOTAL_WAIT = 300.0  # seconds spent waiting between the tries of one request, at most

_SECONDS = re.compile(r"\s*(\d+(?:\.\d+)?)\s*")
T = TypeVar("T")


class GiveUp(Exception):
    """Another try would mean waiting too long; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` value asks for (0 for a date past), or None when it says nothing."""
    if not value:
        return None
    seconds = _SECONDS.fullmatch(value)
    if seconds is not None:
        return float(seconds.group(1))  # huge: inf, more than anyone waits
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC without saying so
        when = when.replace(tzinfo=timezone.utc)
    try:
        delay = when.timestamp() - (time.time() if now is None else now)
    except (OverflowError, OSError, ValueError):
        return None
    return max(0.0, delay) if math.isfinite(delay) else None


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 4
    backoff: float = 1.0  # seconds before the first retry; doubles each time, with jitter
    max_backoff: float = 60.0
    max_wait: float = MAX_TOTAL_WAIT

    def wait(self, attempt: int, retry_after: float | None, waited: float = 0.0) -> float:
        """Seconds to wait after failed ``attempt`` (1-based), ``waited`` seconds waited so far.

        Raises ``GiveUp`` when the index asks for an unreasonable wait, or the total would grow
        past ``max_wait``.
        """
        if retry_after is not None and retry_after > MAX_RETRY_AFTER:
            raise GiveUp(f"the index asks to wait {retry_after:.0f} s")
        delay = retry_after
        if delay is None:
            ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
            delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311  (jitter, not crypto)
        if waited + delay > self.max_wait:
            raise GiveUp(f"gave up after waiting {waited:.0f} s in all for this request")
        return delay

    def next_wait(self, tries: int, error: Exception, waited: float) -> float | None:
        """Seconds to wait before another try after ``tries`` tries, the last failing with
        ``error`` (its ``retry_after``, if any, is the index's wish), ``waited`` seconds waited
        so far; None when there is to be no other try.

        When the reason is that waiting would take too long, a ``TPublishError`` says so in its
        message (the retry loop then raises it as the failure).
        """
        if tries > self.retries:
            return None
        try:
            return self.wait(tries, getattr(error, "retry_after", None), waited)
        except GiveUp as give_up:
            if isinstance(error, TPublishError):
                error.message = f"{error.message} ({give_up.reason})"
                error.args = (error.message,)
            return None

    def call(
        self,
        attempt: Callable[[], T],
        *,
        transient: tuple[type[Exception], ...],
        sleep: Callable[[float], None] = time.sleep,
    ) -> T:
        """``attempt()`` until it returns or fails otherwise than ``transient``, waiting between.

        A transient exception may carry ``retry_after`` (seconds). When the tries run out, the
        last one's exception is raised; when waiting would take too long, it is raised too, its
        message saying why no more tries were made.
        """
        waited, tries = 0.0, 0
        while True:
            tries += 1
            try:
                return attempt()
            except transient as exc:
                delay = self.next_wait(tries, exc, waited)
                if delay is None:
                    raise  # the transient failure itself
                sleep(delay)
                waited += delay
