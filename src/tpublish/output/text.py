"""Words and figures shared by every kind of output: sizes, a file's result line, a retry line,
what to do after an interruption, and warnings said once for the files they concern; and ``safe``,
the one step every text takes before it is shown (secrets masked, then neutralised).

The console and the CI log both use these, so the same event reads the same everywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tpublish.output.layout import shared_affixes
from tpublish.redact import redact
from tpublish.units import human_size
from tpublish.untrusted import neutralise, printable

if TYPE_CHECKING:
    from tpublish.publish.report import FileResult, Report, Retrying


def safe(text: str, *, multiline: bool = True) -> str:
    """``text`` as it may be shown: secrets masked, then made safe for a terminal and a CI log."""
    return neutralise(redact(text), multiline=multiline)


def retry_line(event: Retrying) -> str:
    return (
        f"{printable(event.dist.filename)}: attempt {event.attempt} failed ({event.reason}); "
        f"retrying in {event.delay:.1f} s"
    )


def result_line(result: FileResult) -> str:
    text = f"{result.outcome:<9} {printable(result.dist.filename)} ({human_size(result.dist.size)})"
    if result.note:
        text += f" - {printable(result.note)}"
    return text


def start_line(filename: str, size: int) -> str:
    return f"uploading {printable(filename)} ({human_size(size)})"


def outcome_counts(report: Report) -> str:
    """``5 uploaded, 1 skipped``: how many files ended each way, in the table's words."""
    counts = Counter(result.outcome for result in report.results)
    return ", ".join(f"{count} {outcome}" for outcome, count in counts.items())


def rerun_hint(report: Report) -> str | None:
    """What to do after an interruption (an interrupted release is never complete)."""
    if report.interrupted:
        return (
            "run the same command again with --skip-existing: files already on the index are "
            "skipped (checked by sha256) and the rest are sent"
        )
    return None


def files_named(filenames: Sequence[str]) -> str:
    """Several files in a few words: ``demo-1.0-*-manylinux_2_17_x86_64.whl (6 files)``.

    The pattern keeps what the names share, cut at their separators; names with little in
    common are listed (up to three) or counted.
    """
    names = [printable(name) for name in filenames]
    if len(names) == 1:
        return names[0]
    start, end = shared_affixes(names)
    prefix, suffix = names[0][:start], names[0][len(names[0]) - end :]
    if "-" in prefix:  # at least the project's name: the pattern says which release
        return f"{prefix}*{suffix} ({len(names)} files)"
    if len(names) <= 3:
        return ", ".join(names)
    return f"{names[0]}, {names[1]} and {len(names) - 2} more"


def grouped(findings: Sequence[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """(file, message) pairs as (files, message): each message once, with every file it concerns.

    The files of one release usually share their metadata, so one finding about it would
    otherwise be said once per file.
    """
    files: dict[str, list[str]] = {}
    for filename, message in findings:
        files.setdefault(message, []).append(filename)
    return [(names, message) for message, names in files.items()]
