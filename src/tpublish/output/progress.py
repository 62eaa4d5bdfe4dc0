"""Progress on a terminal: one bar for the whole release and one for each file in flight.

Only the files being sent have a bar, so a redraw costs the same for 3 files or 300; and
nothing is printed per file, since each line printed above a live display redraws it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.text import Text

from tpublish.output.text import retry_line
from tpublish.publish.report import Finished, Retrying, Sending, Started
from tpublish.redact import redact
from tpublish.untrusted import neutralise

if TYPE_CHECKING:
    from rich.console import Console as RichConsole
    from rich.progress import Progress

    from tpublish.dists.distribution import Distribution
    from tpublish.publish.report import Emit, Event


@contextmanager
def progress_bars(console: RichConsole, dists: Sequence[Distribution]) -> Iterator[Emit]:
    """Live bars on ``console`` while the block runs; yields the event callback."""
    # Only when the console shows bars: rich.progress is a costly import.
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    progress = Progress(
        TextColumn("{task.description}", markup=False),  # file names are not rich markup
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        refresh_per_second=8,  # redraws are timed, not per chunk
        transient=False,
    )
    events = _ProgressEvents(progress, dists)
    with progress:
        yield events.handle


class _ProgressEvents:
    """Turns upload events into bar updates."""

    def __init__(self, progress: Progress, dists: Sequence[Distribution]) -> None:
        self.progress = progress
        self.count, self.done = len(dists), 0
        self.total = progress.add_task(self._counted(), total=sum(d.size for d in dists))
        # Every task is made now, hidden: rich redraws on each add_task, not on an update.
        self.tasks = {
            d.path: progress.add_task(
                neutralise(d.filename), total=d.size, start=False, visible=False
            )
            for d in dists
        }
        self.sent: dict[Any, int] = {}
        self._lock = threading.Lock()  # events come from every upload thread

    def _counted(self) -> str:
        return f"{self.done}/{self.count} file(s) done"

    def handle(self, event: Event) -> None:
        progress = self.progress
        with self._lock:
            if isinstance(event, Sending):
                progress.advance(self.tasks[event.dist.path], event.nbytes)
                progress.advance(self.total, event.nbytes)
                self.sent[event.dist.path] += event.nbytes
            elif isinstance(event, Started):
                progress.start_task(self.tasks[event.dist.path])
                progress.update(self.tasks[event.dist.path], visible=True)
                self.sent[event.dist.path] = 0
            elif isinstance(event, Retrying):
                path = event.dist.path
                progress.reset(self.tasks[path], start=True)
                progress.advance(self.total, -self.sent[path])  # it is sent again from the start
                self.sent[path] = 0
                line = neutralise(redact(f"warning: {retry_line(event)}"))
                progress.console.print(Text(line, style="yellow"))
            elif isinstance(event, Finished):
                path = event.result.dist.path
                progress.update(self.tasks[path], visible=False)
                self.done += 1
                # A file not sent in full (skipped, failed) is done all the same.
                remaining = event.result.dist.size - self.sent.pop(path, 0)
                progress.update(self.total, advance=remaining, description=self._counted())
