"""Run one batch of uploads on a bounded number of threads, stoppable by Ctrl-C.

Daemon threads, not a ``ThreadPoolExecutor``: after Ctrl-C an upload blocked on a silent index
must not hold the process (the executor's threads are joined at exit) until its read timeout
ends it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

CANCEL_GRACE = 1.0  # seconds cancelled uploads get to stop before the report is made

T = TypeVar("T")


class BatchRunner(Generic[T]):
    """Calls ``work(item)`` for each item on up to ``concurrency`` threads, until ``stopped()``."""

    def __init__(
        self, work: Callable[[T], None], concurrency: int, stopped: Callable[[], bool]
    ) -> None:
        self.work = work
        self.concurrency = max(1, concurrency)
        self.stopped = stopped

    def run(self, batch: Sequence[T], on_interrupt: Callable[[], None]) -> None:
        """Work through ``batch``; on Ctrl-C call ``on_interrupt``, let uploads stop, re-raise."""
        items: queue.SimpleQueue[T] = queue.SimpleQueue()
        for item in batch:
            items.put(item)
        done = [threading.Event() for _ in range(min(len(batch), self.concurrency))]
        for n, finished in enumerate(done):
            threading.Thread(
                target=self._drain, args=(items, finished), daemon=True, name=f"upload-{n}"
            ).start()
        try:
            for finished in done:
                # A timeout keeps the main thread responsive to Ctrl-C.
                while not finished.wait(0.2):
                    pass
        except KeyboardInterrupt:
            on_interrupt()
            _let_finish(done)
            raise

    def _drain(self, items: queue.SimpleQueue[T], finished: threading.Event) -> None:
        try:
            while not self.stopped():
                try:
                    item = items.get_nowait()
                except queue.Empty:
                    return
                self.work(item)
        finally:
            finished.set()


def _let_finish(done: list[threading.Event]) -> None:
    """Give cancelled uploads a moment to stop cleanly (a second Ctrl-C stops waiting)."""
    deadline = time.monotonic() + CANCEL_GRACE
    try:
        for finished in done:
            finished.wait(max(0.0, deadline - time.monotonic()))
    except KeyboardInterrupt:
        pass
