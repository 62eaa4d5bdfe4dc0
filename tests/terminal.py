"""A pseudo-terminal for a child process's output, read as fast as the child writes it."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import termios
import threading
from collections.abc import Iterator
from contextlib import contextmanager


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
