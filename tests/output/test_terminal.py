"""What a person sees on a terminal, played on a terminal emulator (pyte) at 80, 120 and 200
columns, with the long wheel names of a real scientific release.

Every frame of the live display and the final screen are checked: no line wider than the
terminal, no figure cut short, no unit on a line of its own, every file name whole in the
summary, and after Ctrl-C a last frame that says what the table says.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from builders import make_wheel
from cli_helpers import tpublish_rendered, wait_until
from fakeindex import FakeIndex
from terminal import pseudo_terminal, render
from tpublish.errors import EXIT_INTERRUPTED, EXIT_OK
from tpublish.units import human_part, human_size

PLATFORM = "manylinux_2_17_x86_64.manylinux2014_x86_64"
PYTHONS = ("cp310", "cp311", "cp312", "cp313", "cp314")
UNIT = r"(?:B|KiB|MiB|GiB)"
FIGURE = (
    rf"(?:\d+(?:\.\d)?/\d+(?:\.\d)? {UNIT}|\d+(?:\.\d)? {UNIT}/s|\d+:\d\d:\d\d|-:--:--"
    r"|sent; waiting for the index|waiting for the index|waiting)"
)
BAR = "━╸╺─"
BOX = "┃│┏┡└┗┳╇┻┓┩┘"
PLAIN = (("Description-Content-Type", "text/markdown"),)


def release(directory: Path, size: int, count: int = 6) -> list[Path]:
    """Wheels of numpy-quaternion 2024.0.3, each ``size`` bytes of incompressible data."""
    tags = [f"{py}-{py}-{PLATFORM}" for py in PYTHONS] + [
        "cp313-cp313t-manylinux_2_17_aarch64.manylinux2014_aarch64"
    ]
    return [
        make_wheel(
            directory,
            "numpy-quaternion",
            "2024.0.3",
            tag=tag,
            extra_metadata=PLAIN,
            extra_files=[("quaternion/data.bin", os.urandom(size))],
        )
        for tag in tags[:count]
    ]


@dataclass(frozen=True)
class Row:
    file: str
    outcome: str
    size: str
    sha256: str


def table(screen: list[str]) -> list[Row]:
    """The summary table's rows, each file name joined back from its wrapped lines."""
    start = next(n for n, line in enumerate(screen) if line.startswith("┡"))
    rows: list[list[str]] = []
    for line in screen[start + 1 :]:
        if line.startswith("└"):
            break
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        if cells[1]:
            rows.append(cells)
        else:  # the wrapped name (or note) of the row above
            rows[-1] = [
                a + b if n == 0 else f"{a} {b}".strip()
                for n, (a, b) in enumerate(zip(rows[-1], cells, strict=True))
            ]
    return [Row(r[0], r[1], r[2] if len(r) > 2 else "", r[3] if len(r) > 3 else "") for r in rows]


def progress_lines(frame: list[str]) -> list[str]:
    return [
        line for line in frame if any(c in line for c in BAR) and not any(c in line for c in BOX)
    ]


def assert_fits(frames: list[list[str]]) -> None:
    """Every progress line: whole figures after the bar; no line of units alone anywhere."""
    for frame in frames:
        for line in frame:
            assert not re.fullmatch(rf"\s*(?:{UNIT}(?:/s)?\s*)+", line), f"units alone: {line!r}"
        for line in progress_lines(frame):
            figures = line[max(line.rfind(c) for c in BAR) + 1 :]
            assert re.fullmatch(rf"(?:\s+{FIGURE})*\s*", figures), f"a figure cut: {line!r}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_a_release_of_long_wheel_names_fits_the_terminal(
    index: FakeIndex, token: str, tmp_path: Path, columns: int
) -> None:
    wheels = release(tmp_path / "dist", 200_000)
    index.faults.add("/legacy/", "stall", times=len(wheels), seconds=1.0)  # the index processing

    code, shown = tpublish_rendered(
        "upload",
        "--repository-url",
        index.upload_url,
        "--token",
        token,
        "--concurrency",
        "2",
        *map(str, wheels),
        columns=columns,
    )

    assert code == EXIT_OK, "\n".join(shown.screen)
    assert shown.overflows == []  # no line wider than the terminal, in any frame
    assert_fits(shown.frames)
    assert max(len(progress_lines(frame)) for frame in shown.frames) <= 3  # release + 2 in flight
    # After the last byte, while the index processes the file, the bar says so.
    assert any("waiting for the index" in line for frame in shown.frames for line in frame)
    rows = table(shown.screen)
    assert sorted(row.file for row in rows) == sorted(w.name for w in wheels)  # every name whole
    assert {row.outcome for row in rows} == {"uploaded"}
    for row in rows:
        wheel = next(w for w in wheels if w.name == row.file)
        assert row.size == human_size(wheel.stat().st_size)
        # Whole when it fits beside the unwrapped name, else as git shortens a commit id.
        assert row.sha256 == (sha256(wheel) if columns >= 200 else sha256(wheel)[:12])
    done = [line for line in shown.screen if line.startswith("done:")]
    assert len(done) == 1 and done[0].startswith("done: 6 uploaded")
    assert sorted(index.files) == sorted(w.name for w in wheels)


@pytest.mark.parametrize("columns", [80, 120])
def test_after_ctrl_c_the_last_frame_agrees_with_the_table(
    index: FakeIndex, token: str, tmp_path: Path, columns: int
) -> None:
    wheels = release(tmp_path / "dist", 3_000_000, count=4)
    index.faults.add("/legacy/", "stall", seconds=0)  # the first wheel goes through
    # The second one crawls in through a slow link (about 5 s), long enough to be interrupted.
    index.faults.add("/legacy/", "slow_read", times=3, chunk=32768, delay=0.05)
    command = [sys.executable, "-m", "tpublish", "upload", "--repository-url", index.upload_url]
    command += ["--token", token, "--concurrency", "1", *map(str, wheels)]
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("COLUMNS", None)
    with pseudo_terminal(columns=columns, rows=60) as (terminal, chunks):
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal
        )
        try:
            wait_until(lambda: len(index.files) >= 1 and len(index.uploads) >= 2, timeout=60)
            assert len(index.uploads) >= 2, "the second upload never started"
            process.send_signal(signal.SIGINT)
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    shown = render(b"".join(chunks), columns, 60)

    assert process.returncode == EXIT_INTERRUPTED, "\n".join(shown.screen)
    assert shown.overflows == []
    assert_fits(shown.frames)
    rows = table(shown.screen)
    assert sorted(row.file for row in rows) == sorted(w.name for w in wheels)
    counts = Counter(row.outcome for row in rows)
    assert counts == {"uploaded": 1, "interrupted": 1, "not attempted": 2}
    # The bars end in one line that says what the table says: no speed, no "files done".
    last = [line for line in shown.screen if line.startswith("interrupted:")]
    assert len(last) == 1, shown.screen
    assert all(f"{n} {outcome}" in last[0] for outcome, n in counts.items()), last[0]
    assert not any("/s" in line or "files done" in line for line in shown.screen)
    uploaded = next(row.file for row in rows if row.outcome == "uploaded")
    on_index = (tmp_path / "dist" / uploaded).stat().st_size
    assert last[0].endswith(human_part(on_index, sum(w.stat().st_size for w in wheels)))
    # Then what to do next.
    assert any("--skip-existing" in line for line in shown.screen[shown.screen.index(last[0]) :])
    assert sorted(index.files) == [uploaded]  # the table says what the index holds
