"""``tpublish check``: tell, per file, whether the index will accept it, and why not.

Results go to stdout: one ``<filename>: error: <message>`` or ``<filename>: warning: <message>``
line per finding (``<filename>: ok`` for a clean file) and a summary line; with ``--json``, one
document instead. Exit code 0 when no file has an error, 2 otherwise (``--strict``: warnings
count as errors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tpublish.errors import EXIT_INPUT, EXIT_OK
from tpublish.rules.checker import check_files, strict
from tpublish.untrusted import printable

if TYPE_CHECKING:
    from tpublish.cli.options import CheckOptions
    from tpublish.output.console import Console
    from tpublish.rules.checker import FileReport


def run_check(console: Console, paths: list[str], options: CheckOptions) -> int:
    """Check the files, show the findings, return the exit code."""
    reports = check_files(paths)
    if options.strict:
        reports = strict(reports)
    exit_code = EXIT_INPUT if any(not r.ok for r in reports) else EXIT_OK
    if console.json_mode:
        console.emit_json(check_document(reports, exit_code))
    else:
        show_reports(console, reports)
    return exit_code


def check_document(reports: list[FileReport], exit_code: int) -> dict[str, Any]:
    """The ``--json`` document: every file with its findings, and the totals."""
    return {
        "files": [
            {
                "filename": r.filename,
                "path": str(r.path),
                "ok": r.ok,
                "findings": [
                    {"severity": f.severity, "code": f.code, "message": f.message}
                    for f in r.findings
                ],
            }
            for r in reports
        ],
        "errors": sum(len(r.errors) for r in reports),
        "warnings": sum(len(r.warnings) for r in reports),
        "exit_code": exit_code,
    }


def summary_line(reports: list[FileReport]) -> str:
    errors = sum(len(r.errors) for r in reports)
    warnings = sum(len(r.warnings) for r in reports)
    files = _plural(len(reports), "file")
    if not (errors or warnings):
        return f"checked {files}: no problems found"
    refused = sum(1 for r in reports if not r.ok)
    tail = f" ({_plural(refused, 'file')} would be refused)" if refused else ""
    return f"checked {files}: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}{tail}"


def show_reports(console: Console, reports: list[FileReport]) -> None:
    styles = {"error": "red", "warning": "yellow"}
    for report in reports:
        name = printable(report.filename)
        if not report.findings:
            console.result(f"{name}: ok", style="green")
        for finding in report.findings:
            line = f"{name}: {finding.severity}: {printable(finding.message)}"
            console.result(line, style=styles[finding.severity])
        if report.dist is not None:
            dist = report.dist
            console.verbose(f"{name}: {dist.name} {dist.version} ({dist.filetype})")
    console.result(summary_line(reports), style="bold")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
