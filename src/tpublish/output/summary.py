"""The release's summary: a table for a terminal, plain columns for a log, or one JSON document."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tpublish.output.layout import cells, fit_table, wrap_name
from tpublish.output.text import safe
from tpublish.units import human_size
from tpublish.untrusted import printable

if TYPE_CHECKING:
    from tpublish.errors import TPublishError
    from tpublish.publish.report import FileResult, Report

_SUMMARY_COLUMNS = ("file", "outcome", "size", "sha256")


@dataclass(frozen=True)
class Row:
    """One file of the summary, as text."""

    file: str
    outcome: str
    note: str
    size: str
    sha256: str

    @property
    def outcome_text(self) -> str:
        return self.outcome + (f" ({self.note})" if self.note else "")


def summary_rows(report: Report) -> list[Row]:
    return [
        Row(
            printable(result.dist.filename),
            result.outcome,
            safe(result.note, multiline=False),
            human_size(result.dist.size),
            result.digests.sha256 if result.digests else "",
        )
        for result in report.results
    ]


def release_links(report: Report) -> list[str]:
    """The release's page, only when every file of it is on the index (uploaded or skipped).

    After a failure, an interruption or an outcome that cannot be confirmed, a link would invite
    a person to announce a release that is not all there.
    """
    return list(report.release_urls) if report.complete else []


def rich_table(title: str, rows: Sequence[Row], width: int) -> Any:
    """The summary as a rich table that fits ``width``: every file name and outcome whole."""
    # A terminal's table; logs get plain columns.
    from rich.table import Table
    from rich.text import Text

    def widest(texts: Sequence[str]) -> int:
        return max(cells(text) for text in texts)

    layout = fit_table(
        width,
        file=widest([_SUMMARY_COLUMNS[0], *(row.file for row in rows)]),
        outcome=(
            widest([_SUMMARY_COLUMNS[1], *(row.outcome for row in rows)]),
            widest([_SUMMARY_COLUMNS[1], *(row.outcome_text for row in rows)]),
        ),
        size=widest([_SUMMARY_COLUMNS[2], *(row.size for row in rows)]),
        overhead=1,  # the frame's left edge; each column adds its padding and a rule
        column_overhead=3,
    )
    # Text, not str: a file name or an index's words are shown as they are, never as rich markup.
    table = Table(title=Text(title), title_justify="left")
    table.add_column("file", width=layout.file, no_wrap=True)
    table.add_column("outcome", width=layout.outcome)
    shown = [("size", layout.size), ("sha256", layout.sha256)]
    for name, column_width in shown:
        if column_width:
            table.add_column(name, width=column_width, no_wrap=True)
    for row in rows:
        cells_ = ["\n".join(wrap_name(row.file, layout.file)), row.outcome_text]
        if layout.size:
            cells_.append(row.size)
        if layout.sha256:
            cells_.append(row.sha256[: layout.sha256])
        table.add_row(*(Text(cell) for cell in cells_))
    return table


def plain_table(title: str, rows: Sequence[Row]) -> str:
    """The summary as text columns: a title line, a header line, then one line per file."""
    lines = [_SUMMARY_COLUMNS, *((r.file, r.outcome_text, r.size, r.sha256) for r in rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(3)]
    body = (
        "  ".join([*(line[column].ljust(widths[column]) for column in range(3)), line[3]])
        for line in lines
    )
    return "\n".join([title, *(text.rstrip() for text in body)]) + "\n"


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
        "release_urls": release_links(report),
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
        "details": list(result.details),
        "check_by_hand": result.check_by_hand or None,  # uncertain: how a person can find out
        "attempts": result.attempts,
        "attestations": result.attestations,
        "error": error_document(result.error) if result.error else None,
    }
