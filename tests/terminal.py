"""A pseudo-terminal for a child process's output, read as fast as the child writes it, and a
terminal emulator (pyte) to see that output as a person would: the screen, frame by frame."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import termios
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyte


@contextmanager
def pseudo_terminal(columns: int = 120, rows: int = 40) -> Iterator[tuple[int, list[bytes]]]:
    """Yield the terminal's child side (a file descriptor) and the list its output goes into.

    Pass the descriptor as a child's stdout/stderr; leave the block once the child has exited, and
    the list holds everything it wrote, control sequences included.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    chunks: list[bytes] = []

    def drain() -> None:
        try:
            while data := os.read(master, 1 << 16):
                chunks.append(data)
        except OSError:  # EIO: the terminal's last writer is gone
            pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield slave, chunks
    finally:
        os.close(slave)
        reader.join(10)
        os.close(master)


# -- what a person sees: the bytes played on a terminal emulator (pyte) ---------------------------

REDRAW = re.compile(rb"(?:\x1b\[2K\x1b\[1A)*\x1b\[2K")  # how rich's live display starts a frame


class _Screen(pyte.Screen):
    """A screen that notes every character written past the last column (an overflow)."""

    def __init__(self, columns: int, rows: int) -> None:
        super().__init__(columns, rows)
        self.overflows: list[str] = []

    def draw(self, data: str) -> None:
        for char in data:
            if self.cursor.x >= self.columns and char.isprintable():
                row = "".join(cell.data for cell in self.buffer[self.cursor.y].values())
                self.overflows.append(row + char)
            super().draw(char)

    def text(self) -> list[str]:
        return [str(line).rstrip() for line in self.display]


@dataclass(frozen=True)
class Rendered:
    """The terminal after a run: its last screen, each live frame, and any overflowing line."""

    screen: list[str]
    frames: list[list[str]]
    overflows: list[str]


def render(data: bytes, columns: int, rows: int) -> Rendered:
    """Play ``data`` on a ``columns`` x ``rows`` terminal; a snapshot before each redraw."""
    screen = _Screen(columns, rows)
    stream = pyte.ByteStream(screen)
    frames: list[list[str]] = []
    position = 0
    for match in REDRAW.finditer(data):
        stream.feed(data[position : match.start()])
        position = match.start()
        frames.append(screen.text())
    stream.feed(data[position:])
    frames.append(screen.text())
    return Rendered(screen.text(), frames, screen.overflows)
