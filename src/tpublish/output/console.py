"""The two output streams of a command run: diagnostics on stderr, the result on stdout.

Every string passes through ``redact`` on its way out. In a terminal, rich renders styles; in a
log, lines are written plain (rich's layout costs time and adds nothing there).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console as RichConsole
from rich.control import strip_control_codes
from rich.text import Text

from tpublish.output import ci
from tpublish.output.summary import plain_table, report_document, rich_table, summary_rows
from tpublish.output.text import human_size, result_line, retry_line
from tpublish.publish.report import Finished, Retrying, Started
from tpublish.redact import redact

if TYPE_CHECKING:
    from tpublish.dists.distribution import Distribution
    from tpublish.errors import TPublishError
    from tpublish.publish.report import Emit, Event, Report


class Console:
    """The two output streams of one command run, and how much to say on them."""

    def __init__(
        self, *, json_mode: bool = False, progress: bool = True, verbose: bool = False
    ) -> None:
        self.json_mode = json_mode
        self.verbose_mode = verbose
        self.err: RichConsole = RichConsole(stderr=True, highlight=False, soft_wrap=True)
        self.out: RichConsole = RichConsole(highlight=False, soft_wrap=True)
        if not self.out.is_terminal and "COLUMNS" not in os.environ:
            # Logs have no width limit: never cut a file name or digest short.
            self.out.width = 200
        self.ci_log = None if json_mode else ci.log_style()  # fold each file's lines in a CI log
        self.show_progress = (
            progress and not json_mode and self.err.is_terminal and self.ci_log is None
        )
        self._lock = threading.Lock()

    # Diagnostics (stderr) ---------------------------------------------------------------------
    def _say(self, text: str, style: str | None = None) -> None:
        if not self.err.is_terminal:  # a log: no styles to render, so no need for rich's layout
            self.write_raw(strip_control_codes(text) + "\n")
            return
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

    def note(self, text: str) -> None:
        """Advice worth one line even in ``--json`` mode (stderr is for people)."""
        self._say(f"note: {text}", "cyan")

    def error(self, exc: TPublishError) -> None:
        self._say(f"error: {exc}", "bold red")
        for line in exc.details:
            self._say(f"  {line}")
        if exc.hint:
            self._say(f"hint: {exc.hint}", "cyan")

    def mask(self, secret: str) -> None:
        """Hide ``secret`` in a GitHub Actions log (``::add-mask::``), before anything echoes it."""
        # In --json mode stdout is the report; the runner reads workflow commands on stderr too.
        ci.mask(secret, sys.stderr if self.json_mode else sys.stdout)

    def misconfiguration(self, text: str) -> None:
        """A warning about the CI workflow; in GitHub Actions an annotation and the job summary."""
        self.warning(text)
        stream = sys.stderr if self.json_mode else None  # stdout is the --json document
        ci.annotate("warning", f"Potential workflow misconfiguration: {text}", stream=stream)
        ci.append_step_summary(f"## Potential workflow misconfiguration\n\n{text}")

    def write_raw(self, text: str) -> None:
        """Write to stderr as is: CI markers carry control characters rich would strip."""
        with self._lock:
            self.err.file.write(redact(text))
            self.err.file.flush()

    # Upload progress --------------------------------------------------------------------------
    @contextmanager
    def uploading(self, dists: Sequence[Distribution]) -> Iterator[Emit]:
        """Yield the event callback for ``Publisher``: live bars on a TTY, else log lines."""
        if self.ci_log is not None:
            yield ci.FoldedUploadLog(self.ci_log, self.write_raw).handle
            return
        if not self.show_progress:
            yield self._plain_event
            return
        from tpublish.output.progress import (
            progress_bars,  # rich's live display: only on a terminal
        )

        with progress_bars(self.err, dists) as handle:
            yield handle

    def _plain_event(self, event: Event) -> None:
        if isinstance(event, Started):
            self.verbose(f"uploading {event.dist.filename} ({human_size(event.dist.size)})")
        elif isinstance(event, Retrying):
            self.warning(retry_line(event))
        elif isinstance(event, Finished) and not self.json_mode:
            self._say(result_line(event.result))

    # Results (stdout) -------------------------------------------------------------------------
    def result(self, text: str) -> None:
        """One line of a command's result on stdout."""
        with self._lock:
            self.out.print(Text(redact(text)))

    def summary(self, report: Report) -> None:
        if self.json_mode:
            self.emit_json(report_document(report))
            return
        title = f"Release upload to {report.upload_url}"
        rows = summary_rows(report)
        with self._lock:
            if self.out.is_terminal:
                self.out.print(rich_table(title, rows))
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
