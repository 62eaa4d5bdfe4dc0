"""Writing to stdout and stderr when the reader may have gone: ``tpublish upload … | head``.

A closed pipe is not the release's failure: the work goes on, later output is dropped quietly (the
stream is pointed at the null device, so neither a later write nor the flush at exit complains),
and the exit code stays the release's.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from typing import IO


def reader_gone(stream: IO[str]) -> None:
    """The reader of ``stream`` went away: send whatever follows to the null device."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return  # not a real file (a test's buffer): nothing will be flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


@contextlib.contextmanager
def unless_gone(stream: IO[str]) -> Iterator[None]:
    """Run a write to ``stream``; if its reader went away, carry on without it."""
    try:
        yield
    except BrokenPipeError:
        reader_gone(stream)


def write(stream: IO[str], text: str) -> None:
    """Write and flush ``text``; a closed pipe ends this stream's output, not the run."""
    with unless_gone(stream):
        stream.write(text)
        stream.flush()
