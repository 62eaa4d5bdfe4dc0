"""The one place errors become exit codes: a readable line, a hint, and in CI an annotation.

A ``TPublishError`` shows its message (naming the file), detail lines and hint; anything else is
an internal error with the same shape. ``--debug`` adds the traceback; secrets stay masked (the
CI provider's request credentials are registered as secrets before anything runs). A reader
that closed our stdout early is no error: the output it missed is dropped. With ``--json`` the error joins the run's one JSON document (a dry run's plan, a release's
report, or a document of its own), which is written last, whatever happened.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from tpublish.errors import (
    EXIT_INTERRUPTED,
    EXIT_UPLOAD,
    SigningError,
    TPublishError,
    TrustedPublishingError,
)

if TYPE_CHECKING:
    from tpublish.output.console import Console


def make_console(*, json: bool, verbose: bool, progress: bool = False) -> Console:
    from tpublish.output.console import Console  # rich: only once a command runs

    return Console(json_mode=json, progress=progress, verbose=verbose)


def run_command(console: Console, debug: bool, work: Callable[[], int]) -> NoReturn:
    """Run a command's work, turn every failure into its exit code, write the JSON, exit."""
    code = _exit_code(console, debug, work)
    console.close()
    sys.exit(code)


def _exit_code(console: Console, debug: bool, work: Callable[[], int]) -> int:
    from tpublish.auth.oidc import register_ci_secrets  # masked in anything shown from here on

    register_ci_secrets()
    try:
        return work()
    except TPublishError as exc:
        _show_error(console, exc, debug)
        return exc.exit_code
    except KeyboardInterrupt:
        console.merge_json(
            {
                "exit_code": EXIT_INTERRUPTED,
                "interrupted": True,
                "error": {
                    "type": "KeyboardInterrupt",
                    "message": "interrupted",
                    "hint": None,
                    "file": None,
                    "exit_code": EXIT_INTERRUPTED,
                },
            }
        )
        console.info("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # A write outside the console's guard met a closed pipe: nothing left to tell that reader.
        from tpublish.output.streams import reader_gone  # only after a broken pipe

        reader_gone(sys.stdout)
        reader_gone(sys.stderr)
        return EXIT_UPLOAD
    except Exception as exc:  # noqa: BLE001  (the last line of defence: no traceback unless --debug)
        from tpublish.publish.report import internal_error  # loaded only for a failure

        internal = internal_error(exc)
        _show_error(console, internal, debug)
        return internal.exit_code


def report_error(console: Console, exc: TPublishError) -> None:
    """Show an error whose exit code the command returns itself, after a ``--json`` document
    that already carries it: the lines on stderr and the CI annotation, no second document."""
    _show_error(console, exc, debug=False, document=False)


def _show_error(
    console: Console, exc: TPublishError, debug: bool, *, document: bool = True
) -> None:
    # Showing an error needs these; --help and --version never do.
    from tpublish.dists.distribution import InvalidDistributions
    from tpublish.output.summary import error_document

    if debug:
        console.traceback(exc)
    if console.json_mode and document:
        shown: dict[str, Any] = {"exit_code": exc.exit_code, "error": error_document(exc)}
        if isinstance(exc, InvalidDistributions):
            shown["files"] = [error_document(e) for e in exc.errors]
        console.merge_json(shown)
    if isinstance(exc, InvalidDistributions):
        for file_error in exc.errors:
            console.error(file_error)
    console.error(exc)
    _annotate_in_ci(exc, console.commands)


def _annotate_in_ci(exc: TPublishError, stream: TextIO) -> None:
    """In GitHub Actions: an ``::error::`` annotation, and a step-summary entry for trusted publishing."""
    from tpublish.output import ci  # loaded only for a failure

    lines = [str(exc), *([exc.hint] if exc.hint else []), *exc.details]
    if isinstance(exc, TrustedPublishingError):
        # gh-action-pypi-publish's titles, so a failed run reads the same whichever tool ran
        title = (
            "Attestation generation failure"
            if isinstance(exc, SigningError)
            else "Trusted publishing exchange failure"
        )
        ci.annotate("error", f"{title}: " + "\n".join(lines), stream=stream)
        body = "\n".join(f"    {line}" for line in lines[1:])
        ci.append_step_summary(f"## {title}\n\n{lines[0]}\n\n{body}")
    else:
        path = str(exc.path) if exc.path else None
        ci.annotate("error", "\n".join(lines), file=path, stream=stream)
    for file_error in getattr(exc, "errors", ()):  # InvalidDistributions: one per bad file
        path = str(file_error.path) if file_error.path else None
        ci.annotate("error", str(file_error), file=path, stream=stream)


def usage_error_document(message: str, exit_code: int) -> dict[str, Any]:
    """The ``--json`` document for a command line click refused (a bad option or value)."""
    return {
        "exit_code": exit_code,
        "error": {
            "type": "UsageError",
            "message": message,
            "hint": "see the command's --help",
            "file": None,
            "exit_code": exit_code,
        },
    }
