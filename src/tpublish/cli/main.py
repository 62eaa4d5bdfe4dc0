"""The command line: options, the one place errors become exit codes.

Heavy modules (httpx, rich, keyring, id, pkginfo) are imported inside the commands, so that
``tpublish --help`` and ``--version`` start fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from tpublish import __version__
from tpublish.errors import EXIT_INPUT, EXIT_INTERRUPTED, TPublishError

if TYPE_CHECKING:
    from tpublish.output.console import Console

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES_HELP = """\b
Exit codes:
  0    every file uploaded or skipped (dry run: a real run would start)
  1    the index refused a file (see the report)
  2    bad input: a missing or invalid file, a bad option or config file
  3    credentials missing, or refused by the index (401/403)
  4    network: connection, timeout, TLS, or the index kept failing
  5    trusted publishing: no CI identity, or the token exchange failed
  130  interrupted"""


# Shell completion offers file names; unreadable or missing files are reported by tpublish itself.
DIST_PATHS = click.Path(readable=False)


def repository_options(func: F) -> F:
    """Where to upload, and with what: shared by ``upload`` and the diagnostics."""
    options = [
        click.option(
            "-r",
            "--repository",
            metavar="NAME",
            help="A repository from .pypirc, or pypi / testpypi. [env: TPUBLISH_REPOSITORY, TWINE_REPOSITORY]",
        ),
        click.option(
            "--repository-url",
            metavar="URL",
            help="The upload URL; overrides --repository. [env: TPUBLISH_REPOSITORY_URL, TWINE_REPOSITORY_URL]",
        ),
        click.option(
            "-t",
            "--token",
            metavar="TOKEN",
            help="An API token (username __token__). [env: TPUBLISH_TOKEN]",
        ),
        click.option(
            "-u",
            "--username",
            metavar="NAME",
            help="Username. [env: TPUBLISH_USERNAME, TWINE_USERNAME]",
        ),
        click.option(
            "-p",
            "--password",
            metavar="SECRET",
            help="Password or token. [env: TPUBLISH_PASSWORD, TWINE_PASSWORD]",
        ),
        click.option(
            "--config-file",
            metavar="PATH",
            help="The .pypirc to read. [default: ~/.pypirc; env: TPUBLISH_CONFIG_FILE, TWINE_CONFIG_FILE]",
        ),
        click.option(
            "--cert",
            metavar="PATH",
            help="CA bundle to verify the index's TLS certificate. [env: TPUBLISH_CERT, TWINE_CERT]",
        ),
        click.option(
            "--native-tls",
            is_flag=True,
            envvar="TPUBLISH_NATIVE_TLS",
            help="Trust the operating system's certificate store (needs the 'truststore' package: "
            "pip install 'tpublish[truststore]'). [env: TPUBLISH_NATIVE_TLS]",
        ),
        click.option(
            "--client-cert",
            metavar="PATH",
            envvar="TPUBLISH_CLIENT_CERT",
            help="Client certificate (PEM with key) for TLS client auth. [env: TPUBLISH_CLIENT_CERT]",
        ),
        click.option(
            "--trusted-publishing",
            type=click.Choice(["auto", "always", "never"]),
            default="auto",
            show_default=True,
            envvar="TPUBLISH_TRUSTED_PUBLISHING",
            help="Use the CI job's OIDC identity when no credential is configured (auto), "
            "only that (always), or never. [env: TPUBLISH_TRUSTED_PUBLISHING]",
        ),
        click.option(
            "--non-interactive",
            is_flag=True,
            envvar=["TPUBLISH_NON_INTERACTIVE", "TWINE_NON_INTERACTIVE"],
            help="Never prompt for credentials. [env: TPUBLISH_NON_INTERACTIVE]",
        ),
        click.option(
            "--no-keyring",
            is_flag=True,
            envvar="TPUBLISH_NO_KEYRING",
            help="Do not look for credentials in the keyring. [env: TPUBLISH_NO_KEYRING]",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def output_options(func: F) -> F:
    options = [
        click.option(
            "--json",
            "json_mode",
            is_flag=True,
            help="Print one JSON report on stdout instead of text.",
        ),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            envvar="TPUBLISH_VERBOSE",
            help="Say where settings came from and what happens (never secrets).",
        ),
        click.option(
            "--debug",
            is_flag=True,
            envvar="TPUBLISH_DEBUG",
            help="Show tracebacks (secrets still masked).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="tpublish")
def main() -> None:
    """Upload Python distributions to PyPI or any index, with Trusted Publishing built in."""


@contextmanager
def error_boundary(console: Console, debug: bool) -> Iterator[None]:
    """Turn every expected failure into one readable line and its exit code."""
    try:
        yield
    except TPublishError as exc:
        _show_error(console, exc, debug)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        console.info("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # noqa: BLE001  (the last line of defence: no traceback unless --debug)
        internal = TPublishError(
            f"internal error: {type(exc).__name__}: {exc}",
            hint="this is a bug in tpublish; run again with --debug and report the traceback",
        )
        internal.__cause__ = exc
        _show_error(console, internal, debug)
        sys.exit(internal.exit_code)


def _show_error(console: Console, exc: TPublishError, debug: bool) -> None:
    from tpublish.output.console import error_document
    from tpublish.dists.distribution import InvalidDistributions

    if debug:
        import traceback

        console.verbose_mode = True
        console.verbose("".join(traceback.format_exception(exc)))
    if console.json_mode:
        document: dict[str, Any] = {"exit_code": exc.exit_code, "error": error_document(exc)}
        if isinstance(exc, InvalidDistributions):
            document["files"] = [error_document(e) for e in exc.errors]
        console.emit_json(document)
    if isinstance(exc, InvalidDistributions):
        for file_error in exc.errors:
            console.error(file_error)
    console.error(exc)
    _annotate_in_ci(exc)


def _annotate_in_ci(exc: TPublishError) -> None:
    """In GitHub Actions: an ``::error::`` annotation, and a step-summary entry for trusted publishing."""
    from tpublish.output import ci
    from tpublish.errors import TrustedPublishingError

    lines = [str(exc), *([exc.hint] if exc.hint else []), *exc.details]
    if isinstance(exc, TrustedPublishingError):
        ci.annotate("error", "Trusted publishing exchange failure: " + "\n".join(lines))
        body = "\n".join(f"    {line}" for line in lines[1:])
        ci.append_step_summary(f"## Trusted publishing exchange failure\n\n{lines[0]}\n\n{body}")
    else:
        ci.annotate("error", "\n".join(lines), file=str(exc.path) if exc.path else None)
    for file_error in getattr(exc, "errors", ()):  # InvalidDistributions: one per bad file
        ci.annotate(
            "error", str(file_error), file=str(file_error.path) if file_error.path else None
        )


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("dists", nargs=-1, required=True, metavar="DIST...", type=DIST_PATHS)
@repository_options
@click.option(
    "--skip-existing",
    is_flag=True,
    envvar=["TPUBLISH_SKIP_EXISTING", "TWINE_SKIP_EXISTING"],
    help="Skip files already on the index with the same content. [env: TPUBLISH_SKIP_EXISTING]",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check files and settings, show what would happen, upload nothing.",
)
@click.option("--comment", metavar="TEXT", help="A comment stored with each file.")
@click.option(
    "--attestations",
    is_flag=True,
    envvar="TPUBLISH_ATTESTATIONS",
    help="Also upload each file's PEP 740 attestations (<file>.<kind>.attestation beside it); "
    "every file must have one. [env: TPUBLISH_ATTESTATIONS]",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 20),
    default=4,
    show_default=True,
    envvar="TPUBLISH_RETRIES",
    help="Retries after a network failure, 5xx or 429. [env: TPUBLISH_RETRIES]",
)
@click.option(
    "--retry-backoff",
    type=click.FloatRange(0, 600),
    default=1.0,
    show_default=True,
    envvar="TPUBLISH_RETRY_BACKOFF",
    help="Seconds before the first retry; doubles each time.",
)
@click.option(
    "--connect-timeout",
    type=click.FloatRange(0.1),
    default=10.0,
    show_default=True,
    envvar="TPUBLISH_CONNECT_TIMEOUT",
    help="Seconds to wait for a connection.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1),
    default=120.0,
    show_default=True,
    envvar="TPUBLISH_TIMEOUT",
    help="Seconds to wait between two reads or writes.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 16),
    default=8,
    show_default=True,
    envvar="TPUBLISH_CONCURRENCY",
    help="Files uploaded at once (1: one after another).",
)
@click.option(
    "--no-check",
    "no_check",
    is_flag=True,
    envvar="TPUBLISH_NO_CHECK",
    help="Skip the deep checks (metadata fields, description rendering); archive, filename and "
    "name/version checks always run. [env: TPUBLISH_NO_CHECK]",
)
@click.option(
    "--no-progress",
    "--disable-progress-bar",
    "no_progress",
    is_flag=True,
    help="No progress bars: one log line per file.",
)
@output_options
def upload(dists: tuple[str, ...], **options: Any) -> NoReturn:
    """Upload distributions (wheels and sdists) to an index.

    Every file is checked before the first byte is sent: one bad file means nothing is uploaded.
    Wheels go first, sdists last.
    """
    from tpublish.output.console import Console

    console = Console(
        json_mode=options["json_mode"],
        progress=not options["no_progress"],
        verbose=options["verbose"],
    )
    with error_boundary(console, options["debug"]):
        from tpublish.cli.upload import run_upload

        sys.exit(run_upload(console, list(dists), options))
    sys.exit(EXIT_INPUT)  # unreachable: error_boundary exits


CHECK_EXIT_CODES_HELP = """\b
Exit codes:
  0    no errors (warnings allowed unless --strict)
  2    at least one file would be refused by the index, or a file is unreadable"""


@main.command(epilog=CHECK_EXIT_CODES_HELP)
@click.argument("dists", nargs=-1, required=True, metavar="DIST...", type=DIST_PATHS)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@output_options
def check(dists: tuple[str, ...], **options: Any) -> NoReturn:
    """Check distributions against the rules the index applies, without uploading."""
    from tpublish.output.console import Console

    console = Console(json_mode=options["json_mode"], progress=False, verbose=options["verbose"])
    with error_boundary(console, options["debug"]):
        from tpublish.cli.check import run_check

        sys.exit(run_check(console, list(dists), options))
    sys.exit(EXIT_INPUT)  # unreachable: error_boundary exits


@main.command(epilog=EXIT_CODES_HELP)
@repository_options
@click.option(
    "--exchange",
    is_flag=True,
    help="Also exchange the OIDC token at the index (proves the publisher matches). On GitLab "
    "this uses up the job's token: a later upload in the same job would fail.",
)
@click.option("--connect-timeout", type=click.FloatRange(0.1), default=10.0, hidden=True)
@click.option("--timeout", type=click.FloatRange(0.1), default=30.0, hidden=True)
@click.option("--concurrency", type=int, default=1, hidden=True)
@output_options
def auth(**options: Any) -> NoReturn:
    """Show which credential an upload would use, and diagnose trusted publishing.

    In CI: the detected provider, the index's audience, the OIDC token's claims next to the values
    the index's trusted-publisher form needs, and (with --exchange) whether the index accepts it.
    """
    from tpublish.output.console import Console

    console = Console(json_mode=options["json_mode"], progress=False, verbose=options["verbose"])
    with error_boundary(console, options["debug"]):
        from tpublish.cli.auth import run_auth

        sys.exit(run_auth(console, options))
    sys.exit(EXIT_INPUT)  # unreachable: error_boundary exits
