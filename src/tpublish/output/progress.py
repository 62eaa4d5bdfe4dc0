"""Progress on a terminal: one bar for the whole release and one for each file in flight.

Only the files being sent have a bar, so a redraw costs the same for 3 files or 300; and
nothing is printed per file, since each line printed above a live display redraws it.

Every line is laid out for the terminal's width (``layout.fit_progress``): the name is shortened
in the middle, figure columns are dropped whole, nothing wraps. A file whose last byte is out
says it is waiting for the index; when the release ends, the bars give way to one line that
says what the summary table says (``finish``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from rich.progress import Progress, Task
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from tpublish.output.layout import (
    cells,
    first_fitting,
    fit_progress,
    shared_affixes,
    shorten_name,
)
from tpublish.output.text import outcome_counts
from tpublish.publish.report import ON_INDEX, Finished, Retrying, Sending, Started
from tpublish.units import human_part, human_speed
from tpublish.untrusted import printable

if TYPE_CHECKING:
    from rich.console import Console as RichConsole
    from rich.console import RenderableType

    from tpublish.dists.distribution import Distribution
    from tpublish.publish.report import Event, Report

WAITING = ("sent; waiting for the index", "waiting for the index", "waiting", "…")


class _Bars(Progress):
    """rich's Progress, drawn by our layout instead of its column table."""

    final: Text | None = None
    shared: tuple[int, int] = (0, 0)  # what every file name of the release starts and ends with

    def get_renderables(self) -> Iterable[RenderableType]:
        if not hasattr(self, "live"):  # rich asks once while the display is being built
            return
        width = self.console.width
        if self.final is not None:
            yield self.final
            return
        tasks = [task for task in self.tasks if task.visible]
        if not tasks:
            return
        names = max(cells(str(task.description)) for task in tasks)
        parts = max(cells(human_part(task.total or 0, task.total or 0)) for task in tasks)
        layout = fit_progress(width, names, parts)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=layout.name, no_wrap=True)
        if layout.bar:
            grid.add_column(width=layout.bar, no_wrap=True)
        grid.add_column(width=layout.figures_width, no_wrap=True, justify="right")
        for task in tasks:
            name = str(task.description)
            shared = self.shared if task.fields.get("file") else (0, 0)
            # Text, not str: a name is never read as rich markup.
            row: list[RenderableType] = [Text(shorten_name(name, layout.name, shared))]
            if layout.bar:
                row.append(
                    ProgressBar(
                        total=task.total,
                        completed=task.completed,
                        width=layout.bar,
                        pulse=not task.started,
                        animation_time=task.get_time(),
                    )
                )
            row.append(_figures(task, layout.figures, layout.figures_width))
            grid.add_row(*row)
        yield grid


def _figures(task: Task, figures: Sequence[tuple[str, int]], width: int) -> str:
    total = task.total or 0
    if task.fields.get("waiting"):
        return first_fitting(WAITING, width)
    texts = {
        "part": lambda: human_part(task.completed, total),
        "speed": lambda: human_speed(task.speed) if task.speed else "",
        "eta": lambda: _eta(task.time_remaining),
    }
    return " ".join(texts[kind]().rjust(column) for kind, column in figures)


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    return str(timedelta(seconds=int(seconds)))


@contextmanager
def progress_bars(console: RichConsole, dists: Sequence[Distribution]) -> Iterator[ProgressEvents]:
    """Live bars on ``console`` while the block runs; yields the event handler."""
    bars = _Bars(console=console, refresh_per_second=8, transient=False)  # timed redraws
    events = ProgressEvents(bars, dists)
    with bars:
        yield events


class ProgressEvents:
    """Turns upload events into bar updates; ``finish`` ends the display with the outcomes."""

    def __init__(self, bars: _Bars, dists: Sequence[Distribution]) -> None:
        self.bars = bars
        self.count, self.done = len(dists), 0
        self.size = sum(d.size for d in dists)
        self.total = bars.add_task(self._counted(), total=self.size)
        # Every task is made now, hidden: rich redraws on each add_task, not on an update.
        names = [printable(d.filename) for d in dists]
        bars.shared = shared_affixes(names)
        self.tasks = {
            d.path: bars.add_task(name, total=d.size, start=False, visible=False, file=True)
            for d, name in zip(dists, names, strict=True)
        }
        self.sent: dict[Any, int] = {}
        self._lock = threading.Lock()  # events come from every upload thread

    def _counted(self) -> str:
        return f"{self.done}/{self.count} files done"

    def handle(self, event: Event) -> None:
        bars = self.bars
        with self._lock:
            if isinstance(event, Sending):
                path = event.dist.path
                self.sent[path] += event.nbytes
                bars.advance(self.tasks[path], event.nbytes)
                bars.advance(self.total, event.nbytes)
                if self.sent[path] >= event.dist.size:
                    bars.update(self.tasks[path], waiting=True)
                    self._total_waiting()
            elif isinstance(event, Started):
                bars.start_task(self.tasks[event.dist.path])
                bars.update(self.tasks[event.dist.path], visible=True, waiting=False)
                self.sent[event.dist.path] = 0
            elif isinstance(event, Retrying):
                path = event.dist.path
                bars.reset(self.tasks[path], start=True, waiting=False)
                bars.advance(self.total, -self.sent[path])  # it is sent again from the start
                self.sent[path] = 0
                bars.update(self.total, waiting=False)
            elif isinstance(event, Finished):
                path = event.result.dist.path
                bars.update(self.tasks[path], visible=False)
                self.done += 1
                # A file not sent in full (skipped, failed) is done all the same.
                remaining = event.result.dist.size - self.sent.pop(path, 0)
                bars.update(self.total, advance=remaining, description=self._counted())
                self._total_waiting()

    def _total_waiting(self) -> None:
        """The release bar waits for the index when every byte is out but files are not done."""
        waiting = bool(self.sent) and all(
            self.bars.tasks[self.tasks[path]].fields.get("waiting") for path in self.sent
        )
        all_out = self.bars.tasks[self.total].completed >= self.size
        self.bars.update(self.total, waiting=waiting and all_out)

    def finish(self, report: Report) -> None:
        """Replace the bars by one line that agrees with the summary: no speed, no time left."""
        with self._lock:
            on_index = sum(r.dist.size for r in report.results if r.outcome in ON_INDEX)
            self.bars.final = final_line(report, on_index, self.size, self.bars.console.width)
            self.bars.refresh()


def final_line(report: Report, on_index: int, size: int, width: int) -> Text:
    """``interrupted: 1 uploaded, 1 interrupted, 4 not attempted ━━━╸──── 1.2/6.0 MiB``."""
    state = "interrupted" if report.interrupted else "done" if report.complete else "stopped"
    files = len(report.results)
    on = sum(1 for r in report.results if r.outcome in ON_INDEX)
    part = human_part(on_index, size)
    status = first_fitting(
        [
            f"{state}: {outcome_counts(report)}",
            f"{state}: {on}/{files} files on the index",
            f"{state}: {on}/{files}",
        ],
        max(1, width - cells(part) - 1),
    )
    bar_width = min(40, width - cells(status) - cells(part) - 2)
    style = "green" if report.complete else "red"
    line = Text(status, style=style)
    if bar_width >= 5:
        bar = "━" * round(bar_width * on_index / max(1, size))
        line.append(" ")
        line.append(bar, style=style)
        line.append("─" * (bar_width - len(bar)), style="grey23")
    line.append(f" {part}")
    return line
