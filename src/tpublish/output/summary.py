"""The release's summary: a table for a terminal, plain columns for a log, or one JSON document."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tpublish.output.text import human_size
from tpublish.redact import redact

if TYPE_CHECKING:
    from tpublish.errors import TPublishError
    from tpublish.publish.report import FileResult, Report

_SUMMARY_COLUMNS = ("file", "outcome", "size", "sha256")
Row = tuple[str, str, str, str]


def summary_rows(report: Report) -> list[Row]:
    return [
        (
            result.dist.filename,
            redact(result.outcome + (f" ({result.note})" if result.note else "")),
            human_size(result.dist.size),
            result.digests.sha256 if result.digests else "",
        )
        for result in report.results
    ]


def rich_table(title: str, rows: Sequence[Row]) -> Any:
    # A terminal's table; logs get plain columns.
    from rich.table import Table
    from rich.text import Text

    # Text, not str: a file name or URL is shown as it is, never read as rich markup.
    table = Table(title=Text(title), title_justify="left")
    for column in _SUMMARY_COLUMNS:
        table.add_column(column, no_wrap=column != "file")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def plain_table(title: str, rows: Sequence[Row]) -> str:
    """The summary as text columns: a title line, a header line, then one line per file."""
    lines = [_SUMMARY_COLUMNS, *rows]
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
        "release_urls": report.release_urls,
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
