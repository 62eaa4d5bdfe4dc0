"""Everything a user sees: progress, log lines, the summary table, ``--json``, error rendering.

Results go to stdout (the table, or the JSON document); diagnostics, progress and errors go to
stderr. Every string passes through ``redact`` on its way out.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tpublish.redact import redact

if TYPE_CHECKING:
    from rich.console import Console as RichConsole
    from rich.progress import Progress

    from tpublish.dists.distribution import Distribution
    from tpublish.errors import TPublishError
    from tpublish.publish.publisher import Emit, Event, FileResult, Report


def human_size(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


class Console:
    """The two output streams of one command run, and how much to say on them."""

    def __init__(
        self, *, json_mode: bool = False, progress: bool = True, verbose: bool = False
    ) -> None:
        from rich.console import Console as RichConsole

        self.json_mode = json_mode
        self.verbose_mode = verbose
        self.err: RichConsole = RichConsole(stderr=True, highlight=False, soft_wrap=True)
        self.out: RichConsole = RichConsole(highlight=False, soft_wrap=True)
        if not self.out.is_terminal and "COLUMNS" not in os.environ:
            # Logs have no width limit: never cut a file name or digest short.
            self.out.width = 200
        self.show_progress = progress and not json_mode and self.err.is_terminal
        from tpublish.output import ci

        self.ci_log = None if json_mode else ci.log_style()  # fold each file's lines in a CI log
        self.show_progress = self.show_progress and self.ci_log is None
        self._lock = threading.Lock()

    # Diagnostics (stderr) ---------------------------------------------------------------------
    def _say(self, text: str, style: str | None = None) -> None:
        if not self.err.is_terminal:  # a log: no styles to render, so no need for rich's layout
            from rich.control import strip_control_codes  # as rich's own print would

            self._write_raw(strip_control_codes(text) + "\n")
            return
        from rich.text import Text

        with self._lock:
            self.err.print(Text(redact(text), style=style or ""))

    def info(self, text: str) -> None:
        if not self.json_mode:
            self._say(text)

    def verbose(self, text: str) -> None:
        if self.verbose_mode:
            self._say(text, "dim")

    def warning(self, text: str) -> None:
        self._say(f"warning: {text}", "yellow")

    def error(self, exc: TPublishError) -> None:
        self._say(f"error: {exc}", "bold red")
        for line in exc.details:
            self._say(f"  {line}")
        if exc.hint:
            self._say(f"hint: {exc.hint}", "cyan")

    # Upload progress --------------------------------------------------------------------------
    @contextmanager
    def uploading(self, dists: Sequence[Distribution]) -> Iterator[Emit]:
        """Yield the event callback for ``Publisher``: a live bar per file on a TTY, else log lines."""
        if self.ci_log is not None:
            from tpublish.output.ci import FoldedUploadLog

            yield FoldedUploadLog(self.ci_log, self._write_raw).handle
            return
        if not self.show_progress:
            yield self._plain_event
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.err,
            refresh_per_second=8,  # redraws are timed, not per chunk
            transient=False,
        )
        events = _ProgressEvents(progress, dists)
        with progress:
            yield events.handle

    def _plain_event(self, event: Event) -> None:
        from tpublish.publish.publisher import Finished, Retrying, Started

        if isinstance(event, Started):
            self.verbose(f"uploading {event.dist.filename} ({human_size(event.dist.size)})")
        elif isinstance(event, Retrying):
            self.warning(retry_line(event))
        elif isinstance(event, Finished) and not self.json_mode:
            self._say(result_line(event.result))

    def _write_raw(self, text: str) -> None:
        """Write to stderr as is: CI markers carry control characters rich would strip."""
        with self._lock:
            self.err.file.write(redact(text))
            self.err.file.flush()

    # Results (stdout) -------------------------------------------------------------------------
    def result(self, text: str) -> None:
        """One line of a command's result on stdout."""
        from rich.text import Text

        with self._lock:
            self.out.print(Text(redact(text)))

    def summary(self, report: Report) -> None:
        if self.json_mode:
            self.emit_json(report_document(report))
            return
        title = f"Release upload to {report.upload_url}"
        rows = [
            (
                result.dist.filename,
                redact(result.outcome + (f" ({result.note})" if result.note else "")),
                human_size(result.dist.size),
                result.digests.sha256 if result.digests else "",
            )
            for result in report.results
        ]
        with self._lock:
            if self.out.is_terminal:
                self.out.print(_rich_table(title, rows))
            else:
                # Logs and pipes get plain columns: no box drawing to garble, one grep-able line
                # per file, and none of a rich table's layout cost on a long release.
                self.out.file.write(redact(plain_table(title, rows)))
            for url in report.release_urls:
                self.out.print(f"View at: {url}")

    def emit_json(self, document: dict[str, Any]) -> None:
        text = redact(json.dumps(document, indent=2, sort_keys=False))
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


