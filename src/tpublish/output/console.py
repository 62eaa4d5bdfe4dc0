"""The two output streams of a command run: diagnostics on stderr, the result on stdout.

Every string passes through ``text.safe`` (``redact``, then ``untrusted.neutralise``) on its way
out: no secret, no control sequence, no line a CI runner would obey, whichever path the text came
by (our own words pass unchanged). Only ``write_raw`` writes as is, for the CI markers
``output.ci`` builds around text it has made safe itself. In a terminal, rich renders styles and
wraps at the terminal's width; in a log, lines are written plain (rich's layout costs time and
adds nothing there, and rich is not even loaded when neither stream can be a terminal). A reader
that goes away (``| head``) ends the output, not the run (``streams``).

``--json``: stdout carries exactly one JSON document per run. A command stages it with
``emit_json`` (once: a second call is a bug), the error boundary merges an error into it, and
``close`` writes it, whatever happened in between.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from tpublish.output import ci
from tpublish.output.logprogress import LogProgress, ticking
from tpublish.output.streams import reader_gone, unless_gone, write
from tpublish.output.summary import (
    plain_table,
    release_links,
    report_document,
    rich_table,
    summary_rows,
)
from tpublish.output.text import (
    files_named,
    grouped,
    rerun_hint,
    result_line,
    retry_line,
    safe,
)
from tpublish.publish.report import Finished, Retrying
from tpublish.redact import redact
from tpublish.untrusted import neutralise

if TYPE_CHECKING:
    from rich.console import Console as RichConsole

    from tpublish.dists.distribution import Distribution
    from tpublish.errors import TPublishError
    from tpublish.publish.report import Event, FileResult, Report

# "##[" (a GitHub runner command anywhere in a line) and GitLab's section markers, in JSON.
_RUNNER_IN_JSON = re.compile(r"##\[|section_(?:start|end):")
_JSON_ESCAPES = {"[": "\\u005b", ":": "\\u003a"}


def _rich_console(*, stderr: bool) -> RichConsole:
    """rich's console for stdout or stderr, except that a closed pipe ends that stream's output,
    not the run (rich's own answer is to exit with code 1)."""
    from rich.console import Console as RichConsole  # only where a terminal may be (see below)

    class Rich(RichConsole):
        def on_broken_pipe(self) -> None:
            reader_gone(self.file)

    return Rich(stderr=stderr, highlight=False)


def _surely_a_log(stream: TextIO) -> bool:
    """Whether rich would certainly treat ``stream`` as no terminal, without loading rich (~20 ms).

    True only when it is no tty and nothing in the environment can make rich call it a terminal
    (``FORCE_COLOR``, ``TTY_COMPATIBLE``); in every other case rich itself is asked.
    """
    if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
        return False
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream: let rich decide
        return False


def _styled(text: str, style: str | None) -> Any:
    from rich.text import Text  # a terminal's console has loaded rich already

    return Text(text, style=style or "")


class Tracker(Protocol):
    """What follows a release while it runs: ``handle`` each event, ``finish`` with the report."""

    def handle(self, event: Event) -> None: ...

    def finish(self, report: Report) -> None: ...


class Console:
    """The two output streams of one command run, and how much to say on them."""

    def __init__(
        self, *, json_mode: bool = False, progress: bool = True, verbose: bool = False
    ) -> None:
        self.json_mode = json_mode
        self.verbose_mode = verbose
        # Where rich's console is needed (a terminal may be there), it is made now and decides.
        self.err_is_terminal = not _surely_a_log(sys.stderr) and self.err.is_terminal
        self.out_is_terminal = not _surely_a_log(sys.stdout) and self.out.is_terminal
        self.ci_log = None if json_mode else ci.log_style()  # fold each file's lines in a CI log
        self.show_progress = (
            progress and not json_mode and self.err_is_terminal and self.ci_log is None
        )
        self._lock = threading.Lock()
        self._document: dict[str, Any] | None = None
        self._closed = False

    @functools.cached_property
    def err(self) -> RichConsole:
        """rich's console on stderr, made on first use: a log never needs it."""
        console = _rich_console(stderr=True)
        console.soft_wrap = not console.is_terminal  # a terminal wraps at its width, a log never
        return console

    @functools.cached_property
    def out(self) -> RichConsole:
        """rich's console on stdout, made on first use: a log never needs it."""
        console = _rich_console(stderr=False)
        console.soft_wrap = not console.is_terminal
        if not console.is_terminal and "COLUMNS" not in os.environ:
            # Logs have no width limit: never cut a file name or digest short.
            console.width = 200
        return console

    def _line(self, text: str, style: str | None = None, *, stdout: bool = False) -> None:
        """One line, already safe, on stderr (or stdout). A terminal's goes through rich (styles,
        wrapped at its width); a log's is written as rich would write it there: the text as it
        is (no styles to render, no need for rich's layout)."""
        stream = sys.stdout if stdout else sys.stderr
        if self.out_is_terminal if stdout else self.err_is_terminal:
            with unless_gone(stream):
                (self.out if stdout else self.err).print(_styled(text, style))
        else:
            write(stream, text + "\n")

    # Diagnostics (stderr) ---------------------------------------------------------------------
    def _say(self, text: str, style: str | None = None) -> None:
        with self._lock:
            self._line(safe(text), style)

    def info(self, text: str) -> None:
        if not self.json_mode:
            self._say(text)

    def verbose(self, text: str) -> None:
        if self.verbose_mode:
            self._say(text, "dim")

    def warning(self, text: str) -> None:
        self._say(f"warning: {text}", "yellow")

    def file_warnings(self, findings: Sequence[tuple[str, str]]) -> None:
        """Warnings about files, each said once with the files it concerns."""
        for names, message in grouped(findings):
            self.warning(f"{files_named(names)}: {message}")

    def note(self, text: str) -> None:
        """Advice worth one line even in ``--json`` mode (stderr is for people)."""
        self._say(f"note: {text}", "cyan")

    def error(self, exc: TPublishError) -> None:
        self._say(f"error: {exc}", "bold red")
        for line in exc.details:
            self._say(f"  {line}")
        if exc.hint:
            self.hint(exc.hint)

    def hint(self, text: str) -> None:
        self._say(f"hint: {text}", "cyan")

    def traceback(self, exc: BaseException) -> None:
        """``--debug``: the traceback behind ``exc`` (an internal error's is its cause's)."""
        import traceback  # only for --debug

        self._say("".join(traceback.format_exception(exc)).rstrip("\n"), "dim")

    def uncertain(self, result: FileResult) -> None:
        """A file the index may or may not hold: why, and how a person can find out."""
        name = neutralise(result.dist.filename)
        self._say(f"uncertain: {name}: {result.note}", "yellow")
        for line in result.details:
            self._say(f"  {line}")
        self._say(f"  check by hand: {result.check_by_hand}")
        lines = [
            f"{name}: {result.note}",
            *result.details,
            f"check by hand: {result.check_by_hand}",
        ]
        ci.annotate("warning", "\n".join(lines), file=str(result.dist.path), stream=self.commands)

    @property
    def commands(self) -> TextIO:
        """Where workflow commands go: stdout, or stderr when stdout is the ``--json`` report
        (the runner reads commands on both)."""
        return sys.stderr if self.json_mode else sys.stdout

    def mask(self, secret: str) -> None:
        """Hide ``secret`` in a GitHub Actions log (``::add-mask::``), before anything echoes it."""
        ci.mask(secret, self.commands)

    def misconfiguration(self, text: str) -> None:
        """A warning about the CI workflow; in GitHub Actions an annotation and the job summary."""
        self.warning(text)
        ci.annotate("warning", f"Potential workflow misconfiguration: {text}", stream=self.commands)
        ci.append_step_summary(f"## Potential workflow misconfiguration\n\n{text}")

    def write_raw(self, text: str) -> None:
        """Write to stderr as is (secrets masked): CI markers ``ci`` built around neutralised text."""
        with self._lock:
            write(sys.stderr, redact(text))

    # Upload progress --------------------------------------------------------------------------
    @contextmanager
    def uploading(self, dists: Sequence[Distribution]) -> Iterator[Tracker]:
        """Yield what follows the release: live bars on a terminal, else log lines; in each, a
        retry is this console's warning."""
        with self._tracker(dists) as tracker:
            yield _WarnsOfRetries(tracker, self.warning)

    @contextmanager
    def _tracker(self, dists: Sequence[Distribution]) -> Iterator[Tracker]:
        if self.show_progress:
            # rich's live display: only on a terminal (rich.progress is a costly import).
            from tpublish.output.progress import progress_bars

            with progress_bars(self.err, dists) as bars:
                yield bars
            return
        if self.ci_log is not None:  # a CI log: each file's lines folded, written when it ends
            folded = ci.FoldedUploadLog(self.ci_log, self.write_raw)
            log = LogProgress(self.info, folded.handle, start_lines=False)
        else:
            log = LogProgress(self.info, self._plain_result)
        with ticking(log.tick):
            yield log

    def _plain_result(self, event: Event) -> None:
        if isinstance(event, Finished) and not self.json_mode:
            self._say(result_line(event.result))

    # Results (stdout) -------------------------------------------------------------------------
    def result(self, text: str, style: str | None = None) -> None:
        """One line of a command's result on stdout."""
        with self._lock:
            self._line(safe(text), style, stdout=True)

    def summary(self, report: Report) -> None:
        if self.json_mode:
            self.emit_json(report_document(report))
            return
        title = safe(f"Release upload to {report.upload_url}", multiline=False)
        rows = summary_rows(report)  # outside text in them is made safe already
        with self._lock:
            if self.out_is_terminal:
                with unless_gone(sys.stdout):
                    self.out.print(rich_table(title, rows, self.out.width))
            else:
                # Logs and pipes get plain columns: no box drawing to garble, one grep-able line
                # per file, and none of a rich table's layout cost on a long release.
                write(sys.stdout, safe(plain_table(title, rows)))
            for url in release_links(report):
                self._line(safe(f"View at: {url}"), stdout=True)
        hint = rerun_hint(report)
        if hint:
            self.hint(hint)

    # The one JSON document --------------------------------------------------------------------
    def emit_json(self, document: dict[str, Any]) -> None:
        """Stage the run's JSON document; ``close`` writes it. One per run."""
        if self._document is not None:
            raise RuntimeError("a run prints one JSON document; this one already has it")
        self._document = document

    def merge_json(self, fields: dict[str, Any]) -> None:
        """Add ``fields`` to the run's JSON document (an error after the result was staged)."""
        if self._document is None:
            self._document = {}
        self._document.update(fields)

    def close(self) -> None:
        """Write the JSON document, once, in ``--json`` mode (the error boundary calls this)."""
        if self._closed or not self.json_mode:
            return
        self._closed = True
        # json.dumps escapes every control character (and, ASCII-only, every other one): a
        # value cannot break out of its string, nor a line start with anything but JSON. What a
        # runner would still read inside a line is escaped JSON's way: the values stay exact.
        text = redact(json.dumps(self._document or {}, indent=2, sort_keys=False))
        text = _RUNNER_IN_JSON.sub(lambda m: m.group()[:-1] + _JSON_ESCAPES[m.group()[-1]], text)
        write(sys.stdout, text + "\n")


class _WarnsOfRetries:
    """A release's tracker (bars or log lines), and each retry said as a warning: one path and
    the same words, whichever way the release is followed."""

    def __init__(self, tracker: Tracker, warning: Callable[[str], None]) -> None:
        self.tracker, self.warning = tracker, warning

    def handle(self, event: Event) -> None:
        self.tracker.handle(event)
        if isinstance(event, Retrying):
            self.warning(retry_line(event))

    def finish(self, report: Report) -> None:
        self.tracker.finish(report)
