"""Waiting between two tries of an upload: a pause that Ctrl-C or another file's failure cuts
short. How long to wait, and whether to try again, is ``index.retry``'s policy (shared with
trusted publishing).
"""

from __future__ import annotations

import threading


class Cancelled(Exception):
    """The release is stopping: abandon this file (raised in an upload's thread)."""


class Pause:
    """A wait between two tries that ``cancel`` ends at once, for every thread waiting."""

    def __init__(self) -> None:
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``; raise ``Cancelled`` if the release is stopping."""
        if self._cancelled.wait(seconds):
            raise Cancelled
