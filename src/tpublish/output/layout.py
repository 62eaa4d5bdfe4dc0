"""Fitting text to a terminal's width, as pure functions of the width: no rich, no I/O.

Two rules run through all of it: a figure or a unit is never cut (a column that does not fit is
left out whole), and a line is never wider than the terminal (the terminal would wrap it, and a
live display redrawn over wrapped lines leaves debris).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

ELLIPSIS = "…"
BREAK_AFTER = "-._"  # where a file name may be wrapped: after a separator of its parts


def cells(text: str) -> int:
    """Terminal cells ``text`` takes (wide East Asian characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def shorten_middle(text: str, width: int) -> str:
    """``text`` within ``width`` cells, its middle replaced by ``…`` when it is too long.

    The end is kept longer than the start: a release's file names share their start (project and
    version) and differ at the end (Python and platform tags).
    """
    if cells(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    room = width - 1
    head_room = room * 2 // 5
    head, tail = "", ""
    for char in text:
        if cells(head + char) > head_room:
            break
        head += char
    for char in reversed(text[len(head) :]):
        if cells(head) + cells(char + tail) > room:
            break
        tail = char + tail
    return head + ELLIPSIS + tail


def shared_affixes(names: Sequence[str]) -> tuple[int, int]:
    """How many leading and trailing characters all ``names`` share, cut at a separator.

    For a release's wheels that is the project and version in front and, often, the platform
    tag and ``.whl`` behind; what is left says which file is which.
    """
    if len(names) < 2:
        return 0, 0
    prefix = _common_start(names)
    if not all(len(name) == len(prefix) or name[len(prefix)] in BREAK_AFTER for name in names):
        prefix = prefix[: max(prefix.rfind(sep) for sep in BREAK_AFTER) + 1]  # not mid-word
    rests = [name[len(prefix) :][::-1] for name in names]
    suffix = _common_start(rests)
    if not all(len(rest) == len(suffix) or rest[len(suffix)] in BREAK_AFTER for rest in rests):
        cut = [i for i, char in enumerate(suffix) if char in BREAK_AFTER]
        suffix = suffix[: cut[-1] + 1] if cut else ""
    return len(prefix), len(suffix)


def _common_start(texts: Sequence[str]) -> str:
    first = min(texts, key=len)
    for i, char in enumerate(first):
        if any(text[i] != char for text in texts):
            return first[:i]
    return first


def shorten_name(name: str, width: int, shared: tuple[int, int] = (0, 0)) -> str:
    """``name`` within ``width`` cells, keeping whole the part that tells it from its siblings.

    ``shared`` is what ``shared_affixes`` found: the start and end every file of the release
    has. Those are shortened first (``numpy_qu…cp311-cp311…_x86_64.whl``); without them, or when
    even the distinct part is too long, the name is shortened in its middle.
    """
    if cells(name) <= width:
        return name
    start, end = shared
    distinct = name[start : len(name) - end]
    room = width - cells(distinct)
    head, tail = name[:start], name[len(name) - end :]
    if not distinct or (start == 0 and end == 0):
        return shorten_middle(name, width)
    if room < 4:  # the distinct part is long too: a little of the start, then the rest shortened
        kept = _keep_head(head, min(cells(head), 6, width // 4))
        return kept + shorten_middle(name[start:], width - cells(kept))
    left = max(min(cells(head), room - min(cells(tail), room // 2)), 0)
    return _keep_head(head, left) + distinct + _keep_tail(tail, room - left)


def _keep_head(text: str, width: int) -> str:
    if cells(text) <= width:
        return text
    kept = ""
    for char in text:
        if cells(kept + char) > width - 1:
            break
        kept += char
    return kept + ELLIPSIS


def _keep_tail(text: str, width: int) -> str:
    return _keep_head(text[::-1], width)[::-1]


def wrap_name(name: str, width: int) -> list[str]:
    """``name`` whole, in lines of at most ``width`` cells, broken after ``-``, ``.`` or ``_``."""
    if width < 1:
        return [name]
    lines: list[str] = []
    rest = name
    while cells(rest) > width:
        cut = 0
        while cut < len(rest) and cells(rest[: cut + 1]) <= width:
            cut += 1
        cut = max(cut, 1)  # a character wider than the column still moves on
        for separator in BREAK_AFTER:  # between fields first, then between parts of one
            breaks = [i + 1 for i in range(cut) if rest[i] == separator and i + 1 < len(rest)]
            if breaks and breaks[-1] >= max(1, cut // 3):
                cut = breaks[-1]
                break
        lines.append(rest[:cut])
        rest = rest[cut:]
    return [*lines, rest]


# -- the summary table ----------------------------------------------------------------------------

SHORT_SHA256 = 12  # as git shortens a commit id: enough to tell files apart, short enough to read
FILE_MIN = 16  # narrower than this, a wrapped file name is more breaks than name


@dataclass(frozen=True)
class TableLayout:
    """Column widths of the summary table (0: the column is left out)."""

    file: int
    outcome: int
    size: int
    sha256: int


def fit_table(
    width: int,
    file: int,
    outcome: tuple[int, int],
    size: int,
    overhead: int,
    column_overhead: int,
) -> TableLayout:
    """The summary's columns within ``width`` cells, in the order a person reads them.

    File name and outcome are always whole (the name wraps when it must; a note after the
    outcome wraps at its spaces), then the size; the sha256 is whole when it fits beside an
    unwrapped name, else shortened to its first 12 characters, else (a very narrow terminal) left
    out, then the size is. ``outcome`` is (narrowest, widest): the longest outcome word and the
    longest outcome with its note. ``overhead`` is what the table's frame takes beyond its
    columns; ``column_overhead`` what each column adds to it.
    """
    narrow, wide = outcome

    def room(outcome_width: int, *shown: int) -> int:
        columns = len(shown) + 2  # file and outcome are always there
        return width - overhead - column_overhead * columns - sum(shown) - outcome_width

    for sha256 in (64, SHORT_SHA256):
        for outcome_width in dict.fromkeys((wide, narrow)):
            if room(outcome_width, size, sha256) >= file:
                return TableLayout(file, outcome_width, size, sha256)
    for shown in ((size, SHORT_SHA256), (size,), ()):
        left = room(narrow, *shown)
        if left >= min(file, FILE_MIN):
            sha256 = SHORT_SHA256 if len(shown) == 2 else 0
            return TableLayout(min(file, left), narrow, size if shown else 0, sha256)
    return TableLayout(max(1, room(narrow)), narrow, 0, 0)


# -- progress lines -------------------------------------------------------------------------------

NAME_MIN = 20  # the name keeps this much before a figure is given up
BAR_MIN, BAR_MAX = 10, 40
SPEED_WIDTH = len("1023.9 KiB/s")
ETA_WIDTH = len("10:00:00")


@dataclass(frozen=True)
class ProgressLayout:
    """Widths of a progress line: name, bar, and the figure columns shown, in order."""

    name: int
    bar: int
    figures: tuple[tuple[str, int], ...]

    @property
    def figures_width(self) -> int:
        return sum(w for _, w in self.figures) + max(0, len(self.figures) - 1)


def fit_progress(width: int, name: int, part: int) -> ProgressLayout:
    """Name, bar and figures (``part`` done/total, speed, time left) within ``width`` cells.

    Columns are never cut: the name is shortened first (down to ``NAME_MIN``), then the time
    left is dropped, then the speed, then the byte counts; the bar keeps ``BAR_MIN`` cells until
    only the name is left.
    """
    figures = (("part", part), ("speed", SPEED_WIDTH), ("eta", ETA_WIDTH))
    for count in (3, 2, 1, 0):
        shown = figures[:count]
        # One space between columns: after the name, after the bar, between figures.
        room = width - sum(w + 1 for _, w in shown) - 1
        name_width = min(name, room - BAR_MIN)
        if name_width >= min(name, NAME_MIN):
            return ProgressLayout(name_width, min(BAR_MAX, room - name_width), shown)
    return ProgressLayout(max(1, width), 0, ())


def first_fitting(candidates: Sequence[str], width: int) -> str:
    """The first of ``candidates`` (longest first) that fits ``width``, else the last, shortened."""
    for text in candidates:
        if cells(text) <= width:
            return text
    return shorten_middle(candidates[-1], width)