_SUMMARY_COLUMNS = ("file", "outcome", "size", "sha256")


def _rich_table(title: str, rows: Sequence[tuple[str, str, str, str]]) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in _SUMMARY_COLUMNS:
        table.add_column(column, no_wrap=column != "file")
    for row in rows:
        table.add_row(*row)
    return table


def plain_table(title: str, rows: Sequence[tuple[str, str, str, str]]) -> str:
    """The summary as text columns: a title line, a header line, then one line per file."""
    lines = [_SUMMARY_COLUMNS, *rows]
    widths = [max(len(line[column]) for line in lines) for column in range(3)]
    body = (
        "  ".join([*(line[column].ljust(widths[column]) for column in range(3)), line[3]])
        for line in lines
    )
    return "\n".join([title, *(text.rstrip() for text in body)]) + "\n"


class _ProgressEvents:
    """A bar for the whole release and one for each file in flight; the table tells the rest.

    Only the files being sent have a bar, so a redraw costs the same for 3 files or 300; and
    nothing is printed per file, since each line printed above a live display redraws it.
    """

    def __init__(self, progress: Progress, dists: Sequence[Distribution]) -> None:
        self.progress = progress
        self.count, self.done = len(dists), 0
        self.total = progress.add_task(self._counted(), total=sum(d.size for d in dists))
        # Every task is made now, hidden: rich redraws on each add_task, not on an update.
        self.tasks = {
            d.path: progress.add_task(d.filename, total=d.size, start=False, visible=False)
            for d in dists
        }
        self.sent: dict[Any, int] = {}
        self._lock = threading.Lock()  # events come from every upload thread

    def _counted(self) -> str:
        return f"{self.done}/{self.count} file(s) done"

    def handle(self, event: Event) -> None:
        from tpublish.publish.publisher import Finished, Retrying, Sending, Started

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
                progress.console.print(redact(f"warning: {retry_line(event)}"), style="yellow")
            elif isinstance(event, Finished):
                path = event.result.dist.path
                progress.update(self.tasks[path], visible=False)
                self.done += 1
                # A file not sent in full (skipped, failed) is done all the same.
                remaining = event.result.dist.size - self.sent.pop(path, 0)
                progress.update(self.total, advance=remaining, description=self._counted())


def retry_line(event: Any) -> str:
    return (
        f"{event.dist.filename}: attempt {event.attempt} failed ({event.reason}); "
        f"retrying in {event.delay:.1f} s"
    )


def result_line(result: FileResult) -> str:
    text = f"{result.outcome:<9} {result.dist.filename} ({human_size(result.dist.size)})"
    if result.note:
        text += f" - {result.note}"
    return text


def error_document(exc: TPublishError) -> dict[str, Any]:
    return {
        "type": type(exc).__name__,
        "message": exc.message,
        "hint": exc.hint,
        "file": str(exc.path) if exc.path else None,
        "exit_code": exc.exit_code,
    }


def report_document(report: Report) -> dict[str, Any]:
    return {
        "repository_url": report.upload_url,
        "exit_code": report.exit_code,
        "interrupted": report.interrupted,
        "files": [file_document(r) for r in report.results],
        "release_urls": report.release_urls,
        "timestamp": int(time.time()),
    }


def file_document(result: FileResult) -> dict[str, Any]:
    dist = result.dist
    return {
        "filename": dist.filename,
        "path": str(dist.path),
        "name": dist.name,
        "version": dist.version,
        "filetype": dist.filetype,
        "size": dist.size,
        "sha256": result.digests.sha256 if result.digests else None,
        "blake2_256": result.digests.blake2_256 if result.digests else None,
        "outcome": result.outcome,
        "note": result.note or None,
        "attempts": result.attempts,
        "error": error_document(result.error) if result.error else None,
    }
