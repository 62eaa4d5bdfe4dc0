"""Words and figures shared by every kind of output: sizes, a file's result line, a retry line.

The console and the CI log both use these, so the same event reads the same everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tpublish.publish.report import FileResult, Retrying


def human_size(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def retry_line(event: Retrying) -> str:
    return (
        f"{event.dist.filename}: attempt {event.attempt} failed ({event.reason}); "
        f"retrying in {event.delay:.1f} s"
    )


def result_line(result: FileResult) -> str:
    text = f"{result.outcome:<9} {result.dist.filename} ({human_size(result.dist.size)})"
    if result.note:
        text += f" - {result.note}"
    return text
