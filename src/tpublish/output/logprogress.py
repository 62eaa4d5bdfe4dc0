"""Progress in a log (a pipe, a file, a CI job): a line when a file starts, and a heartbeat.

A log cannot redraw a bar, and a slow link can take minutes over one file; without a word in
between, a person reading the log cannot tell a slow upload from a hung one. So a file in flight
gets a line at least every ``HEARTBEAT`` seconds: how much is sent, or that every byte is out
and the index is still processing the file.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tpublish.output.text import start_line
from tpublish.publish.report import Finished, Retrying, Sending, Started
from tpublish.units import human_part, human_size
from tpublish.untrusted import printable

if TYPE_CHECKING:
    from tpublish.dists.distribution import Distribution
    from tpublish.publish.report import Emit, Event, Report

HEARTBEAT = 15.0  # seconds a file in flight may go without a line about it


@dataclass
class _InFlight:
    dist: Distribution
    started: float
    said: float
    sent: int = 0
    all_sent: float | None = None  # when the last byte went out


class LogProgress:
    """Turns upload events into log lines; ``tick`` says what the silent files are doing."""

    def __init__(
        self,
        say: Callable[[str], None],
        passed_on: Emit,
        *,
        start_lines: bool = True,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: float = HEARTBEAT,
    ) -> None:
        self.say, self.passed_on = say, passed_on
        self.start_lines, self.clock, self.heartbeat = start_lines, clock, heartbeat
        self._flight: dict[object, _InFlight] = {}
        self._lock = threading.Lock()  # events come from every upload thread

    def handle(self, event: Event) -> None:
        lines: list[str] = []
        with self._lock:
            now = self.clock()
            if isinstance(event, Started):
                self._flight[event.dist.path] = _InFlight(event.dist, now, now)
                if self.start_lines:
                    lines.append(start_line(event.dist.filename, event.dist.size))
            elif isinstance(event, Sending):
                flight = self._flight.get(event.dist.path)
                if flight is not None:
                    flight.sent += event.nbytes
                    if flight.sent >= flight.dist.size and flight.all_sent is None:
                        flight.all_sent = now
                    lines += self._due([flight], now)
            elif isinstance(event, Retrying):
                flight = self._flight.get(event.dist.path)
                if flight is not None:
                    flight.sent, flight.said, flight.all_sent = (
                        0,
                        now,
                        None,
                    )  # the retry line speaks for it
            elif isinstance(event, Finished):
                self._flight.pop(event.result.dist.path, None)
        for line in lines:
            self.say(line)
        if not isinstance(event, Sending):  # the rest is said by whoever writes the log
            self.passed_on(event)

    def finish(self, report: Report) -> None:
        """Nothing to end in a log: each file's line is already written."""

    def tick(self) -> None:
        """A line for each file in flight that has gone ``heartbeat`` seconds without one."""
        with self._lock:
            lines = self._due(list(self._flight.values()), self.clock())
        for line in lines:
            self.say(line)

    def _due(self, flights: list[_InFlight], now: float) -> list[str]:
        lines = []
        for flight in flights:
            if now - flight.said >= self.heartbeat:
                flight.said = now
                lines.append(heartbeat_line(flight, now))
        return lines


def heartbeat_line(flight: _InFlight, now: float) -> str:
    dist = flight.dist
    name = printable(dist.filename)
    if flight.all_sent is not None:
        return (
            f"{name}: all {human_size(dist.size)} sent; waiting for the index"
            f" ({now - flight.all_sent:.0f} s so far)"
        )
    percent = 100 * flight.sent // max(1, dist.size)
    return (
        f"{name}: {human_part(flight.sent, dist.size)} sent ({percent}%)"
        f" in {now - flight.started:.0f} s"
    )


@contextmanager
def ticking(tick: Callable[[], None], every: float = 1.0) -> Iterator[None]:
    """Call ``tick`` every ``every`` seconds on a daemon thread while the block runs."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            tick()

    thread = threading.Thread(target=run, name="tpublish-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(every + 1)
